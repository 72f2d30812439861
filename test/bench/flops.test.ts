// The benchmark's arithmetic count: what one training step of a model multiplies and adds.
import { describe, expect, it } from "vitest";
import { inferenceMultiplyAddsPerSample, trainingMultiplyAddsPerSample } from "../../bench/flops.js";
import { GraphBuilder } from "../../reference/graph-builder.js";

describe("multiply-adds of a training step", () => {
  it("skips the input gradient of a first layer and counts three products for later ones", () => {
    const g = new GraphBuilder("Mlp");
    const image = g.input("image", [784]);
    const hidden = g.layer("relu", [g.dense(image, [784], 128, "hidden.dense_0")], [128]);
    g.dense(hidden, [128], 10, "logits.dense_0");
    const graph = g.build();
    expect(inferenceMultiplyAddsPerSample(graph)).toBe(784 * 128 + 128 * 10);
    // First dense: forward + weight gradient; second: forward + weight + input gradient.
    expect(trainingMultiplyAddsPerSample(graph)).toBe(2 * 784 * 128 + 3 * 128 * 10);
  });

  it("counts a dense layer on [T, D] once per position", () => {
    const g = new GraphBuilder("Seq");
    const x = g.input("x", [8, 32]);
    g.dense(x, [8, 32], 10, "y.dense_0");
    expect(inferenceMultiplyAddsPerSample(g.build())).toBe(8 * 32 * 10);
  });

  it("counts conv2d per output pixel and attention's projections and heads", () => {
    const g = new GraphBuilder("Mixed");
    const image = g.input("image", [28, 28, 1]);
    g.layer("conv2d", [image], [28, 28, 16], { filters: 16, kernel: 3, padding: "same" }, "f.conv2d_0", [
      { name: "weight", shape: [16, 1, 3, 3] },
    ]);
    const x = g.input("x", [8, 32]);
    const qkvo = ["q", "k", "v", "out"].flatMap((p) => [{ name: `${p}.weight`, shape: [32, 32] }, { name: `${p}.bias`, shape: [32] }]);
    g.layer("self_attention", [x], [8, 32], { heads: 4, causal: false }, "a.self_attention_0", qkvo);
    const conv = 28 * 28 * 16 * 9;
    const projections = 4 * 8 * 32 * 32;
    const heads = 2 * 8 * 8 * 32;
    expect(inferenceMultiplyAddsPerSample(g.build())).toBe(conv + projections + heads);
    // Neither input needs a gradient: conv does forward + weights; attention forward, its four
    // weight gradients, the out projection's input gradient and both operands of both head products.
    expect(trainingMultiplyAddsPerSample(g.build())).toBe(2 * conv + 2 * projections + 8 * 32 * 32 + 3 * heads);
  });
});
