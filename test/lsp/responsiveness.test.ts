// The language server within its budget whatever the file: a file whose check takes seconds
// does not hold up requests, a burst of edits is checked about once and only its last version
// is reported, and a check past its time budget is stopped and says so.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompletionItem, Hover } from "vscode-languageserver";
import { checkText } from "../../compiler/check/index.js";
import { blockBomb } from "../support/bombs.js";
import { ensureBuilt, TestClient } from "./client.js";

let client: TestClient;
beforeAll(async () => {
  ensureBuilt();
  ({ client } = await TestClient.start({ NNC_LSP_TRACE: "1" }));
});
afterAll(async () => {
  await client?.stop();
});

const checksOf = (uri: string): number => client.logs.filter((l) => l.startsWith(`nnc lsp: checked ${uri} `)).length;

describe("a file whose check takes long", () => {
  it("does not hold up hover and completion sent right after it is opened", async () => {
    // 2^14 layer calls once inlined: under the operations limit, and slow to check.
    const text = blockBomb(15);
    const started = performance.now();
    expect(checkText(text).diagnostics).toEqual([]);
    const checkMs = performance.now() - started;

    const uri = "file:///heavy.nn";
    await client.openNoWait(uri, text);
    const asked = performance.now();
    const hover = await client.request<Hover | null>("textDocument/hover", { textDocument: { uri }, position: { line: 1, character: 9 } });
    const line = text.split("\n").findIndex((l) => l.includes("output y = x |> B14"));
    const items = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: { line, character: 17 } });
    const answeredMs = performance.now() - asked;
    expect(JSON.stringify(hover)).toContain("(input) x");
    expect(items.map((i) => i.label)).toContain("dense");
    // Both answered while the check ran: far sooner than one check takes.
    expect(answeredMs).toBeLessThan(checkMs / 4);
    expect(client.publishedVersions(uri)).toEqual([]);
    expect(await client.diagnostics(uri, 1, 60_000)).toEqual([]);
  });
});

describe("a burst of 20 edits", () => {
  it("is checked a few times at most, and only the last version's diagnostics are published", async () => {
    const uri = "file:///burst.nn";
    // Slow enough to check (4,096 layer calls) that a check of an earlier version is superseded, not finished.
    const text = (width: number): string => blockBomb(13, `x |> dense(${width})`);
    await client.open(uri, text(4));
    const checksBefore = checksOf(uri);
    let version = 1;
    for (let i = 0; i < 20; i++) version = await client.change(uri, [{ text: text(5 + i) }]);
    const diagnostics = await client.diagnostics(uri, version, 60_000);
    // The last edit's width (24) does not fit the target's [4]: its error is what is reported.
    expect(diagnostics.map((d) => d.code)).toEqual(["NN2006"]);
    expect(client.publishedVersions(uri)).toEqual([1, version]);
    expect(checksOf(uri) - checksBefore).toBeLessThanOrEqual(4);
  });
});

describe("a check past its time budget", () => {
  let limited: TestClient;
  beforeAll(async () => {
    ({ client: limited } = await TestClient.start({ NNC_LSP_CHECK_BUDGET_MS: "100" }));
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it("is stopped and reported at 1:1, and the next edit is checked as usual", async () => {
    const uri = "file:///slow.nn";
    const diagnostics = await limited.open(uri, blockBomb(16));
    expect(diagnostics.map((d) => [d.range.start.line, d.range.start.character, d.message])).toEqual([
      [0, 0, expect.stringContaining("took more than 0.1 s to check and was not checked fully")],
    ]);
    const hover = await limited.request<Hover | null>("textDocument/hover", { textDocument: { uri }, position: { line: 1, character: 9 } });
    expect(JSON.stringify(hover)).toContain("(input) x");
    const version = await limited.change(uri, [{ text: blockBomb(2, "x |> dense(5)") }]);
    expect((await limited.diagnostics(uri, version)).map((d) => d.code)).toEqual(["NN2006"]);
  });
});
