// Layers that own weights or change a tensor's shape. Each entry: its inputs, its arguments,
// its shape rule and the weights it owns in PyTorch's checkpoint layout with PyTorch's inits.
import type { TensorType } from "../graph.js";
import { boolArg, numberArg, optionalNumberArg, shapeArg, wordArg } from "./args.js";
import { initAsArg, initFromArg } from "./inits.js";
import {
  elementCount,
  fixedInit,
  floatTensor,
  formatShape,
  formatType,
  requireFloat,
  requireRankAtLeast,
  torchDefaultInit,
} from "./tensor.js";
import type { ArgDecl, LayerEntry, LayerError, ResolvedArgs, WeightSpec } from "./types.js";

const initArgs: ArgDecl[] = [
  { name: "init", type: { kind: "init" }, defaultDoc: "uniform(1/sqrt(fanIn)), as PyTorch", doc: "weight init" },
  { name: "bias_init", type: { kind: "init" }, defaultDoc: "uniform(1/sqrt(fanIn)), as PyTorch", doc: "bias init" },
  { name: "bias", type: { kind: "bool" }, default: true, doc: "add a learned bias" },
];

/** Weight and optional bias of dense and conv2d, with PyTorch's defaults unless `init:`/`bias_init:` say otherwise. */
function weightAndBias(
  args: ResolvedArgs,
  weightShape: number[],
  out: number,
  fanIn: number,
  fanOut: number,
): { weights: WeightSpec[]; args: ResolvedArgs } {
  const weightInit = initFromArg(args.init, torchDefaultInit(fanIn, fanOut));
  const weights: WeightSpec[] = [{ name: "weight", shape: weightShape, init: weightInit, trainable: true }];
  const filled: Record<string, ResolvedArgs[string]> = { init: initAsArg(weightInit) };
  if (boolArg(args, "bias")) {
    const biasInit = initFromArg(args.bias_init, torchDefaultInit(fanIn, fanOut));
    weights.push({ name: "bias", shape: [out], init: biasInit, trainable: true });
    filled.bias_init = initAsArg(biasInit);
  }
  return { weights, args: filled };
}

const dense: LayerEntry = {
  name: "dense",
  example: { inputs: [floatTensor([4, 6])], args: { units: 3 } },
  group: "layer",
  doc: "Fully connected layer on the last axis, weights shared over the leading axes.",
  inputs: ["x"],
  args: [{ name: "units", type: { kind: "int", min: 1 }, doc: "output width" }, ...initArgs],
  shapeDoc: "[..., in] -> [..., units]; weight [units, in], bias [units]",
  infer([x], args) {
    const bad = requireFloat("dense", x!) ?? requireRankAtLeast("dense", x!, 1, "an input with at least one axis");
    if (bad) return bad;
    const units = numberArg(args, "units");
    const inWidth = x!.shape[x!.shape.length - 1]!;
    const wb = weightAndBias(args, [units, inWidth], units, inWidth, units);
    return { type: floatTensor([...x!.shape.slice(0, -1), units]), weights: wb.weights, args: wb.args };
  },
};

/** Output length of a sliding window (conv or pool) along one axis, or null when it does not fit. */
function windowOutput(size: number, window: number, stride: number): number | null {
  if (window > size) return null;
  return Math.floor((size - window) / stride) + 1;
}

function requireImage(layer: string, x: TensorType): LayerError | null {
  const bad = requireFloat(layer, x);
  if (bad) return bad;
  if (x.shape.length !== 3)
    return { error: `'${layer}' needs an image [H, W, C] (rank 3), got ${formatType(x)}` };
  return null;
}

const conv2d: LayerEntry = {
  name: "conv2d",
  example: { inputs: [floatTensor([5, 5, 2])], args: { filters: 2, kernel: 3 } },
  group: "layer",
  doc: "2-D convolution over a channels-last image [H, W, C].",
  inputs: ["x"],
  args: [
    { name: "filters", type: { kind: "int", min: 1 }, doc: "output channels" },
    { name: "kernel", type: { kind: "int", min: 1 }, doc: "square kernel size" },
    { name: "stride", type: { kind: "int", min: 1 }, default: 1, doc: "step between windows" },
    { name: "padding", type: { kind: "word", words: ["valid", "same"] }, default: "valid", doc: "`valid` (none) or `same` (output as large as the input; stride 1 only, as PyTorch)" },
    ...initArgs,
  ],
  shapeDoc: "[H, W, C] -> [H', W', filters]; weight [filters, C, kernel, kernel], bias [filters]",
  infer([x], args) {
    const bad = requireImage("conv2d", x!);
    if (bad) return bad;
    const [h, w, c] = x!.shape as [number, number, number];
    const filters = numberArg(args, "filters");
    const kernel = numberArg(args, "kernel");
    const stride = numberArg(args, "stride");
    const padding = wordArg(args, "padding");
    let outH: number | null = h;
    let outW: number | null = w;
    if (padding === "same") {
      if (stride !== 1) return { error: `padding 'same' needs stride 1 (as in PyTorch), got stride ${stride}`, at: "padding" };
    } else {
      outH = windowOutput(h, kernel, stride);
      outW = windowOutput(w, kernel, stride);
      if (outH === null || outW === null)
        return { error: `kernel ${kernel} does not fit the ${h}x${w} input of 'conv2d' (padding valid)` };
    }
    const wb = weightAndBias(args, [filters, c, kernel, kernel], filters, c * kernel * kernel, filters * kernel * kernel);
    return { type: floatTensor([outH, outW, filters]), weights: wb.weights, args: wb.args };
  },
};

function pool(name: string, doc: string): LayerEntry {
  return {
    name,
    group: "layer",
    doc,
    inputs: ["x"],
    args: [
      { name: "size", type: { kind: "int", min: 1 }, doc: "window size" },
      { name: "stride", type: { kind: "int", min: 1 }, defaultDoc: "size", doc: "step between windows" },
    ],
    shapeDoc: "[H, W, C] -> [floor((H - size) / stride) + 1, same for W, C]",
    example: { inputs: [floatTensor([5, 5, 2])], args: { size: 2 } },
    infer([x], args) {
      const bad = requireImage(name, x!);
      if (bad) return bad;
      const [h, w, c] = x!.shape as [number, number, number];
      const size = numberArg(args, "size");
      const stride = optionalNumberArg(args, "stride") ?? size;
      const outH = windowOutput(h, size, stride);
      const outW = windowOutput(w, size, stride);
      if (outH === null || outW === null)
        return { error: `pool size ${size} does not fit the ${h}x${w} input of '${name}'` };
      return { type: floatTensor([outH, outW, c]), weights: [], args: { stride } };
    },
  };
}

const flatten: LayerEntry = {
  name: "flatten",
  example: { inputs: [floatTensor([2, 3, 2])] },
  group: "layer",
  doc: "Flattens each sample to one axis.",
  inputs: ["x"],
  args: [],
  shapeDoc: "[d1, ..., dn] -> [d1 * ... * dn]",
  infer([x]) {
    return { type: { ...x!, shape: [elementCount(x!.shape)] }, weights: [] };
  },
};

const reshape: LayerEntry = {
  name: "reshape",
  example: { inputs: [floatTensor([4, 6])], args: { shape: [3, 8] } },
  group: "layer",
  doc: "Reshapes each sample, keeping its element count; one axis may be -1 (inferred).",
  inputs: ["x"],
  args: [{ name: "shape", type: { kind: "shape", allowInfer: true }, doc: "the new per-sample shape" }],
  shapeDoc: "[...] -> shape (same element count)",
  infer([x], args) {
    const target = shapeArg(args, "shape");
    const have = elementCount(x!.shape);
    const inferred = target.indexOf(-1);
    let shape = target;
    if (inferred >= 0) {
      const known = elementCount(target.filter((d) => d !== -1));
      if (known === 0 || have % known !== 0)
        return { error: `reshape cannot fit ${formatType(x!)} (${have} elements) into ${formatShape(target)}` };
      shape = target.map((d) => (d === -1 ? have / known : d));
    } else if (elementCount(target) !== have) {
      return {
        error: `reshape cannot turn ${formatType(x!)} (${have} elements) into ${formatShape(target)} (${elementCount(target)} elements)`,
      };
    }
    return { type: { ...x!, shape }, weights: [], args: { shape } };
  },
};

const embedding: LayerEntry = {
  name: "embedding",
  example: { inputs: [{ shape: [4], kind: "int", vocab: 7 }], args: { dim: 5 } },
  group: "layer",
  doc: "Learned vector per token id: int(V) ids to float vectors of width `dim`.",
  inputs: ["tokens"],
  args: [{ name: "dim", type: { kind: "int", min: 1 }, doc: "vector width" }],
  shapeDoc: "int(V)[...] -> [..., dim]; weight [V, dim], init normal(1) as PyTorch",
  infer([tokens], args) {
    if (tokens!.kind !== "int" || tokens!.vocab === undefined)
      return { error: `'embedding' needs int(V) token ids, got ${formatType(tokens!)}` };
    const dim = numberArg(args, "dim");
    const vocab = tokens!.vocab;
    return {
      type: floatTensor([...tokens!.shape, dim]),
      weights: [{ name: "weight", shape: [vocab, dim], init: fixedInit("normal", vocab, dim, { std: 1 }), trainable: true }],
    };
  },
};

const positional: LayerEntry = {
  name: "positional",
  example: { inputs: [], args: { T: 4, D: 6 } },
  group: "layer",
  doc: "A learned [T, D] positional table, added to token embeddings.",
  inputs: [],
  args: [
    { name: "T", type: { kind: "int", min: 1 }, doc: "sequence length" },
    { name: "D", type: { kind: "int", min: 1 }, doc: "width" },
  ],
  shapeDoc: "() -> [T, D]; weight [T, D], init normal(0.02)",
  infer(_inputs, args) {
    const t = numberArg(args, "T");
    const d = numberArg(args, "D");
    return {
      type: floatTensor([t, d]),
      weights: [{ name: "weight", shape: [t, d], init: fixedInit("normal", d, t, { std: 0.02 }), trainable: true }],
    };
  },
};

/** The four projections of multi-head attention, as torch.nn.MultiheadAttention initialises them. */
function attentionWeights(d: number): WeightSpec[] {
  const weights: WeightSpec[] = [];
  for (const proj of ["q", "k", "v"]) {
    weights.push({ name: `${proj}.weight`, shape: [d, d], init: fixedInit("xavier_uniform", d, d), trainable: true });
    weights.push({ name: `${proj}.bias`, shape: [d], init: fixedInit("zeros", d, d), trainable: true });
  }
  weights.push({ name: "out.weight", shape: [d, d], init: torchDefaultInit(d, d), trainable: true });
  weights.push({ name: "out.bias", shape: [d], init: fixedInit("zeros", d, d), trainable: true });
  return weights;
}

const attentionArgs: ArgDecl[] = [
  { name: "heads", type: { kind: "int", min: 1 }, default: 1, doc: "number of heads; must divide the width" },
  { name: "causal", type: { kind: "bool" }, default: false, doc: "mask out later positions" },
];

function requireSequence(layer: string, input: string, t: TensorType): LayerError | null {
  const bad = requireFloat(layer, t);
  if (bad) return bad;
  if (t.shape.length !== 2) return { error: `'${layer}' needs a sequence [T, D] for '${input}', got ${formatType(t)}` };
  return null;
}

function requireHeadsDivide(d: number, heads: number): LayerError | null {
  return d % heads === 0 ? null : { error: `${d} is not divisible by ${heads} heads` };
}

const selfAttention: LayerEntry = {
  name: "self_attention",
  example: { inputs: [floatTensor([4, 6])], args: { heads: 2, causal: true } },
  group: "layer",
  doc: "Multi-head scaled dot-product self-attention with q, k, v and output projections.",
  inputs: ["x"],
  args: attentionArgs,
  shapeDoc: "[T, D] -> [T, D]; heads divides D; q, k, v, out weights [D, D] and biases [D]",
  infer([x], args) {
    const bad = requireSequence("self_attention", "x", x!);
    if (bad) return bad;
    const d = x!.shape[1]!;
    const notDividing = requireHeadsDivide(d, numberArg(args, "heads"));
    if (notDividing) return notDividing;
    return { type: floatTensor([...x!.shape]), weights: attentionWeights(d) };
  },
};

const attention: LayerEntry = {
  name: "attention",
  example: { inputs: [floatTensor([4, 6]), floatTensor([3, 6]), floatTensor([3, 6])], args: { heads: 3 } },
  group: "layer",
  doc: "Multi-head attention of queries q over keys k and values v.",
  inputs: ["q", "k", "v"],
  args: attentionArgs,
  shapeDoc: "q [Tq, D], k [Tk, D], v [Tk, D] -> [Tq, D]; causal needs Tq = Tk",
  infer([q, k, v], args) {
    const bad =
      requireSequence("attention", "q", q!) ?? requireSequence("attention", "k", k!) ?? requireSequence("attention", "v", v!);
    if (bad) return bad;
    const d = q!.shape[1]!;
    if (k!.shape[1] !== d || v!.shape[1] !== d)
      return { error: `attention needs one width for q, k and v: ${formatType(q!)}, ${formatType(k!)}, ${formatType(v!)}` };
    if (k!.shape[0] !== v!.shape[0])
      return { error: `attention needs as many keys as values: ${formatType(k!)} vs ${formatType(v!)}` };
    if (boolArg(args, "causal") && q!.shape[0] !== k!.shape[0])
      return { error: `causal attention needs as many queries as keys: ${formatType(q!)} vs ${formatType(k!)}`, at: "causal" };
    const notDividing = requireHeadsDivide(d, numberArg(args, "heads"));
    if (notDividing) return notDividing;
    return { type: floatTensor([...q!.shape]), weights: attentionWeights(d) };
  },
};

const concat: LayerEntry = {
  name: "concat",
  group: "layer",
  doc: "Joins two tensors along one axis (per-sample axes; negative counts from the end).",
  inputs: ["a", "b"],
  args: [{ name: "axis", type: { kind: "int" }, default: -1, doc: "the axis to join along" }],
  shapeDoc: "[..., n, ...] and [..., m, ...] -> [..., n + m, ...]",
  infer([a, b], args) {
    if (a!.kind !== b!.kind || a!.vocab !== b!.vocab)
      return { error: `concat needs two tensors of one element type: ${formatType(a!)} vs ${formatType(b!)}` };
    const rank = a!.shape.length;
    if (b!.shape.length !== rank)
      return { error: `concat needs tensors of one rank: ${formatType(a!)} vs ${formatType(b!)}` };
    const axis = numberArg(args, "axis");
    if (rank === 0) return { error: `concat needs tensors with at least one axis, got ${formatType(a!)}` };
    if (axis < -rank || axis >= rank)
      return { error: `axis ${axis} is out of range for rank ${rank} (use ${-rank} to ${rank - 1})`, at: "axis" };
    const at = axis < 0 ? axis + rank : axis;
    for (let i = 0; i < rank; i++) {
      if (i !== at && a!.shape[i] !== b!.shape[i])
        return { error: `shape mismatch: ${formatType(a!)} vs ${formatType(b!)} (concat along axis ${at})` };
    }
    const shape = a!.shape.map((d, i) => (i === at ? d + b!.shape[i]! : d));
    return { type: { ...a!, shape }, weights: [], args: { axis: at } };
  },
};

export const layers: readonly LayerEntry[] = [
  dense,
  conv2d,
  pool("max_pool2d", "Maximum over each window of an image [H, W, C]."),
  pool("avg_pool2d", "Mean over each window of an image [H, W, C]."),
  flatten,
  reshape,
  embedding,
  positional,
  selfAttention,
  attention,
  concat,
];

