// Every op's backward kernel against central finite differences, in float64, on small random
// shapes with batch sizes 1 and odd. Each op under test sits behind a dense layer (or a
// parameter of its own) so that the gradient it hands to its input is checked too: a wrong
// input gradient shows up as a wrong weight gradient upstream.

import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import type { ModelGraph } from "../../../compiler/graph.js";
import { GraphBuilder } from "./graphs.js";
import { gradCheck } from "./gradcheck.js";

const TOLERANCE = 1e-6;

async function expectGradientsMatch(graph: ModelGraph, batchSizes = [1, 3]): Promise<void> {
  for (const size of batchSizes) {
    const result = await gradCheck(graph, size, { perParam: 40 });
    expect(result.checked).toBeGreaterThan(0);
    expect(result.worst, `batch ${size}: ${result.where}`).toBeLessThan(TOLERANCE);
  }
}

/** input [width] -> dense(width) -> f -> dense(classes) -> softmax_cross_entropy. */
function classifier(f: (g: GraphBuilder, h: number) => number, width = 6, inputShape: number[] = [5]): ModelGraph {
  const g = new GraphBuilder();
  const x = g.input("x", inputShape);
  const h = f(g, g.dense("h", x, width));
  const logits = g.dense("logits", h, 3);
  g.output("logits", logits);
  g.loss("softmax_cross_entropy", logits, g.target("y", g.shape(logits).slice(0, -1), 3));
  return g.build();
}

describe("activations", () => {
  for (const [fn, args] of [
    ["relu", {}],
    ["leaky_relu", { alpha: 0.1 }],
    ["sigmoid", {}],
    ["tanh", {}],
    ["elu", { alpha: 0.7 }],
    ["gelu", {}],
    ["silu", {}],
    ["identity", {}],
    ["softmax", {}],
  ] as const) {
    it(`${fn}, fused into dense where it can be`, async () => {
      await expectGradientsMatch(classifier((g, h) => g.unary("h", fn, h, args)));
    });
    it(`${fn}, on its own (its input read twice)`, async () => {
      await expectGradientsMatch(classifier((g, h) => g.layer("h", "add", [h, g.unary("h", fn, h, args)], {}, g.shape(h))));
    });
  }
});

describe("dense", () => {
  it("without bias, on a [T, D] input (weights shared over T)", async () => {
    await expectGradientsMatch(
      classifier((g, h) => g.dense("h2", h, 9, { bias: false }), 7, [4, 5]),
      [1, 2, 5],
    );
  });
  it("with widths around the 4x3 register block (1, 3, 4, 5, 7, 8, 13)", async () => {
    for (const width of [1, 3, 4, 5, 7, 8, 13]) {
      await expectGradientsMatch(classifier((g, h) => g.unary("h", "tanh", h), width), [1, 5]);
    }
  });
});

describe("element-wise operators", () => {
  for (const op of ["add", "sub", "mul"]) {
    it(`${op} with broadcasting [T, D] and [D]`, async () => {
      await expectGradientsMatch(
        classifier((g, h) => {
          const d = g.dense("d", g.input("z", [6]), 6);
          return g.layer("h", op, [h, d], {}, g.shape(h));
        }, 6, [3, 5]),
      );
    });
    it(`${op} of a value with itself`, async () => {
      await expectGradientsMatch(classifier((g, h) => g.layer("h", op, [h, h], {}, g.shape(h))));
    });
  }
  it("scale by a negative constant", async () => {
    await expectGradientsMatch(classifier((g, h) => g.unary("h", "scale", h, { factor: -0.75 })));
  });
});

describe("shape ops", () => {
  it("flatten and reshape", async () => {
    await expectGradientsMatch(
      classifier((g, h) => {
        const flat = g.layer("h", "flatten", [h], {}, [12]);
        return g.layer("h", "reshape", [flat], { shape: [2, 6] }, [2, 6]);
      }, 4, [3, 5]),
    );
  });
  it("concat on the last and the first axis", async () => {
    for (const axis of [-1, 0]) {
      await expectGradientsMatch(
        classifier((g, h) => {
          const other = g.dense("o", g.input("z", [3, 2]), 6);
          const shape = axis === -1 ? [3, 12] : [6, 6];
          return g.layer("h", "concat", [h, other], { axis }, shape);
        }, 6, [3, 5]),
      );
    }
  });
  it("dropout with p = 0 is the identity", async () => {
    await expectGradientsMatch(classifier((g, h) => g.unary("h", "dropout", h, { p: 0 })));
  });
});

describe("convolution and pooling", () => {
  function cnn(f: (g: GraphBuilder, x: number) => number, input = [6, 5, 2]): ModelGraph {
    const g = new GraphBuilder();
    const x = g.input("image", input);
    const features = f(g, x);
    const flat = g.layer("f", "flatten", [features], {}, [g.shape(features).reduce((a, b) => a * b, 1)]);
    const logits = g.dense("logits", flat, 3);
    g.output("logits", logits);
    g.loss("softmax_cross_entropy", logits, g.target("y", [], 3));
    return g.build();
  }
  it("conv2d valid, 3x3, with relu fused", async () => {
    await expectGradientsMatch(cnn((g, x) => g.unary("c", "relu", g.conv2d("c", x, 3, 3))));
  });
  it("conv2d same padding, then a second conv2d (input gradient of the first checked)", async () => {
    await expectGradientsMatch(cnn((g, x) => g.conv2d("c", g.conv2d("c", x, 3, 3, { padding: "same" }), 2, 2, { padding: "same" })));
  });
  it("conv2d stride 2", async () => {
    await expectGradientsMatch(cnn((g, x) => g.conv2d("c", g.conv2d("c", x, 2, 3, { stride: 2 }), 2, 1)));
  });
  for (const op of ["max_pool2d", "avg_pool2d"] as const) {
    it(`${op} 2x2 (odd input: the last row and column dropped)`, async () => {
      await expectGradientsMatch(cnn((g, x) => g.pool("p", op, g.conv2d("c", x, 3, 2, { padding: "same" }), 2), [5, 7, 2]));
    });
  }
});

describe("normalisation", () => {
  it("layer_norm", async () => {
    await expectGradientsMatch(classifier((g, h) => g.norm("h", "layer_norm", h), 6, [3, 5]));
  });
  it("batch_norm with relu fused, on conv2d features", async () => {
    const g = new GraphBuilder();
    const x = g.input("image", [4, 3, 2]);
    const features = g.unary("f", "relu", g.norm("f", "batch_norm", g.conv2d("f", x, 3, 2)));
    const flat = g.layer("f", "flatten", [features], {}, [18]);
    const logits = g.dense("logits", flat, 3);
    g.output("logits", logits);
    g.loss("softmax_cross_entropy", logits, g.target("y", [], 3));
    await expectGradientsMatch(g.build());
  });
  it("batch_norm over batch and positions", async () => {
    await expectGradientsMatch(classifier((g, h) => g.norm("h", "batch_norm", h), 5, [4, 3]), [1, 3]);
  });
});

describe("sequences", () => {
  function sequenceModel(f: (g: GraphBuilder, x: number) => number, T = 5, D = 8, V = 7): ModelGraph {
    const g = new GraphBuilder();
    const tokens = g.input("tokens", [T], V);
    const embedded = g.layer("x", "embedding", [tokens], { dim: D }, [T, D], [
      { suffix: "weight", shape: [V, D], init: { scheme: "normal", args: { std: 1 }, fanIn: V, fanOut: D }, trainable: true },
    ]);
    const position = g.layer("x", "positional", [], { T, D }, [T, D], [
      { suffix: "weight", shape: [T, D], init: { scheme: "normal", args: { std: 0.5 }, fanIn: D, fanOut: T }, trainable: true },
    ]);
    const x = g.layer("x", "add", [embedded, position], {}, [T, D]);
    const logits = g.dense("logits", f(g, x), V);
    g.output("logits", logits);
    g.loss("softmax_cross_entropy", logits, g.target("next", [T], V));
    return g.build();
  }
  it("embedding, positional and a [T, K] softmax cross-entropy", async () => {
    await expectGradientsMatch(sequenceModel((_g, x) => x));
  });
  it("self_attention with 2 heads", async () => {
    await expectGradientsMatch(sequenceModel((g, x) => g.attention("a", x, x, x, 2, false, true)));
  });
  it("causal self_attention with 4 heads in a residual", async () => {
    await expectGradientsMatch(
      sequenceModel((g, x) => g.layer("x", "add", [x, g.attention("a", x, x, x, 4, true, true)], {}, g.shape(x))),
    );
  });
  it("attention(q, k, v) with a longer key sequence", async () => {
    await expectGradientsMatch(
      sequenceModel((g, x) => {
        const memory = g.dense("m", g.input("memory", [9, 3]), 8);
        return g.attention("a", x, memory, memory, 2);
      }),
    );
  });
});

describe("losses", () => {
  function regression(loss: string, f: (g: GraphBuilder, h: number) => number = (_g, h) => h): ModelGraph {
    const g = new GraphBuilder();
    const x = g.input("x", [4]);
    const p = f(g, g.dense("p", x, 3));
    g.output("p", p);
    g.loss(loss, p, g.target("t", [3]));
    return g.build();
  }
  it("mse", async () => {
    await expectGradientsMatch(regression("mse"));
  });
  it("binary_cross_entropy after sigmoid", async () => {
    await expectGradientsMatch(regression("binary_cross_entropy", (g, h) => g.unary("p", "sigmoid", h)));
  });
  it("cross_entropy after softmax", async () => {
    await expectGradientsMatch(regression("cross_entropy", (g, h) => g.unary("p", "softmax", h)));
  });
  it("two losses on one output are summed", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", [4]);
    const p = g.unary("p", "sigmoid", g.dense("p", x, 3));
    g.output("p", p);
    g.loss("mse", p, g.target("t", [3]));
    g.loss("binary_cross_entropy", p, g.target("u", [3]));
    await expectGradientsMatch(g.build());
  });
});

describe("from .nn text through the checker", () => {
  async function expectTextGradientsMatch(text: string): Promise<void> {
    const result = checkText(text, "test.nn");
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    await expectGradientsMatch(result.models[0]!);
  }

  it("concat, reshape, scale, negation, sub and mul", async () => {
    await expectTextGradientsMatch(`
      model M {
        input a: [3, 4]
        input b: [3, 2]
        target y: int(5)
        h = concat(a |> dense(4), b |> dense(3) |> elu, axis: -1)
        g = (h * 0.5 - h |> tanh) * (h |> sigmoid)
        output logits = -g |> reshape([21]) |> flatten |> dense(5) |> leaky_relu(0.2) |> dense(5)
        loss softmax_cross_entropy(logits, y)
      }`);
  });

  it("conv2d with stride, avg_pool2d, layer_norm and silu", async () => {
    await expectTextGradientsMatch(`
      model M {
        input image: [7, 7, 2]
        target y: [3]
        f = image |> conv2d(3, kernel: 3, stride: 2) |> avg_pool2d(1) |> layer_norm |> silu |> flatten
        output p = f |> dense(3) |> softmax
        loss cross_entropy(p, y)
      }`);
  });

  it("attention(q, k, v) with causal masking and two inputs", async () => {
    await expectTextGradientsMatch(`
      model M {
        input q: [4, 6]
        input kv: [4, 3]
        target t: [4, 6]
        m = kv |> dense(6)
        output y = attention(q |> dense(6), m, m, heads: 3, causal: true) |> gelu
        loss mse(y, t)
      }`);
  });
});
