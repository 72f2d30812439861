// Nothing a user types stops the server: a burst of random edits, each followed by requests
// at random places, is answered without an error response and without an internal failure
// logged; afterwards the server still checks the file correctly.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TextDocument } from "vscode-languageserver-textdocument";
import { ensureBuilt, TestClient } from "./client.js";
import { random } from "../support/fixtures.js";

const text = readFileSync(fileURLToPath(new URL("../../examples/reverse.nn", import.meta.url)), "utf8");

const pieces = ["(", ")", "[", "]", "{", "}", ",", ":", "|>", " |> dense(", "init: ", "model ", "block B(", "\n", "//", "/*", "*/", "🧠", "\u0000", "1e", "-", "x", "dense", "train {", "= ", "\"", "input q: [", "const K = K\n"];

let client: TestClient;
beforeAll(async () => {
  ensureBuilt();
  ({ client } = await TestClient.start());
});
afterAll(async () => {
  await client?.stop();
});

describe("a burst of random edits", () => {
  it("leaves the server answering every request", async () => {
    const uri = "file:///burst.nn";
    const next = random(7);
    let document = TextDocument.create(uri, "nn", 1, text);
    await client.open(uri, text);
    const pending: Array<Promise<unknown>> = [];
    const methods = ["hover", "completion", "signatureHelp", "definition", "references", "documentSymbol", "foldingRange", "semanticTokens/full", "formatting", "codeAction", "prepareRename"];
    for (let i = 0; i < 300; i++) {
      const length = document.getText().length;
      const start = Math.floor(next() * (length + 1));
      const end = next() < 0.4 ? Math.min(length, start + Math.floor(next() * 12)) : start;
      const range = { start: document.positionAt(start), end: document.positionAt(end) };
      const insert = next() < 0.8 ? pieces[Math.floor(next() * pieces.length)]! : "";
      const change = { range, text: insert };
      const version = await client.change(uri, [change]);
      document = TextDocument.update(document, [change], version);
      const position = document.positionAt(Math.floor(next() * (document.getText().length + 1)));
      const method = methods[i % methods.length]!;
      const params = {
        textDocument: { uri },
        position,
        range: { start: position, end: position },
        context: { includeDeclaration: true, diagnostics: [] },
        options: { tabSize: 2, insertSpaces: true },
      };
      pending.push(
        client.request(`textDocument/${method}`, params).catch((e: Error) => {
          // prepareRename refuses names it cannot rename, on purpose; nothing else may fail.
          if (method !== "prepareRename") throw new Error(`${method} failed after edit ${i}: ${e.message}`);
        }),
      );
    }
    await Promise.all(pending);
    const last = await client.change(uri, [{ text }]);
    expect(await client.diagnostics(uri, last)).toEqual([]);
    expect(client.logs.filter((l) => l.includes("failed"))).toEqual([]);
    expect(client.exited).toBe(false);
  });
});
