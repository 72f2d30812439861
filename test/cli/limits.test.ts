// What a command refuses before it spends memory: a model whose buffers and optimizer state
// exceed the memory limit (compiler/memory-need.ts), and a source file past the size limit.
// Each is one line on stderr naming the figures, and exit 1.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { maxSourceBytes } from "../../compiler/check/limits.js";
import { memoryLimit, memoryNeed } from "../../compiler/memory-need.js";
import { checkedModel } from "../../compiler/model-source.js";
import { nnc } from "./run-nnc.js";

function scratch(files: Record<string, string>): (name: string) => string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-limits-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return (name) => join(dir, name);
}

/** 2.1e9 parameters: within what the checker accepts, far beyond what training can hold. */
const big = `model Big {
  input x: [46000]
  target t: [10]
  h = x |> dense(23000) |> relu |> dense(46000) |> relu
  output y = h |> dense(10)
  loss mse(y, t)
  optimizer adam(lr: 0.001)
  train { batch: 8 }
}
`;

const saved = process.env.NNC_MEMORY_LIMIT;
afterEach(() => {
  if (saved === undefined) delete process.env.NNC_MEMORY_LIMIT;
  else process.env.NNC_MEMORY_LIMIT = saved;
});

describe("the memory a model needs, before it is created", () => {
  it("adds up parameters, gradients, optimizer state and activations from the plan", () => {
    const xor = checkedModel("model X {\n  input x: [2]\n  target y: [1]\n  output p = x |> dense(4) |> tanh |> dense(1)\n  loss mse(p, y)\n  optimizer adam(lr: 0.1)\n}\n", "x.nn");
    const need = memoryNeed(xor, { dtype: "float32", maxBatch: 10, training: true });
    const part = (what: string) => need.parts.find((p) => p.what.startsWith(what))!.bytes;
    // dense(4) on [2] and dense(1) on [4]: 8 + 4 + 4 + 1 = 17 parameters of 4 bytes; adam keeps two moments of each.
    expect(part("parameters")).toBe(68);
    expect(part("adam state")).toBe(136);
    expect(part("gradients")).toBeGreaterThanOrEqual(68);
    expect(need.bytes).toBe(need.parts.reduce((s, p) => s + p.bytes, 0));
    const float64 = memoryNeed(xor, { dtype: "float64", maxBatch: 10, training: false });
    expect(float64.parts.map((p) => p.what)).not.toContain("adam state");
    expect(float64.parts[0]!.bytes).toBe(136);
  });

  it("nnc train refuses a 2.1e9-parameter model in one line, naming what it needs and the limit, without allocating it", async () => {
    process.env.NNC_MEMORY_LIMIT = "8G";
    const at = scratch({ "big.nn": big, "d.csv": "x0,t0\n" });
    const before = process.memoryUsage().arrayBuffers;
    const r = await nnc("train", at("big.nn"), "--data", at("d.csv"));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 * 2 ** 20);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "model Big needs 31.5 GiB to train (parameters 7.9 GiB, gradients 7.9 GiB, adam state 15.8 GiB, activations and scratch at batch 8 3.3 MiB); the limit is 8 GiB (NNC_MEMORY_LIMIT): use a smaller model, or set NNC_MEMORY_LIMIT to raise the limit\n",
    );
  });

  it("reads NNC_MEMORY_LIMIT as a size, and refuses one that is not", () => {
    expect(memoryLimit({ NNC_MEMORY_LIMIT: "512M" }).bytes).toBe(512 * 2 ** 20);
    expect(memoryLimit({ NNC_MEMORY_LIMIT: "3000000" }).bytes).toBe(3_000_000);
    expect(memoryLimit({}).source).toBe("this machine's memory");
    expect(() => memoryLimit({ NNC_MEMORY_LIMIT: "lots" })).toThrow("NNC_MEMORY_LIMIT must be a size such as 16G, 512M or a number of bytes, got 'lots'");
  });
});

describe("a source file past the size limit", () => {
  const at = scratch({ "huge.nn": "model M {}\n" + "//".padEnd(maxSourceBytes + 10, "x") + "\n" });

  it.each([["check"], ["fmt"]])("nnc %s names the file, its size and the limit", async (command) => {
    const r = await nnc(command, at("huge.nn"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${at("huge.nn")}:1:1: error: the file is 1,048,598 characters; a .nn file may be at most 1,048,576 (1 MiB; real models are a few KB): split it, or generate less\n`);
  });
});
