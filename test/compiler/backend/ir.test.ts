// The compile-time passes as specifications: what lowering, fusion and autodiff decide.

import { describe, expect, it } from "vitest";
import { compileToIr, emitModule } from "../../../compiler/compile.js";
import { differentiate } from "../../../compiler/ir/autodiff.js";
import { checkText } from "../../../compiler/check/index.js";
import { LoweringError } from "../../../compiler/ir/lower.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import { GraphBuilder } from "./graphs.js";

function mlp(activation: string, args: Record<string, number> = {}) {
  const g = new GraphBuilder();
  const x = g.input("x", [4]);
  const h = g.unary("h", activation, g.dense("h", x, 3), args);
  const y = g.dense("y", h, 2);
  g.output("y", y);
  g.loss("mse", y, g.target("t", [2]));
  return g.build();
}

describe("fusion", () => {
  it("folds relu into the dense that feeds it", () => {
    const ir = compileToIr(mlp("relu"));
    expect(ir.ops.map((o) => o.op)).toEqual(["dense", "dense"]);
    expect(ir.ops[0]!.attrs["activation"]).toBe("relu");
  });
  it("folds relu into batch_norm, as in conv |> batch_norm |> relu", () => {
    const g = new GraphBuilder();
    const x = g.input("image", [4, 4, 1]);
    const y = g.unary("f", "relu", g.norm("f", "batch_norm", g.conv2d("f", x, 2, 3)));
    g.output("y", y);
    const ir = compileToIr(g.build());
    expect(ir.ops.map((o) => `${o.op}${o.attrs["activation"] ? `+${String(o.attrs["activation"])}` : ""}`)).toEqual(["conv2d", "batch_norm+relu"]);
  });
  it("keeps gelu apart: its derivative needs the input", () => {
    expect(compileToIr(mlp("gelu")).ops.map((o) => o.op)).toEqual(["dense", "activation", "dense"]);
  });
  it("keeps leaky_relu with a negative slope apart: the output's sign no longer tells the input's", () => {
    expect(compileToIr(mlp("leaky_relu", { alpha: -0.5 })).ops.map((o) => o.op)).toEqual(["dense", "activation", "dense"]);
  });
  it("does not fuse when the pre-activation value is read elsewhere", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [4]);
    const d = g.dense("h", x, 4);
    const y = g.layer("y", "add", [d, g.unary("h", "relu", d)], {}, [4]);
    g.output("y", y);
    expect(compileToIr(g.build()).ops.map((o) => o.op)).toEqual(["dense", "activation", "add"]);
  });
});

describe("autodiff", () => {
  it("gives no gradient to inputs, targets or int tensors", () => {
    const g = new GraphBuilder();
    const tokens = g.input("tokens", [3], 5);
    const e = g.layer("x", "embedding", [tokens], { dim: 4 }, [3, 4], [
      { suffix: "weight", shape: [5, 4], init: { scheme: "normal", args: { std: 1 }, fanIn: 5, fanOut: 4 }, trainable: true },
    ]);
    const logits = g.dense("y", e, 5);
    g.output("y", logits);
    g.loss("softmax_cross_entropy", logits, g.target("t", [3], 5));
    const ir = compileToIr(g.build());
    const schedule = differentiate(ir);
    for (const v of ir.values) {
      if (v.role === "input" || v.role === "target") expect(schedule.needsGrad[v.id], v.name).toBe(false);
    }
    const embeddingStep = schedule.steps.find((s) => ir.ops[s.op]!.op === "embedding")!;
    expect(embeddingStep.grads).toEqual([null, { accumulate: false }]);
  });

  it("overwrites a gradient at its last reader and adds at the earlier ones (a residual)", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [4]);
    const h = g.dense("h", x, 4);
    const r = g.layer("r", "add", [h, g.unary("r", "tanh", g.dense("f", h, 4))], {}, [4]);
    g.output("r", r);
    g.loss("mse", r, g.target("t", [4]));
    const ir = compileToIr(g.build());
    const schedule = differentiate(ir);
    const h0 = ir.ops[0]!.output;
    const writes = schedule.steps.flatMap((s) =>
      ir.ops[s.op]!.inputs.flatMap((v, i) => (v === h0 && s.grads[i] ? [{ op: ir.ops[s.op]!.op, accumulate: s.grads[i]!.accumulate }] : [])),
    );
    // Backward runs add first (the last reader), then f's dense.
    expect(writes).toEqual([
      { op: "add", accumulate: false },
      { op: "dense", accumulate: true },
    ]);
  });

  it("skips branches the loss never reads", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [4]);
    const used = g.dense("a", x, 2);
    const unused = g.dense("b", x, 2);
    g.output("a", used);
    g.output("b", unused);
    g.loss("mse", used, g.target("t", [2]));
    const ir = compileToIr(g.build());
    const steps = differentiate(ir).steps.map((s) => ir.ops[s.op]!.label);
    expect(steps).toEqual(["a.dense_0"]);
  });
});

describe("lowering errors", () => {
  it("names the .nn line when the checker's shape and the back end's disagree", () => {
    const graph = mlp("relu");
    graph.nodes[2]!.type = { shape: [5], kind: "float" };
    expect(() => emitModule(graph)).toThrow(LoweringError);
    expect(() => emitModule(graph)).toThrow("the back end computes shape [3] where the checker inferred [5]");
  });
  it("names an op the back end does not know", () => {
    const graph = mlp("relu");
    graph.nodes[2]!.op = "swish";
    expect(() => emitModule(graph)).toThrow("cannot compile 'swish'");
  });
  it("prints file:line:col like every other error", async () => {
    const graph = mlp("relu");
    graph.nodes[2]!.op = "swish";
    graph.nodes[2]!.source = { line: 7, column: 12, text: "swish" };
    await expect(loadModelFromGraph(graph, {}, "model.nn")).rejects.toThrow(
      /^model\.nn:7:12: error: swish: the back end cannot compile 'swish' yet$/,
    );
  });
});

describe("emitted source", () => {
  it("shares one kernel between layers of one specialisation, and names them all in its comment", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [8]);
    const a = g.dense("a", x, 8);
    const b = g.dense("b", a, 8); // the same specialisation as a
    const c = g.dense("c", b, 4); // another shape: a kernel of its own
    g.output("c", c);
    const source = emitModule(g.build());
    const kernels = [...source.matchAll(/((?:\/\/.*\n)+)function (k\d+_\w+)\(/g)];
    expect(kernels.map((k) => k[2]).filter((name) => !name.endsWith("_backward"))).toEqual(["k0_dense", "k2_dense"]);
    expect(kernels[0]![1]).toContain("a.dense_0: forward");
    expect(kernels[0]![1]).toContain("line 1:");
    expect(kernels[0]![1]).toContain("also called for b.dense_0 (line 1)");
    expect(kernels[1]![1]).toContain("c.dense_0: forward");
    expect(source).toContain("k0_dense(n, b.a_dense, b.b_dense_weight, b.b_dense_bias, b.b_dense);");
  });
});

describe("composites", () => {
  it("lower to the ops of the entries they are written from, named as their parts", () => {
    const checked = checkText("model M {\n  input x: [4]\n  output y = x |> dense(3) |> mish\n}\n");
    const ir = compileToIr(checked.models[0]!);
    const parts = ir.ops.filter((op) => op.label.includes("mish"));
    expect(parts.map((op) => [op.op, op.label])).toEqual([
      ["activation", "y.mish_0.softplus_0"],
      ["activation", "y.mish_0.tanh_0"],
      ["mul", "y.mish_0"],
    ]);
  });
});
