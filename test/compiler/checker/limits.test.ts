// What one file may ask of the checker (compiler/check/limits.ts): each limit is enforced
// before the work it bounds, so an absurd file fails at once with one error at its place.
import { describe, expect, it } from "vitest";
import { maxOperations, maxSourceBytes } from "../../../compiler/check/limits.js";
import { blockBomb } from "../../support/bombs.js";
import { check, graph, model } from "./helpers.js";

describe("blocks inlined past the operation limit", () => {
  it("refuses 30 blocks that each call the one before twice, at the model's call, naming the figure", () => {
    const text = blockBomb(30);
    expect(text.length).toBeLessThan(2048);
    const r = check(text);
    const line = text.split("\n").findIndex((l) => l.includes("output y = x |> B29")) + 1;
    expect(r.diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`)).toEqual([
      `NN2011 ${line}:19 calling 'B29' here would make the model 1,610,612,735 operations once its blocks are inlined; the limit is 100,000: call blocks fewer times (each call inlines a copy of the block and of every block it calls)`,
    ]);
    expect(r.models).toEqual([]);
  });

  it("counts block calls and operators too: blocks that add no layer are refused the same way", () => {
    const r = check(blockBomb(40, "x + x * 2"));
    expect(r.diagnostics.map((d) => d.code)).toEqual(["NN2011"]);
    expect(r.diagnostics[0]!.message).toContain("2,199,023,255,551 operations");
  });

  it("adds up separate calls: each fits alone, together they cross the limit at the call that crosses it", () => {
    // A call of B15 is 3 * 2^15 - 1 = 98,303 operations: one call fits, the second does not.
    const text = blockBomb(16).replace("output y = x |> B15", "h = x |> B15\n  output y = h |> B15");
    const r = check(text);
    expect(r.diagnostics.map((d) => `${d.code} ${d.range.start.line}`)).toEqual([`NN2011 ${text.split("\n").findIndex((l) => l.includes("output y = h |> B15")) + 1}`]);
    expect(r.diagnostics[0]!.message).toContain("would make the model 196,606 operations");
  });

  it("leaves a model below the limit alone", () => {
    const g = graph(blockBomb(8));
    expect(g.nodes.length).toBe(1 + 2 ** 7);
    expect(maxOperations).toBeGreaterThan(100 * 2 ** 7);
  });
});

describe("parameters past what typed arrays hold", () => {
  it("refuses a model of more than 2^31 - 1 parameters at its name, naming the count", () => {
    const r = check(model("input x: [40000]", "output y = x |> dense(40000) |> dense(40000)"));
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    expect(errors.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column}`)).toEqual(["NN2012 1:7"]);
    expect(errors[0]!.message).toContain("has 3,200,080,000 parameters; the limit is 2,147,483,647");
  });

  it("accepts one just below (checking allocates nothing)", () => {
    expect(check(model("input x: [46000]", "output y = x |> dense(46000)")).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });
});

describe("source text past the size limit", () => {
  it("refuses it before parsing, with its size and the limit", () => {
    const text = model("input x: [4]", "output y = x |> dense(4)") + "//".padEnd(maxSourceBytes, "x");
    const r = check(text);
    expect(r.diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`)).toEqual([
      "NN1024 1:1 the file is 1,048,630 characters; a .nn file may be at most 1,048,576 (1 MiB; real models are a few KB): split it, or generate less",
    ]);
    expect(r.program.items).toEqual([]);
  });

  it("reads a file of exactly the limit", () => {
    const head = model("input x: [4]", "output y = x |> dense(4)");
    const text = head + "//".padEnd(maxSourceBytes - head.length, "x");
    expect(text.length).toBe(maxSourceBytes);
    expect(check(text).diagnostics.map((d) => d.code)).toEqual(["NN3002"]);
  });
});
