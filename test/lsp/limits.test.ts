// The language server whatever it is sent: a file that explodes once its blocks are inlined,
// a file past the size limit, and bytes that are not a JSON-RPC message. It keeps answering,
// and says what it refused.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompletionItem, Hover } from "vscode-languageserver";
import { maxSourceBytes } from "../../compiler/check/limits.js";
import { blockBomb } from "../support/bombs.js";
import { ensureBuilt, TestClient } from "./client.js";

let client: TestClient;
beforeAll(async () => {
  ensureBuilt();
  ({ client } = await TestClient.start());
});
afterAll(async () => {
  await client?.stop();
});

describe("a file of 2^30 layer calls in 2 KB", () => {
  it("gets its diagnostic at the call, and hover and completion still answer", async () => {
    const uri = "file:///bomb.nn";
    const text = blockBomb(30);
    const diagnostics = await client.open(uri, text);
    const line = text.split("\n").findIndex((l) => l.includes("output y = x |> B29"));
    expect(diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character])).toEqual([["NN2011", line, 18]]);
    expect(diagnostics[0]!.message).toContain("1,610,612,735 operations");
    const position = { line: 1, character: 9 };
    const hover = await client.request<Hover | null>("textDocument/hover", { textDocument: { uri }, position });
    expect(JSON.stringify(hover)).toContain("(input) x");
    const items = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: { line: line, character: 17 } });
    expect(items.map((i) => i.label)).toContain("dense");
    // An edit that defuses it is checked as usual.
    const version = await client.change(uri, [{ text: blockBomb(5) }]);
    expect((await client.diagnostics(uri, version)).filter((d) => d.severity === 1)).toEqual([]);
  });

  it("refuses a file past the size limit with one diagnostic, and answers completion at its end", async () => {
    const uri = "file:///huge.nn";
    const text = "model M {}\n" + "//".padEnd(maxSourceBytes, "x") + "\n";
    const diagnostics = await client.open(uri, text);
    expect(diagnostics.map((d) => d.code)).toEqual(["NN1024"]);
    const items = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: { line: 2, character: 0 } });
    expect(Array.isArray(items)).toBe(true);
  });
});

/** JSON-RPC framing of one message. */
function frame(message: object): Buffer {
  const body = Buffer.from(JSON.stringify(message));
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
}

describe("bytes that are not a message", () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const bad: [string, string][] = [
    ["a Content-Length that is no number", "Content-Length: abc\r\n\r\n"],
    ["a header without Content-Length", "Content-Type: x\r\n\r\n"],
    ["garbage bytes before the next header", "\u0000\u00ffgarbage bytes"],
    ["a huge Content-Length", "Content-Length: 99999999999\r\n\r\n"],
  ];

  it("are skipped up to the next header, which is answered: the server keeps serving", async () => {
    const child = spawn(process.execPath, [root + "bin/nnc.js", "lsp", "--stdio"], { cwd: root, stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    const answered = (id: number, after: string) =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (out.includes(`"id":${id},`)) {
            clearInterval(poll);
            resolve();
          } else if (Date.now() - started > 10_000 || child.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`no answer to request ${id} after ${after}; the server wrote: ${out.slice(-300)}`));
          }
        }, 20);
      });
    try {
      child.stdin.write(frame({ jsonrpc: "2.0", id: 1, method: "initialize", params: { processId: null, rootUri: null, capabilities: {} } }));
      await answered(1, "nothing");
      for (const [i, [what, bytes]] of bad.entries()) {
        const id = i + 2;
        const hover = frame({ jsonrpc: "2.0", id, method: "textDocument/hover", params: { textDocument: { uri: "file:///none.nn" }, position: { line: 0, character: 0 } } });
        // The bad bytes and the next request arrive together, as they do in one pipe read.
        child.stdin.write(Buffer.concat([Buffer.from(bytes, "latin1"), hover]));
        await answered(id, what);
      }
      expect(out.match(/nnc lsp: skipped \d+ bytes that were not a message/g)).toHaveLength(bad.length);
      expect(child.exitCode).toBe(null);
    } finally {
      child.kill();
    }
  });
});
