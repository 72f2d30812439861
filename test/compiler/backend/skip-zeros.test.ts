// `EmitOptions.skipZeros: false`: dense products that do every multiply-add, for measuring the
// arithmetic rate honestly (bench/). The same model either way, up to the order of the sums.

import { describe, expect, it } from "vitest";
import { compileToIr, emitModule } from "../../../compiler/compile.js";
import type { ModelGraph } from "../../../compiler/graph.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import type { Batch, FloatArray } from "../../../runtime/model.js";
import { gradCheck, lcg, randomBatch } from "./gradcheck.js";
import { GraphBuilder, sgd } from "./graphs.js";
import { SPARSE_MAX_WEIGHTS, wasmSkipsZeros } from "../../../compiler/wasm/sparse.js";

/** input [40] -> dense(32) relu -> dense(32) relu -> dense(3), trained by SGD: both hidden layers are wide enough to check x for zeros. */
function mlp(): ModelGraph {
  const g = new GraphBuilder();
  const x = g.input("x", [40]);
  const h1 = g.unary("h1", "relu", g.dense("h1", x, 32));
  const h2 = g.unary("h2", "relu", g.dense("h2", h1, 32));
  const logits = g.dense("logits", h2, 3);
  g.output("logits", logits);
  g.loss("softmax_cross_entropy", logits, g.target("y", [], 3));
  return g.build(sgd(0.1));
}

/** A batch whose inputs are three-quarters exact zeros, so that the default module takes its zero-skipping paths. */
function mostlyZeros(graph: ModelGraph, size: number): Batch {
  const batch = randomBatch(graph, size, 5);
  const next = lcg(9);
  const x = batch.inputs["x"] as FloatArray;
  for (let i = 0; i < x.length; i++) if (next() < 0.75) x[i] = 0;
  return batch;
}

function largestDifference(a: Map<string, FloatArray>, b: Map<string, FloatArray>): number {
  let worst = 0;
  for (const [name, values] of a) {
    const other = b.get(name)!;
    expect(other.length, name).toBe(values.length);
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]! - other[i]!));
  }
  return worst;
}

describe("compiling with skipZeros: false", () => {
  it("marks no dense layer for zero-skipping, where the default marks both hidden layers", () => {
    const marks = (skipZeros: boolean) =>
      compileToIr(mlp(), { skipZeros })
        .ops.filter((o) => o.op === "dense")
        .map((o) => [o.attrs["sparseGradient"] === true, o.attrs["sparseInput"] === true]);
    expect(marks(true)).toEqual([
      [true, true],
      [true, true],
      [false, false],
    ]);
    expect(marks(false)).toEqual([
      [false, false],
      [false, false],
      [false, false],
    ]);
  });

  it("emits no zero-skipping product", () => {
    expect(emitModule(mlp())).toContain("skipping the zeros");
    expect(emitModule(mlp(), { skipZeros: false })).not.toContain("skipping the zeros");
  });

  it("wasm: the zero-skipping kernels (a decision kernel before each marked layer's forward, the transposed scratch) only by default", () => {
    const wasm = (skipZeros: boolean) => emitModule(mlp(), { backend: "wasm", skipZeros });
    // Both hidden layers: their forward calls the decision kernel, then the product.
    expect(wasm(true).match(/^ *\w+_transposed: \[/gm)?.length).toBe(2);
    expect(wasm(false)).not.toMatch(/_transposed/);
  });

  it("wasm: a layer above SPARSE_MAX_WEIGHTS keeps the dense products (no W^T beside W); the JavaScript kernels still skip its zeros", () => {
    const wide = (inWidth: number) => {
      const g = new GraphBuilder();
      const x = g.input("x", [inWidth]);
      const h = g.unary("h", "relu", g.dense("h", x, 64));
      const logits = g.dense("logits", h, 3);
      g.output("logits", logits);
      g.loss("softmax_cross_entropy", logits, g.target("y", [], 3));
      return g.build(sgd(0.1));
    };
    const under = SPARSE_MAX_WEIGHTS / 64;
    expect(wasmSkipsZeros(under, 64)).toBe(true);
    expect(wasmSkipsZeros(under + 1, 64)).toBe(false);
    expect(emitModule(wide(under), { backend: "wasm" })).toMatch(/^ *h_dense_transposed: \[/m);
    const over = emitModule(wide(under + 1), { backend: "wasm" });
    expect(over).not.toMatch(/_transposed|_gathered/);
    expect(over).toContain("skipping the zeros");
  });

  it("wasm: mostly-zero inputs train as with every multiply-add done, up to the order of the sums", async () => {
    const graph = mlp();
    const create = async (skipZeros: boolean) =>
      (await loadModelFromGraph(graph, { backend: "wasm", skipZeros })).module.create({ seed: 3, maxBatch: 32 });
    const [sparse, dense] = [await create(true), await create(false)];
    for (let step = 0; step < 3; step++) {
      const zeros = mostlyZeros(graph, 32);
      const batch = { ...zeros, inputs: { x: Float32Array.from(zeros.inputs["x"] as FloatArray) } };
      expect(Math.abs(sparse.trainStep(batch) - dense.trainStep(batch))).toBeLessThan(1e-5);
    }
    expect(largestDifference(sparse.getWeights(), dense.getWeights())).toBeLessThan(1e-5);
  });

  it("passes the finite-difference gradient check", async () => {
    const graph = mlp();
    for (const size of [1, 3]) {
      const result = await gradCheck(graph, size, { perParam: 40, skipZeros: false, batch: mostlyZeros(graph, size) });
      expect(result.checked).toBeGreaterThan(0);
      expect(result.worst, `batch ${size}: ${result.where}`).toBeLessThan(1e-6);
    }
  });

  it("computes what the default module computes: outputs, loss, gradients and trained weights (float64)", async () => {
    const graph = mlp();
    const batch = mostlyZeros(graph, 8);
    const create = async (skipZeros: boolean) =>
      (await loadModelFromGraph(graph, { dtype: "float64", skipZeros })).module.create({ seed: 3, maxBatch: 8 });
    const skipping = await create(true);
    const dense = await create(false);

    const a = skipping.predict(batch.inputs, 8)["logits"]!;
    const b = dense.predict(batch.inputs, 8)["logits"]!;
    expect(a.length).toBe(24);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `logits[${i}]`).toBeLessThan(1e-6);

    expect(Math.abs(skipping.forwardBackward(batch) - dense.forwardBackward(batch))).toBeLessThan(1e-6);
    expect(largestDifference(skipping.getGradients!(), dense.getGradients!())).toBeLessThan(1e-6);

    for (let step = 0; step < 5; step++) {
      expect(Math.abs(skipping.trainStep(batch) - dense.trainStep(batch)), `step ${step}`).toBeLessThan(1e-6);
    }
    expect(largestDifference(skipping.getWeights(), dense.getWeights())).toBeLessThan(1e-6);
  });
});
