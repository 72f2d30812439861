// The shape rules of the library, entry by entry, called directly: input types and
// arguments in, output type and weights (or a refusal) out.
import { describe, expect, it } from "vitest";
import type { ArgValue, TensorType } from "../../../compiler/graph.js";
import {
  initEntries,
  isLayerError,
  layerEntries,
  lossEntries,
  optimizerEntries,
  scheduleEntries,
  type LayerResult,
} from "../../../compiler/library/index.js";

const f = (...shape: number[]): TensorType => ({ shape, kind: "float" });
const ints = (vocab: number, ...shape: number[]): TensorType => ({ shape, kind: "int", vocab });

/** Applies an entry with its defaults filled in, as the checker does. */
function apply(name: string, inputs: TensorType[], args: Record<string, ArgValue> = {}) {
  const entry = layerEntries.get(name);
  if (!entry) throw new Error(`no entry ${name}`);
  const filled: Record<string, ArgValue> = {};
  for (const a of entry.args) if (a.default !== undefined) filled[a.name] = a.default;
  return entry.infer(inputs, { ...filled, ...args });
}

function ok(r: ReturnType<typeof apply>): LayerResult {
  if (isLayerError(r)) throw new Error(`refused: ${r.error}`);
  return r;
}

function refusal(r: ReturnType<typeof apply>): { error: string; at?: string } {
  if (!isLayerError(r)) throw new Error(`accepted with shape [${r.type.shape}]`);
  return r;
}

const weights = (r: LayerResult) => r.weights.map((w) => `${w.name} [${w.shape.join(", ")}]${w.trainable ? "" : " buffer"}`);

describe("dense", () => {
  it("maps the last axis to units and shares weights over the leading axes", () => {
    const r = ok(apply("dense", [f(8, 32)], { units: 128 }));
    expect(r.type.shape).toEqual([8, 128]);
    expect(weights(r)).toEqual(["weight [128, 32]", "bias [128]"]);
  });
  it("initialises like PyTorch's Linear: uniform(1/sqrt(fanIn)) for weight and bias", () => {
    const r = ok(apply("dense", [f(784)], { units: 128 }));
    for (const w of r.weights) expect(w.init).toEqual({ scheme: "uniform", args: { limit: 1 / Math.sqrt(784) }, fanIn: 784, fanOut: 128 });
  });
  it("uses init: for the weight and bias_init: for the bias", () => {
    const r = ok(
      apply("dense", [f(4)], {
        units: 2,
        init: { kind: "call", name: "he_normal", args: {} },
        bias_init: { kind: "call", name: "constant", args: { value: 0.1 } },
      }),
    );
    expect(r.weights[0]!.init).toEqual({ scheme: "he_normal", args: {}, fanIn: 4, fanOut: 2 });
    expect(r.weights[1]!.init).toEqual({ scheme: "constant", args: { value: 0.1 }, fanIn: 4, fanOut: 2 });
  });
  it("drops the bias with bias: false", () => {
    expect(weights(ok(apply("dense", [f(4)], { units: 2, bias: false })))).toEqual(["weight [2, 4]"]);
  });
  it("refuses int tensors and scalars", () => {
    expect(refusal(apply("dense", [ints(10, 8)], { units: 2 })).error).toContain("needs a float tensor, got int(10)[8]");
    expect(refusal(apply("dense", [f()], { units: 2 })).error).toContain("at least one axis");
  });
});

describe("conv2d", () => {
  it("valid padding shrinks by kernel - 1; weights in PyTorch layout [out, in, kh, kw]", () => {
    const r = ok(apply("conv2d", [f(28, 28, 1)], { filters: 16, kernel: 5 }));
    expect(r.type.shape).toEqual([24, 24, 16]);
    expect(weights(r)).toEqual(["weight [16, 1, 5, 5]", "bias [16]"]);
    expect(r.weights[0]!.init.fanIn).toBe(25);
    expect(r.weights[0]!.init.fanOut).toBe(16 * 25);
  });
  it("same padding keeps height and width", () => {
    expect(ok(apply("conv2d", [f(28, 28, 3)], { filters: 8, kernel: 3, padding: "same" })).type.shape).toEqual([28, 28, 8]);
  });
  it("stride divides the output, rounding down", () => {
    expect(ok(apply("conv2d", [f(28, 28, 1)], { filters: 4, kernel: 3, stride: 2 })).type.shape).toEqual([13, 13, 4]);
  });
  it("refuses same padding with a stride, at the padding argument", () => {
    expect(refusal(apply("conv2d", [f(8, 8, 1)], { filters: 4, kernel: 3, stride: 2, padding: "same" }))).toMatchObject({ at: "padding" });
  });
  it("refuses a non-image input and a kernel larger than the image", () => {
    expect(refusal(apply("conv2d", [f(784)], { filters: 4, kernel: 3 })).error).toContain("rank 3), got [784]");
    expect(refusal(apply("conv2d", [f(2, 2, 1)], { filters: 4, kernel: 3 })).error).toContain("kernel 3 does not fit the 2x2 input");
  });
});

describe("pooling", () => {
  it("strides by its size unless told otherwise", () => {
    expect(ok(apply("max_pool2d", [f(28, 28, 16)], { size: 2 })).type.shape).toEqual([14, 14, 16]);
    expect(ok(apply("avg_pool2d", [f(7, 7, 8)], { size: 2 })).type.shape).toEqual([3, 3, 8]);
    const r = ok(apply("max_pool2d", [f(8, 8, 1)], { size: 3, stride: 1 }));
    expect(r.type.shape).toEqual([6, 6, 1]);
  });
  it("records the stride it used", () => {
    expect(ok(apply("max_pool2d", [f(8, 8, 1)], { size: 2 })).args).toEqual({ stride: 2 });
  });
  it("refuses a window larger than the image", () => {
    expect(refusal(apply("avg_pool2d", [f(4, 4, 1)], { size: 5 })).error).toBe("pool size 5 does not fit the 4x4 input of 'avg_pool2d'");
  });
});

describe("flatten and reshape", () => {
  it("flatten keeps the element count on one axis", () => {
    expect(ok(apply("flatten", [f(7, 7, 32)])).type.shape).toEqual([1568]);
  });
  it("reshape keeps the element count and infers one -1", () => {
    expect(ok(apply("reshape", [f(784)], { shape: [28, 28, 1] })).type.shape).toEqual([28, 28, 1]);
    const r = ok(apply("reshape", [f(784)], { shape: [-1, 28] }));
    expect(r.type.shape).toEqual([28, 28]);
    expect(r.args).toEqual({ shape: [28, 28] });
  });
  it("reshape refuses a different element count", () => {
    expect(refusal(apply("reshape", [f(784)], { shape: [27, 28] })).error).toContain("(784 elements) into [27, 28] (756 elements)");
    expect(refusal(apply("reshape", [f(10)], { shape: [-1, 3] })).error).toContain("cannot fit [10]");
  });
});

describe("embedding and positional", () => {
  it("embedding reads V from int(V) and appends dim", () => {
    const r = ok(apply("embedding", [ints(10, 8)], { dim: 32 }));
    expect(r.type).toEqual({ shape: [8, 32], kind: "float" });
    expect(r.weights[0]).toMatchObject({ name: "weight", shape: [10, 32], init: { scheme: "normal", args: { std: 1 } } });
  });
  it("embedding refuses float input", () => {
    expect(refusal(apply("embedding", [f(8)], { dim: 4 })).error).toBe("'embedding' needs int(V) token ids, got [8]");
  });
  it("positional takes no input and owns a [T, D] table initialised normal(0.02)", () => {
    const r = ok(apply("positional", [], { T: 8, D: 32 }));
    expect(r.type.shape).toEqual([8, 32]);
    expect(r.weights[0]).toMatchObject({ shape: [8, 32], init: { scheme: "normal", args: { std: 0.02 } } });
  });
});

describe("attention", () => {
  it("self_attention keeps [T, D] and owns q, k, v, out projections as torch.nn.MultiheadAttention", () => {
    const r = ok(apply("self_attention", [f(8, 32)], { heads: 4 }));
    expect(r.type.shape).toEqual([8, 32]);
    expect(weights(r)).toEqual([
      "q.weight [32, 32]",
      "q.bias [32]",
      "k.weight [32, 32]",
      "k.bias [32]",
      "v.weight [32, 32]",
      "v.bias [32]",
      "out.weight [32, 32]",
      "out.bias [32]",
    ]);
    expect(r.weights[0]!.init.scheme).toBe("xavier_uniform");
    expect(r.weights[1]!.init.scheme).toBe("zeros");
    expect(r.weights[6]!.init).toMatchObject({ scheme: "uniform", args: { limit: 1 / Math.sqrt(32) } });
  });
  it("refuses heads that do not divide the width, at the layer", () => {
    expect(refusal(apply("self_attention", [f(8, 30)], { heads: 4 }))).toEqual({ error: "30 is not divisible by 4 heads" });
  });
  it("refuses a non-sequence", () => {
    expect(refusal(apply("self_attention", [f(32)], { heads: 4 })).error).toContain("needs a sequence [T, D]");
  });
  it("attention takes the query length from q and needs matching keys and values", () => {
    expect(ok(apply("attention", [f(4, 16), f(6, 16), f(6, 16)], { heads: 2 })).type.shape).toEqual([4, 16]);
    expect(refusal(apply("attention", [f(4, 16), f(6, 16), f(5, 16)])).error).toContain("as many keys as values");
    expect(refusal(apply("attention", [f(4, 16), f(6, 16), f(6, 16)], { causal: true }))).toMatchObject({ at: "causal" });
  });
});

describe("concat", () => {
  it("joins along the last axis by default and records the axis as non-negative", () => {
    const r = ok(apply("concat", [f(8, 3), f(8, 5)]));
    expect(r.type.shape).toEqual([8, 8]);
    expect(r.args).toEqual({ axis: 1 });
  });
  it("joins along any axis", () => {
    expect(ok(apply("concat", [f(2, 3), f(4, 3)], { axis: 0 })).type.shape).toEqual([6, 3]);
  });
  it("refuses other axes that differ, a rank mismatch, and an axis out of range", () => {
    expect(refusal(apply("concat", [f(3, 4), f(5, 6)])).error).toContain("shape mismatch: [3, 4] vs [5, 6]");
    expect(refusal(apply("concat", [f(3), f(3, 1)])).error).toContain("one rank");
    expect(refusal(apply("concat", [f(3), f(3)], { axis: 1 }))).toMatchObject({ at: "axis" });
  });
});

describe("activations and normalisation", () => {
  const activations = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "gelu", "silu", "elu", "identity", "dropout"];
  it.each(activations)("%s keeps the shape, owns nothing and refuses ints", (name) => {
    const r = ok(apply(name, [f(3, 5)]));
    expect(r.type.shape).toEqual([3, 5]);
    expect(r.weights).toEqual([]);
    expect(refusal(apply(name, [ints(4, 3)])).error).toContain("needs a float tensor");
  });
  it("defaults follow PyTorch", () => {
    const defaults = (name: string) => Object.fromEntries(layerEntries.get(name)!.args.map((a) => [a.name, a.default]));
    expect(defaults("leaky_relu")).toEqual({ alpha: 0.01 });
    expect(defaults("elu")).toEqual({ alpha: 1 });
    expect(defaults("batch_norm")).toEqual({ momentum: 0.1, eps: 1e-5 });
    expect(defaults("layer_norm")).toEqual({ eps: 1e-5 });
    expect(defaults("conv2d")).toMatchObject({ stride: 1, padding: "valid", bias: true });
  });
  it("batch_norm owns per-channel weight and bias and non-trainable running statistics", () => {
    const r = ok(apply("batch_norm", [f(14, 14, 16)]));
    expect(weights(r)).toEqual(["weight [16]", "bias [16]", "running_mean [16] buffer", "running_var [16] buffer"]);
    expect(r.weights.map((w) => w.init.scheme)).toEqual(["ones", "zeros", "zeros", "ones"]);
  });
  it("layer_norm owns weight and bias over the last axis", () => {
    expect(weights(ok(apply("layer_norm", [f(8, 32)])))).toEqual(["weight [32]", "bias [32]"]);
  });
});

describe("losses", () => {
  const names = { prediction: "p", target: "t" };
  it("softmax_cross_entropy wants logits shaped as the int(K) target plus [K]", () => {
    const sce = lossEntries.get("softmax_cross_entropy")!;
    expect(sce.check(f(10), ints(10), names)).toBeNull();
    expect(sce.check(f(8, 10), ints(10, 8), names)).toBeNull();
    expect(sce.check(f(5), ints(10), names)).toContain("logits should be [10]");
    expect(sce.check(f(1), f(1), names)).toContain("use cross_entropy");
  });
  it("mse, binary_cross_entropy and cross_entropy want equal float shapes", () => {
    for (const name of ["mse", "binary_cross_entropy", "cross_entropy"]) {
      const loss = lossEntries.get(name)!;
      expect(loss.check(f(3), f(3), names)).toBeNull();
      expect(loss.check(f(3), f(4), names)).toContain("[3] vs target 't' [4]");
      expect(loss.check(f(10), ints(10), names)).toContain("softmax_cross_entropy");
    }
  });
});

describe("optimizers, schedules and inits", () => {
  const defaults = (args: readonly { name: string; default?: ArgValue }[]) => Object.fromEntries(args.map((a) => [a.name, a.default]));
  it("have PyTorch's defaults, and every optimizer takes clip_norm and schedule", () => {
    expect(defaults(optimizerEntries.get("sgd")!.args)).toEqual({ lr: 0.01, momentum: 0, nesterov: false, weight_decay: 0, clip_norm: 0, schedule: "constant" });
    expect(defaults(optimizerEntries.get("adam")!.args)).toEqual({ lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, clip_norm: 0, schedule: "constant" });
    expect(defaults(optimizerEntries.get("adamw")!.args)).toMatchObject({ weight_decay: 0.01 });
    expect(defaults(optimizerEntries.get("rmsprop")!.args)).toEqual({ lr: 0.01, decay: 0.99, eps: 1e-8, momentum: 0, weight_decay: 0, clip_norm: 0, schedule: "constant" });
  });
  it("schedules and inits are the documented set", () => {
    expect([...scheduleEntries.keys()]).toEqual(["constant", "step", "cosine"]);
    expect(defaults(scheduleEntries.get("step")!.args)).toEqual({ every: undefined, gamma: 0.1 });
    expect([...initEntries.keys()]).toEqual([
      "zeros", "ones", "constant", "normal", "uniform", "xavier_uniform", "xavier_normal", "he_normal", "he_uniform", "lecun_normal",
    ]);
  });
});
