// The four examples: accepted without a diagnostic, with the parameter names, shapes and
// totals a checkpoint will carry (totals computed by hand in the comments).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { check, graph, paramTable, totalParams } from "./helpers.js";

const example = (name: string) => readFileSync(join(import.meta.dirname, "../../../examples", `${name}.nn`), "utf8");

describe("examples", () => {
  it.each(["mnist_mlp", "mnist_cnn", "reverse", "xor"])("%s checks with no diagnostic at all", (name) => {
    expect(check(example(name)).diagnostics).toEqual([]);
  });

  it("mnist_mlp: 784*128 + 128 + 128*10 + 10 = 101,770", () => {
    const g = graph(example("mnist_mlp"));
    expect(paramTable(g)).toEqual([
      "hidden.dense_0.weight [128, 784]",
      "hidden.dense_0.bias [128]",
      "logits.dense_0.weight [10, 128]",
      "logits.dense_0.bias [10]",
    ]);
    expect(totalParams(g)).toBe(101_770);
    expect(g.params[0]!.init).toEqual({ scheme: "he_normal", args: {}, fanIn: 784, fanOut: 128 });
    expect(g.params[1]!.init).toEqual({ scheme: "uniform", args: { limit: 1 / Math.sqrt(784) }, fanIn: 784, fanOut: 128 });
    expect(g.nodes.map((n) => n.op)).toEqual(["input", "dense", "relu", "dropout", "dense"]);
    expect(g.nodes[3]!.args).toEqual({ p: 0.2 });
    expect(g.losses).toEqual([
      { op: "softmax_cross_entropy", prediction: 4, target: "digit", source: expect.objectContaining({ line: 12 }) },
    ]);
    expect(g.optimizer).toEqual({
      name: "adam",
      args: { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, clip_norm: 0 },
      schedule: { name: "constant", args: {} },
    });
    expect(g.train).toEqual({ batch: 64, epochs: 10 });
    expect(g.inputs).toEqual([{ name: "image", type: { shape: [784], kind: "float" }, node: 0 }]);
    expect(g.targets).toEqual([{ name: "digit", type: { shape: [], kind: "int", vocab: 10 } }]);
    expect(g.outputs).toEqual([{ name: "logits", type: { shape: [10], kind: "float" }, node: 4 }]);
  });

  it("mnist_cnn: conv 160 + bn 64 + conv 4,640 + bn 128 + dense 100,416 + dense 650 = 106,058 (96 of them running statistics)", () => {
    const g = graph(example("mnist_cnn"));
    expect(paramTable(g)).toEqual([
      "features.conv2d_0.weight [16, 1, 3, 3]",
      "features.conv2d_0.bias [16]",
      "features.batch_norm_0.weight [16]",
      "features.batch_norm_0.bias [16]",
      "features.batch_norm_0.running_mean [16] buffer",
      "features.batch_norm_0.running_var [16] buffer",
      "features.conv2d_1.weight [32, 16, 3, 3]",
      "features.conv2d_1.bias [32]",
      "features.batch_norm_1.weight [32]",
      "features.batch_norm_1.bias [32]",
      "features.batch_norm_1.running_mean [32] buffer",
      "features.batch_norm_1.running_var [32] buffer",
      "logits.dense_0.weight [64, 1568]",
      "logits.dense_0.bias [64]",
      "logits.dense_1.weight [10, 64]",
      "logits.dense_1.bias [10]",
    ]);
    expect(totalParams(g)).toBe(106_058);
    expect(g.nodes.map((n) => `${n.op} [${n.type.shape}]`)).toEqual([
      "input [28,28,1]",
      "conv2d [28,28,16]",
      "batch_norm [28,28,16]",
      "relu [28,28,16]",
      "max_pool2d [14,14,16]",
      "conv2d [14,14,32]",
      "batch_norm [14,14,32]",
      "relu [14,14,32]",
      "max_pool2d [7,7,32]",
      "flatten [1568]",
      "dense [64]",
      "relu [64]",
      "dropout [64]",
      "dense [10]",
    ]);
    expect(g.nodes[1]!.args).toMatchObject({ filters: 16, kernel: 3, stride: 1, padding: "same", bias: true });
    expect(g.nodes[4]!.args).toEqual({ size: 2, stride: 2 });
  });

  it("reverse: 320 + 256 + 64 + 4,224 + 64 + 8,352 + 64 + 330 = 13,674, block parameters under the call", () => {
    const g = graph(example("reverse"));
    expect(paramTable(g)).toEqual([
      "x.embedding_0.weight [10, 32]",
      "x.positional_0.weight [8, 32]",
      "x_1.layer_norm_0.weight [32]",
      "x_1.layer_norm_0.bias [32]",
      "x_1.self_attention_0.q.weight [32, 32]",
      "x_1.self_attention_0.q.bias [32]",
      "x_1.self_attention_0.k.weight [32, 32]",
      "x_1.self_attention_0.k.bias [32]",
      "x_1.self_attention_0.v.weight [32, 32]",
      "x_1.self_attention_0.v.bias [32]",
      "x_1.self_attention_0.out.weight [32, 32]",
      "x_1.self_attention_0.out.bias [32]",
      "x_2.layer_norm_0.weight [32]",
      "x_2.layer_norm_0.bias [32]",
      "x_2.FeedForward_0.y.dense_0.weight [128, 32]",
      "x_2.FeedForward_0.y.dense_0.bias [128]",
      "x_2.FeedForward_0.y.dense_1.weight [32, 128]",
      "x_2.FeedForward_0.y.dense_1.bias [32]",
      "logits.layer_norm_0.weight [32]",
      "logits.layer_norm_0.bias [32]",
      "logits.dense_0.weight [10, 32]",
      "logits.dense_0.bias [10]",
    ]);
    expect(totalParams(g)).toBe(13_674);
    expect(g.outputs[0]!.type.shape).toEqual([8, 10]);
    expect(g.optimizer!.args.weight_decay).toBe(0.01);
    const add = g.nodes.find((n) => n.op === "add")!;
    expect(g.nodes[add.inputs[0]!]!.op).toBe("embedding");
    expect(g.nodes[add.inputs[1]!]!.op).toBe("positional");
  });

  it("xor: 2*4 + 4 + 4*1 + 1 = 17", () => {
    const g = graph(example("xor"));
    expect(totalParams(g)).toBe(17);
    expect(g.params[0]!.init.scheme).toBe("xavier_uniform");
    expect(g.optimizer).toMatchObject({ name: "sgd", args: { lr: 0.5, momentum: 0.9, nesterov: false } });
    expect(g.losses[0]!.op).toBe("binary_cross_entropy");
  });

  it("every node's inputs come before it, and parameters are listed in node order", () => {
    for (const name of ["mnist_mlp", "mnist_cnn", "reverse", "xor"]) {
      const g = graph(example(name));
      g.nodes.forEach((n, i) => {
        expect(n.id).toBe(i);
        for (const input of n.inputs) expect(input).toBeLessThan(i);
      });
      expect(g.params).toEqual(g.nodes.flatMap((n) => n.params));
    }
  });
});
