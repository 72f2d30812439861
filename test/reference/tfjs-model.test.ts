// The tfjs reference is the yardstick for Neuron's numerics, so it is checked itself:
// against numbers worked out by hand, and against a naive float64 evaluator
// (float64-model.ts) whose gradients come from central differences.
import { afterAll, describe, expect, it } from "vitest";
import type { ModelGraph } from "../../compiler/graph.js";
import type { Batch } from "../../runtime/model.js";
import { tensorsBeyond, relativeDifference } from "../../reference/compare.js";
import { forward64, loss64, numericGradients } from "../../reference/float64-model.js";
import { GraphBuilder, randomValues, randomWeights } from "../../reference/graph-builder.js";
import { useTfjsBackend } from "../../reference/tfjs-backend.js";
import { buildTfjsModel, type TfjsModel } from "../../reference/tfjs-model.js";

const built: TfjsModel[] = [];
afterAll(() => built.forEach((m) => m.dispose()));

async function reference(graph: ModelGraph, weights: Map<string, Float32Array>): Promise<TfjsModel> {
  const model = await buildTfjsModel(graph, weights);
  built.push(model);
  return model;
}

/** A batch of `size` random float inputs/targets for every input and target of `graph`; int ones random in 0..V-1. */
function randomBatch(graph: ModelGraph, size: number, seed: number, probabilityTargets = false): Batch {
  const fill = (type: ModelGraph["inputs"][number]["type"], salt: number) => {
    const count = size * type.shape.reduce((a, b) => a * b, 1);
    const values = randomValues(count, seed * 31 + salt);
    if (type.kind === "int") return Int32Array.from(values, (v) => Math.floor(((v + 1) / 2) * type.vocab!) % type.vocab!);
    return probabilityTargets ? Float32Array.from(values, (v) => (v + 1) / 2) : values;
  };
  return {
    size,
    inputs: Object.fromEntries(graph.inputs.map((t, i) => [t.name, fill(t.type, i)])),
    targets: Object.fromEntries(graph.targets.map((t, i) => [t.name, fill(t.type, 100 + i)])),
  };
}

/** Checks forward outputs (both modes) and gradients of the tfjs reference against float64 loops. */
async function expectAgreesWithFloat64(graph: ModelGraph, batch: Batch, weights = randomWeights(graph, 7)): Promise<void> {
  const model = await reference(graph, weights);
  for (const training of [false, true]) {
    const outputs = model.forward(batch, { training });
    expect(tensorsBeyond(outputs, forward64(graph, weights, batch, training), 1e-5)).toEqual({});
  }
  const { loss, grads } = model.lossAndGradients(batch);
  expect(relativeDifference([loss], [loss64(graph, weights, batch)])).toBeLessThan(1e-5);
  expect([...grads.keys()]).toEqual(graph.params.filter((p) => p.trainable).map((p) => p.name));
  expect(tensorsBeyond(grads, numericGradients(graph, weights, batch), 1e-4)).toEqual({});
}

describe("the tfjs reference, by hand", () => {
  it("computes a two-layer perceptron's loss and gradients in checkpoint layout", async () => {
    // x = [1, 2]; h = relu(W1 x + b1) with W1 = [[1, 0], [0, -1]] ([out, in]), b1 = [0.5, 0]
    // -> relu([1.5, -2]) = [1.5, 0]; logits = W2 h with W2 = [[1, 1], [2, 0]] -> [1.5, 3].
    const g = new GraphBuilder("Hand");
    const x = g.input("x", [2]);
    const h = g.layer("relu", [g.dense(x, [2], 2, "h.dense_0")], [2]);
    const logits = g.dense(h, [2], 2, "logits.dense_0", false);
    g.output("logits", logits);
    g.loss("softmax_cross_entropy", logits, g.target("y", [], 2));
    const weights = new Map([
      ["h.dense_0.weight", new Float32Array([1, 0, 0, -1])],
      ["h.dense_0.bias", new Float32Array([0.5, 0])],
      ["logits.dense_0.weight", new Float32Array([1, 1, 2, 0])],
    ]);
    const model = await reference(g.build(), weights);
    const batch: Batch = { size: 1, inputs: { x: new Float32Array([1, 2]) }, targets: { y: new Int32Array([1]) } };

    expect(Array.from(model.forward(batch, { training: false })["logits"]!)).toEqual([1.5, 3]);
    // Class 1: loss = -log(e^3 / (e^1.5 + e^3)) = log(1 + e^-1.5); d loss/d logits = [s, -s], s = 1 / (1 + e^1.5).
    const { loss, grads } = model.lossAndGradients(batch);
    const s = 1 / (1 + Math.exp(1.5));
    expect(loss).toBeCloseTo(Math.log(1 + Math.exp(-1.5)), 6);
    // d W2 = dlogits h^T ([out, in]); dh = W2^T dlogits = [s - 2s, s] = [-s, s], masked by relu to [-s, 0].
    expectClose(grads.get("logits.dense_0.weight")!, [1.5 * s, 0, -1.5 * s, 0]);
    expectClose(grads.get("h.dense_0.weight")!, [-s, -2 * s, 0, 0]);
    expectClose(grads.get("h.dense_0.bias")!, [-s, 0]);
  });

  it("takes an sgd step as p - lr * grad and updates batch_norm's running statistics as PyTorch", async () => {
    const g = new GraphBuilder("Step");
    const x = g.input("x", [2]);
    const norm = g.layer("batch_norm", [x], [2], { momentum: 0.1, eps: 1e-5 }, "n.batch_norm_0", [
      { name: "weight", shape: [2] },
      { name: "bias", shape: [2] },
      { name: "running_mean", shape: [2], trainable: false },
      { name: "running_var", shape: [2], trainable: false },
    ]);
    const y = g.dense(norm, [2], 1, "y.dense_0");
    g.output("y", y);
    g.loss("mse", y, g.target("t", [1]));
    g.optimizer("sgd", { lr: 0.1, momentum: 0, nesterov: false, weight_decay: 0, clip_norm: 0 });
    const graph = g.build();
    const weights = randomWeights(graph, 3);
    const batch: Batch = { size: 3, inputs: { x: new Float32Array([1, 10, 2, 20, 6, 60]) }, targets: { t: new Float32Array([1, 2, 3]) } };
    const model = await reference(graph, weights);
    const { grads } = model.lossAndGradients(batch);
    model.trainStep(batch);
    const after = model.getWeights();
    for (const [name, grad] of grads) {
      expectClose(after.get(name)!, Array.from(weights.get(name)!, (w, i) => w - 0.1 * grad[i]!));
    }
    // Column means 3 and 30; unbiased variances 7 and 700 (biased 14/3 and 1400/3).
    const oldMean = weights.get("n.batch_norm_0.running_mean")!;
    const oldVar = weights.get("n.batch_norm_0.running_var")!;
    expectClose(after.get("n.batch_norm_0.running_mean")!, [0.9 * oldMean[0]! + 0.3, 0.9 * oldMean[1]! + 3]);
    expectClose(after.get("n.batch_norm_0.running_var")!, [0.9 * oldVar[0]! + 0.7, 0.9 * oldVar[1]! + 70]);
  });
});

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(relativeDifference(actual, expected)).toBeLessThan(1e-6);
}

describe("the tfjs reference against float64 loops", () => {
  it("dense, relu and softmax_cross_entropy", async () => {
    const g = new GraphBuilder("Mlp");
    const x = g.input("x", [5]);
    const h = g.layer("relu", [g.dense(x, [5], 4, "h.dense_0")], [4]);
    const logits = g.dense(h, [4], 3, "logits.dense_0");
    g.output("logits", logits);
    g.loss("softmax_cross_entropy", logits, g.target("y", [], 3));
    const graph = g.build();
    await expectAgreesWithFloat64(graph, randomBatch(graph, 3, 1));
  });

  it("conv2d (same and valid, stride 2), pools, batch_norm and flatten", async () => {
    const g = new GraphBuilder("Cnn");
    const image = g.input("image", [6, 6, 2]);
    const conv = g.layer("conv2d", [image], [6, 6, 3], { filters: 3, kernel: 3, stride: 1, padding: "same" }, "f.conv2d_0", [
      { name: "weight", shape: [3, 2, 3, 3] },
      { name: "bias", shape: [3] },
    ]);
    const norm = g.layer("batch_norm", [conv], [6, 6, 3], { momentum: 0.1, eps: 1e-5 }, "f.batch_norm_0", [
      { name: "weight", shape: [3] },
      { name: "bias", shape: [3] },
      { name: "running_mean", shape: [3], trainable: false },
      { name: "running_var", shape: [3], trainable: false },
    ]);
    const pooled = g.layer("max_pool2d", [g.layer("relu", [norm], [6, 6, 3])], [3, 3, 3], { size: 2 });
    const strided = g.layer("conv2d", [pooled], [2, 2, 2], { filters: 2, kernel: 2, stride: 2, padding: "same" }, "f.conv2d_1", [
      { name: "weight", shape: [2, 3, 2, 2] },
      { name: "bias", shape: [2] },
    ]);
    const valid = g.layer("conv2d", [image], [2, 2, 2], { filters: 2, kernel: [3, 2], stride: [2, 3], padding: "valid" }, "v.conv2d_0", [
      { name: "weight", shape: [2, 2, 3, 2] },
    ]);
    const averaged = g.layer("avg_pool2d", [g.layer("add", [strided, valid], [2, 2, 2])], [1, 1, 2], { size: 2 });
    const flat = g.layer("flatten", [averaged], [2]);
    const y = g.dense(flat, [2], 2, "y.dense_0");
    g.output("y", y);
    g.loss("mse", y, g.target("t", [2]));
    const graph = g.build();
    await expectAgreesWithFloat64(graph, randomBatch(graph, 2, 2));
  });

  it("embedding, positional, layer_norm, causal self_attention and per-position softmax_cross_entropy", async () => {
    const [T, V, D] = [4, 5, 4];
    const g = new GraphBuilder("Tiny");
    const tokens = g.input("tokens", [T], V);
    const embedded = g.layer("embedding", [tokens], [T, D], { dim: D }, "x.embedding_0", [{ name: "weight", shape: [V, D] }]);
    const position = g.layer("positional", [], [T, D], { T, D }, "x.positional_0", [{ name: "weight", shape: [T, D] }]);
    const x = g.layer("add", [embedded, position], [T, D]);
    const normed = g.layer("layer_norm", [x], [T, D], { eps: 1e-5 }, "x_1.layer_norm_0", [
      { name: "weight", shape: [D] },
      { name: "bias", shape: [D] },
    ]);
    const attended = g.layer("self_attention", [normed], [T, D], { heads: 2, causal: true }, "x_1.self_attention_0",
      ["q", "k", "v", "out"].flatMap((p) => [{ name: `${p}.weight`, shape: [D, D] }, { name: `${p}.bias`, shape: [D] }]));
    const logits = g.dense(g.layer("add", [x, attended], [T, D]), [T, D], V, "logits.dense_0");
    g.output("logits", logits);
    g.loss("softmax_cross_entropy", logits, g.target("reversed", [T], V));
    const graph = g.build();
    await expectAgreesWithFloat64(graph, randomBatch(graph, 2, 3));
  });

  it("attention(q, k, v) across sequences of different lengths, concat, reshape and broadcasting", async () => {
    const g = new GraphBuilder("Cross");
    const q = g.input("q", [2, 4]);
    const kv = g.input("kv", [3, 4]);
    const bias = g.input("bias", [4]);
    const shifted = g.layer("sub", [kv, bias], [3, 4]);
    const attended = g.layer("attention", [q, shifted, kv], [2, 4], { heads: 2, causal: false }, "a.attention_0",
      ["q", "k", "v", "out"].flatMap((p) => [{ name: `${p}.weight`, shape: [4, 4] }, { name: `${p}.bias`, shape: [4] }]));
    const joined = g.layer("concat", [attended, g.layer("mul", [q, bias], [2, 4])], [2, 8], { axis: -1 });
    const reshaped = g.layer("reshape", [g.layer("scale", [joined], [2, 8], { factor: 0.5 })], [4, 4], { shape: [4, 4] });
    const y = g.dense(g.layer("concat", [reshaped, reshaped], [8, 4], { axis: 0 }), [8, 4], 1, "y.dense_0");
    g.output("y", y);
    g.loss("mse", y, g.target("t", [8, 1]));
    const graph = g.build();
    await expectAgreesWithFloat64(graph, randomBatch(graph, 2, 4));
  });

  for (const [op, args] of [
    ["relu", {}], ["leaky_relu", { alpha: 0.2 }], ["sigmoid", {}], ["tanh", {}], ["softmax", {}], ["gelu", {}],
    ["silu", {}], ["elu", { alpha: 0.5 }], ["identity", {}], ["dropout", { p: 0 }],
  ] as const) {
    it(`${op} forward and backward`, async () => {
      const g = new GraphBuilder("Activation");
      const x = g.input("x", [6]);
      const y = g.layer(op, [g.dense(x, [6], 6, "h.dense_0")], [6], args);
      g.output("y", y);
      g.loss("mse", y, g.target("t", [6]));
      const graph = g.build();
      await expectAgreesWithFloat64(graph, randomBatch(graph, 3, 5), randomWeights(graph, 5, 1.5));
    });
  }

  it("binary_cross_entropy, cross_entropy and mse summed", async () => {
    const g = new GraphBuilder("Losses");
    const x = g.input("x", [3]);
    const p = g.layer("sigmoid", [g.dense(x, [3], 2, "p.dense_0")], [2]);
    const q = g.layer("softmax", [g.dense(x, [3], 3, "q.dense_0")], [3]);
    g.output("p", p);
    g.output("q", q);
    g.loss("binary_cross_entropy", p, g.target("flags", [2]));
    g.loss("cross_entropy", q, g.target("mix", [3]));
    g.loss("mse", p, "flags");
    const graph = g.build();
    await expectAgreesWithFloat64(graph, randomBatch(graph, 4, 6, true));
  });
});

describe("the tfjs reference on the wasm backend", () => {
  it("computes what the cpu backend computes (its embedding is a one-hot product there)", async () => {
    const g = new GraphBuilder("Wasm");
    const tokens = g.input("tokens", [3], 5);
    const embedded = g.layer("embedding", [tokens], [3, 4], { dim: 4 }, "x.embedding_0", [{ name: "weight", shape: [5, 4] }]);
    const logits = g.dense(g.layer("gelu", [g.dense(embedded, [3, 4], 4, "h.dense_0")], [3, 4]), [3, 4], 3, "logits.dense_0");
    g.output("logits", logits);
    g.loss("softmax_cross_entropy", logits, g.target("y", [3], 3));
    const graph = g.build();
    const weights = randomWeights(graph, 9);
    const batch = randomBatch(graph, 3, 9);
    const onCpu = (await reference(graph, weights)).lossAndGradients(batch);
    const onWasm = await buildTfjsModel(graph, weights, { backend: "wasm" });
    try {
      const result = onWasm.lossAndGradients(batch);
      expect(relativeDifference([result.loss], [onCpu.loss])).toBeLessThan(1e-5);
      expect(tensorsBeyond(result.grads, onCpu.grads, 1e-4)).toEqual({});
    } finally {
      onWasm.dispose();
      await useTfjsBackend("cpu");
    }
  });
});
