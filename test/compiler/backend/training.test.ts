// End to end: emitted modules train, dropout behaves, and the run-time API checks its input.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import type { Batch } from "../../../runtime/model.js";
import { GraphBuilder, sgd } from "./graphs.js";

function example(name: string) {
  const text = readFileSync(new URL(`../../../examples/${name}`, import.meta.url), "utf8");
  const graph = checkText(text, name).models[0];
  if (!graph) throw new Error(`${name} does not check`);
  return graph;
}

describe("training", () => {
  it("xor.nn learns XOR with its own optimizer (sgd with momentum)", async () => {
    const { module } = await loadModelFromGraph(example("xor.nn"));
    const model = module.create({ seed: 1 });
    const batch: Batch = {
      size: 4,
      inputs: { x: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1) },
      targets: { y: Float32Array.of(0, 1, 1, 0) },
    };
    const first = model.evaluate(batch).loss;
    for (let step = 0; step < 500; step++) model.trainStep(batch);
    const training = model.trainingMetrics!();
    expect(training.count).toBe(4);
    expect(training.loss).toBeLessThan(first / 4);
    const metrics = model.evaluate(batch);
    expect(metrics.loss).toBeLessThan(first / 4);
    expect(metrics.correct).toBe(4);
    expect(metrics.count).toBe(4);
    const p = model.predict(batch.inputs, 4)["p"]!;
    expect([...p].map((v) => Math.round(v))).toEqual([0, 1, 1, 0]);
  });

  it("mnist_mlp.nn's loss falls on a learnable synthetic problem, in float64 too", async () => {
    for (const dtype of ["float32", "float64"] as const) {
      const graph = example("mnist_mlp.nn");
      const { module } = await loadModelFromGraph(graph, { dtype });
      const model = module.create({ seed: 2, maxBatch: 32 });
      const F = dtype === "float32" ? Float32Array : Float64Array;
      // Class c lights up pixels [c * 78, c * 78 + 78).
      const image = new F(32 * 784);
      const digit = new Int32Array(32);
      for (let s = 0; s < 32; s++) {
        digit[s] = s % 10;
        for (let j = 0; j < 78; j++) image[s * 784 + digit[s]! * 78 + j] = 1;
      }
      const batch: Batch = { size: 32, inputs: { image }, targets: { digit } };
      const before = model.evaluate(batch);
      for (let step = 0; step < 30; step++) model.trainStep(batch);
      const after = model.evaluate(batch);
      expect(after.loss).toBeLessThan(before.loss / 3);
      expect(after.correct).toBe(32);
      expect(after.count).toBe(32);
    }
  });
});

describe("dropout", () => {
  async function dropoutModel(p: number) {
    const g = new GraphBuilder("Dropout");
    const x = g.input("x", [1000]);
    const y = g.unary("y", "dropout", x, { p });
    g.output("y", y);
    g.loss("mse", y, g.target("t", [1000]));
    const { module } = await loadModelFromGraph(g.build(sgd(0.1)), { dtype: "float64" });
    return module;
  }
  const batch = (target: number): Batch => ({
    size: 4,
    inputs: { x: new Float64Array(4000).fill(1) },
    targets: { t: new Float64Array(4000).fill(target) },
  });

  it("zeroes a fraction p and scales the rest by 1 / (1 - p) in training only", async () => {
    const module = await dropoutModel(0.3);
    const model = module.create({ seed: 5 });
    // With x = 1: mean(y^2) = 1 / (1 - p) and mean((y - 1)^2) = p / (1 - p), within 4 sigma.
    expect(model.forwardBackward(batch(0))).toBeCloseTo(1 / 0.7, 1);
    expect(Math.abs(model.forwardBackward(batch(1)) - 0.3 / 0.7)).toBeLessThan(0.04);
    expect(model.evaluate(batch(0)).loss).toBe(1);
    expect(model.evaluate(batch(1)).loss).toBe(0);
  });

  it("draws a new mask every step, the same masks for the same seed", async () => {
    const module = await dropoutModel(0.5);
    const a = module.create({ seed: 9 });
    const b = module.create({ seed: 9 });
    const lossesA = [0, 1, 2].map(() => a.forwardBackward(batch(0)));
    const lossesB = [0, 1, 2].map(() => b.forwardBackward(batch(0)));
    expect(lossesA).toEqual(lossesB);
    expect(new Set(lossesA).size).toBe(3);
  });
});

describe("run-time checks", () => {
  it("names the input, the expected type and the batch-size range", async () => {
    const { module } = await loadModelFromGraph(example("mnist_mlp.nn"));
    const model = module.create({ maxBatch: 8 });
    expect(() => model.predict({}, 1)).toThrow("missing input 'image'");
    expect(() => model.predict({ image: new Float64Array(784) }, 1)).toThrow("must be a Float32Array");
    expect(() => model.predict({ image: new Float32Array(784) }, 2)).toThrow("input 'image' has 784 values; a batch of 2 needs exactly 1568 (784 per sample)");
    // Too many values is as wrong as too few: a wrong shape, or the wrong size, never read in part.
    expect(() => model.predict({ image: new Float32Array(784 * 3) }, 2)).toThrow("input 'image' has 2352 values; a batch of 2 needs exactly 1568 (784 per sample)");
    // Without a size, the inputs say how many samples they hold, in whole samples only.
    expect(Object.keys(model.predict({ image: new Float32Array(784 * 3) }))).toEqual(["logits"]);
    expect(model.predict({ image: new Float32Array(784 * 3) })["logits"]).toHaveLength(30);
    expect(() => model.predict({ image: new Float32Array(785) })).toThrow("input 'image' has 785 values, not a whole number of samples of 784");
    expect(() => model.predict({ image: new Float32Array(784 * 9) }, 9)).toThrow("from 1 to maxBatch (8), got 9");
    const bad: Batch = { size: 1, inputs: { image: new Float32Array(784) }, targets: { digit: Int32Array.of(10) } };
    expect(() => model.forwardBackward(bad)).toThrow("target 'digit' value 10 at index 0 is outside 0..9");
    const weights = model.getWeights();
    weights.delete("logits.dense_0.bias");
    expect(() => model.setWeights(weights)).toThrow("missing weight 'logits.dense_0.bias' (shape [10])");
    weights.set("logits.dense_0.bias", new Float32Array(10).fill(Number.NaN, 7));
    expect(() => model.setWeights(weights)).toThrow("weight 'logits.dense_0.bias' holds NaN at index 7: weights must be finite numbers");
    expect(() => module.create({ weights })).toThrow("weight 'logits.dense_0.bias' holds NaN at index 7");
  });

  it("round-trips weights through getWeights and create({ weights })", async () => {
    const { module } = await loadModelFromGraph(example("mnist_cnn.nn"));
    const a = module.create({ seed: 1, maxBatch: 2 });
    const b = module.create({ weights: a.getWeights(), maxBatch: 2 });
    const image = new Float32Array(2 * 784).map((_, i) => Math.sin(i));
    expect([...b.predict({ image }, 2)["logits"]!]).toEqual([...a.predict({ image }, 2)["logits"]!]);
    expect(a.getWeights().get("features.conv2d_0.weight")!.length).toBe(16 * 1 * 3 * 3);
  });
});

describe("findNonFinite", () => {
  it("names the first activation holding a NaN after a poisoned weight", async () => {
    const { module } = await loadModelFromGraph(example("mnist_mlp.nn"));
    const model = module.create({ maxBatch: 2 });
    expect(model.findNonFinite()).toBeNull();
    // setWeights refuses a NaN, so the poison goes straight into the parameter's buffer.
    model.parameters().find((p) => p.name === "logits.dense_0.bias")!.value[3] = Number.NaN;
    const batch: Batch = { size: 2, inputs: { image: new Float32Array(2 * 784) }, targets: { digit: Int32Array.of(1, 2) } };
    expect(model.forwardBackward(batch)).toBeNaN();
    expect(model.findNonFinite()).toMatch(/^logits\.dense_0 \[n, 10\] at index 3$/);
  });

  it("names a parameter, and its gradient, with the shape its index is into (a conv2d weight's internal layout)", async () => {
    const { module } = await loadModelFromGraph(example("mnist_cnn.nn"));
    for (const backend of ["js", "wasm"] as const) {
      const model = module.create({ maxBatch: 2, backend });
      expect(model.findNonFinite()).toBeNull();
      const parameter = (name: string) => model.parameters().find((p) => p.name === name)!;
      // No batch has run, so activations are empty and parameters' gradients come first.
      parameter("features.conv2d_1.weight").grad[4] = Number.POSITIVE_INFINITY;
      expect(model.findNonFinite(), backend).toBe("gradient of features.conv2d_1.weight at index 4");
      parameter("features.conv2d_1.weight").grad[4] = 0;
      parameter("logits.dense_0.bias").value[7] = Number.NaN;
      expect(model.findNonFinite(), backend).toBe("logits.dense_0.bias [64] at index 7");
      // Checkpoints hold [out, in, kh, kw]; the buffer, [out, kh, kw, in].
      parameter("features.conv2d_0.weight").value[5] = Number.NaN;
      expect(model.findNonFinite(), backend).toBe("features.conv2d_0.weight [16, 3, 3, 1] at index 5");
    }
  });
});

describe("models without parameters, loss or optimizer", () => {
  it("predict works and training says what is missing", async () => {
    const g = new GraphBuilder("Softmax");
    const x = g.input("x", [3]);
    g.output("p", g.unary("p", "softmax", x));
    const { module } = await loadModelFromGraph(g.build());
    const model = module.create();
    const p = model.predict({ x: Float32Array.of(0, 0, Math.log(2)) }, 1)["p"]!;
    expect([...p].map((v) => Number(v.toFixed(6)))).toEqual([0.25, 0.25, 0.5]);
    const batch: Batch = { size: 1, inputs: { x: new Float32Array(3) }, targets: {} };
    expect(() => model.trainStep(batch)).toThrow("model Softmax declares no optimizer");
    expect(() => model.forwardBackward(batch)).toThrow("model Softmax declares no loss");
    expect(model.parameters()).toEqual([]);
  });
});
