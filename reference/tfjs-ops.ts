// Every layer of the language written with TensorFlow.js ops: the registry the reference
// model evaluates a ModelGraph with. One entry per GraphNode op; gradients come from tfjs's
// own autodiff, so nothing here is shared with Neuron's compiler.
//
// Tensors carry the batch dimension first: a node of per-sample type [T, D] is a tfjs
// tensor [B, T, D]. Parameters arrive in the layout tfjs wants (see `paramLayouts`).
import type { ArgValue, GraphNode } from "../compiler/graph.js";
import { tf } from "./tfjs-backend.js";

/**
 * How a checkpoint tensor (PyTorch layout) is rearranged for tfjs:
 * `linear`: [out, in] -> [in, out], so that `x @ W` is nn.Linear;
 * `conv2d`: [out, in, kh, kw] -> [kh, kw, in, out], tfjs's NHWC filter.
 */
export type ParamLayout = "linear" | "conv2d";

export interface OpContext {
  node: GraphNode;
  /** The node's tensor inputs, batch first. */
  inputs: tf.Tensor[];
  /** The per-sample shapes of those inputs (without the batch dimension). */
  inputShapes: number[][];
  batchSize: number;
  training: boolean;
  /** A parameter of this node by its local name (`weight`, `q.bias`), in tfjs layout. */
  param(localName: string): tf.Tensor;
  hasParam(localName: string): boolean;
  /** batch_norm in training reports its batch statistics, so that a training step can update the running ones. */
  reportBatchStatistics(mean: tf.Tensor, biasedVariance: tf.Tensor, count: number): void;
}

export interface OpEntry {
  /** Parameters whose tfjs layout differs from the checkpoint's, by local name. */
  paramLayouts?: Record<string, ParamLayout>;
  forward(ctx: OpContext): tf.Tensor;
}

function where(node: GraphNode): string {
  return `${node.op} at line ${node.source.line} (${node.source.text})`;
}

/** The checker (or the test's graph builder) has filled every default in: the library states them once. */
function numberArg(node: GraphNode, name: string): number {
  const value: ArgValue | undefined = node.args[name];
  if (typeof value !== "number") {
    throw new Error(`${where(node)}: expected a number for argument '${name}', got ${JSON.stringify(value)}`);
  }
  return value;
}

function booleanArg(node: GraphNode, name: string, fallback: boolean): boolean {
  const value = node.args[name];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new Error(`${where(node)}: expected true or false for argument '${name}', got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A 2-d window argument (`kernel: 3` or `kernel: [3, 2]`); undefined when absent. */
function pairArg(node: GraphNode, name: string): [number, number] | undefined {
  const value = node.args[name];
  if (value === undefined) return undefined;
  if (typeof value === "number") return [value, value];
  if (Array.isArray(value) && value.length === 2) return [value[0]!, value[1]!];
  throw new Error(`${where(node)}: expected a number or [h, w] for argument '${name}', got ${JSON.stringify(value)}`);
}

function paddingArg(node: GraphNode): "same" | "valid" {
  const value = node.args["padding"] ?? "valid";
  if (value === "same" || value === "valid") return value;
  throw new Error(`${where(node)}: padding must be same or valid, got ${JSON.stringify(value)}`);
}

/** The one number argument of `scale` (its name is the checker's choice; there is only one). */
function scaleFactor(node: GraphNode): number {
  const numbers = Object.values(node.args).filter((v): v is number => typeof v === "number");
  if (numbers.length !== 1) {
    throw new Error(`${where(node)}: scale needs exactly one number argument, got ${JSON.stringify(node.args)}`);
  }
  return numbers[0]!;
}

function as4d(t: tf.Tensor): tf.Tensor4D {
  if (t.rank !== 4) throw new Error(`expected a [B, H, W, C] tensor, got [${t.shape.join(", ")}]`);
  return t as tf.Tensor4D;
}

/** Left-pads a per-sample shape with ones so that both operands of `+ - *` line up from the last axis. */
function alignForBroadcast(t: tf.Tensor, sampleShape: number[], rank: number): tf.Tensor {
  if (sampleShape.length === rank) return t;
  const ones = new Array<number>(rank - sampleShape.length).fill(1);
  return tf.reshape(t, [t.shape[0]!, ...ones, ...sampleShape]);
}

function elementwise(combine: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpEntry {
  return {
    forward({ inputs: [a, b], inputShapes: [sa, sb] }) {
      const rank = Math.max(sa!.length, sb!.length);
      return combine(alignForBroadcast(a!, sa!, rank), alignForBroadcast(b!, sb!, rank));
    },
  };
}

function activation(f: (x: tf.Tensor, node: GraphNode) => tf.Tensor): OpEntry {
  return { forward: ({ inputs: [x], node }) => f(x!, node) };
}

/** Exact GELU, x * Phi(x) with Phi from erf (PyTorch's default, not the tanh approximation). */
function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
}

/**
 * ELU for any alpha (tf.elu fixes alpha = 1), as relu(x) + alpha * (exp(min(x, 0)) - 1): no
 * comparison op on the gradient path (tfjs has no gradient for Greater), and exp never
 * overflows on the positive side.
 */
function elu(x: tf.Tensor, alpha: number): tf.Tensor {
  return tf.add(tf.relu(x), tf.mul(alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1)));
}

/** Applies a [D_in, D_out] projection (tfjs layout) and its bias to the last axis. */
function project(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | null): tf.Tensor {
  const [inFeatures, outFeatures] = weight.shape as [number, number];
  let y = tf.matMul(tf.reshape(x, [-1, inFeatures]), weight as tf.Tensor2D);
  if (bias) y = tf.add(y, bias);
  return tf.reshape(y, [...x.shape.slice(0, -1), outFeatures]);
}

/**
 * Multi-head attention as torch.nn.MultiheadAttention computes it: project q, k, v, split
 * D into `heads` slices, softmax(Q K^T / sqrt(D / heads)) V per head (positions j > i masked
 * when causal), concatenate the heads and project with `out`.
 */
function multiHeadAttention(ctx: OpContext, query: tf.Tensor, key: tf.Tensor, value: tf.Tensor): tf.Tensor {
  const { node, param } = ctx;
  const heads = numberArg(node, "heads");
  const causal = booleanArg(node, "causal", false);
  const [batch, queryLength, width] = query.shape as [number, number, number];
  const keyLength = key.shape[1]!;
  const headWidth = width / heads;
  if (!Number.isInteger(headWidth)) throw new Error(`${where(node)}: width ${width} is not divisible by ${heads} heads`);
  const splitHeads = (t: tf.Tensor, length: number) =>
    tf.transpose(tf.reshape(t, [batch, length, heads, headWidth]), [0, 2, 1, 3]);
  const q = splitHeads(project(query, param("q.weight"), param("q.bias")), queryLength);
  const k = splitHeads(project(key, param("k.weight"), param("k.bias")), keyLength);
  const v = splitHeads(project(value, param("v.weight"), param("v.bias")), keyLength);
  let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(headWidth));
  if (causal) {
    const mask = new Float32Array(queryLength * keyLength);
    for (let i = 0; i < queryLength; i++) for (let j = i + 1; j < keyLength; j++) mask[i * keyLength + j] = -1e30;
    // exp(-1e30 - max) is exactly 0 in float32, so masked weights and their gradients vanish.
    scores = tf.add(scores, tf.tensor(mask, [queryLength, keyLength]));
  }
  const attended = tf.matMul(tf.softmax(scores), v);
  const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch, queryLength, width]);
  return project(merged, param("out.weight"), param("out.bias"));
}

const attentionLayouts: Record<string, ParamLayout> = {
  "q.weight": "linear",
  "k.weight": "linear",
  "v.weight": "linear",
  "out.weight": "linear",
};

function pool(kind: "max" | "avg"): OpEntry {
  return {
    forward({ inputs: [x], node }) {
      const size = pairArg(node, "size");
      if (!size) throw new Error(`${where(node)}: missing argument 'size'`);
      const stride = pairArg(node, "stride") ?? size;
      return kind === "max" ? tf.maxPool(as4d(x!), size, stride, "valid") : tf.avgPool(as4d(x!), size, stride, "valid");
    },
  };
}

/**
 * PyTorch's LSTM or GRU (one layer, zero initial state) stepped over T with tfjs ops; tfjs's
 * autodiff gives backpropagation through time. Weights arrive as [in, gates * H].
 */
function recurrent(kind: "lstm" | "gru", { inputs: [x], node, param, batchSize }: OpContext): tf.Tensor {
  const [steps, width] = x!.shape.slice(1) as [number, number];
  const hidden = numberArg(node, "hidden");
  const [wi, wh, bi, bh] = [param("weight_ih"), param("weight_hh"), param("bias_ih"), param("bias_hh")] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor, tf.Tensor];
  let h: tf.Tensor2D = tf.zeros([batchSize, hidden]);
  let c: tf.Tensor2D = tf.zeros([batchSize, hidden]);
  const outputs: tf.Tensor2D[] = [];
  for (let t = 0; t < steps; t++) {
    const xt = tf.reshape(tf.slice(x!, [0, t, 0], [batchSize, 1, width]), [batchSize, width]) as tf.Tensor2D;
    const ai = tf.add(tf.matMul(xt, wi), bi);
    const ah = tf.add(tf.matMul(h, wh), bh);
    if (kind === "lstm") {
      const [i, f, g, o] = tf.split(tf.add(ai, ah), 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
    } else {
      const [ir, iz, inn] = tf.split(ai, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const [hr, hz, hn] = tf.split(ah, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const r = tf.sigmoid(tf.add(ir, hr));
      const z = tf.sigmoid(tf.add(iz, hz));
      const n = tf.tanh(tf.add(inn, tf.mul(r, hn)));
      h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
    }
    outputs.push(h);
  }
  return booleanArg(node, "return_sequences", false) ? tf.stack(outputs, 1) : h;
}

const recurrentLayouts: Record<string, ParamLayout> = { weight_ih: "linear", weight_hh: "linear" };

/** The surrogate derivative of a spike at v = U - θ, as lif's library entry states it. */
function surrogateOf(node: GraphNode): (v: tf.Tensor) => tf.Tensor {
  if (node.args["surrogate"] === "atan") {
    const alpha = numberArg(node, "alpha");
    return (v) => tf.div(alpha / 2, tf.add(1, tf.square(tf.mul((Math.PI / 2) * alpha, v))));
  }
  const slope = numberArg(node, "slope");
  return (v) => tf.div(1, tf.square(tf.add(1, tf.mul(slope, tf.abs(v)))));
}

/** H(v) = 1 for v > 0, whose gradient is `derivative(v)` in place of the step's. */
function heaviside(derivative: (v: tf.Tensor) => tf.Tensor): (v: tf.Tensor) => tf.Tensor {
  const step = (v: tf.Tensor, save: tf.GradSaveFunc) => {
    save([v]);
    return { value: tf.cast(tf.greater(v, 0), "float32"), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, derivative(saved[0]!))] };
  };
  return tf.customGrad(step as unknown as Parameters<typeof tf.customGrad>[0]) as (v: tf.Tensor) => tf.Tensor;
}

/** snnTorch's Leaky stepped over T (axis 1): reset from the previous membrane without gradient, spikes with the surrogate's. */
function leaky({ inputs: [x], node, param, batchSize }: OpContext): tf.Tensor {
  const steps = x!.shape[1]!;
  const rest = x!.shape.slice(2);
  const beta = tf.clipByValue(param("beta"), 0, 1);
  const threshold = param("threshold");
  const surrogate = surrogateOf(node);
  const spike = heaviside(surrogate);
  const detachedStep = heaviside((v) => tf.zerosLike(v));
  let u: tf.Tensor = tf.zeros([batchSize, ...rest]);
  const outputs: tf.Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    const current = tf.squeeze(tf.slice(x!, [0, t], [-1, 1]), [1]);
    const reset = detachedStep(tf.sub(u, threshold));
    if (node.args["reset"] === "subtract") u = tf.sub(tf.add(tf.mul(beta, u), current), tf.mul(reset, threshold));
    else if (node.args["reset"] === "zero") u = tf.add(tf.mul(tf.mul(tf.sub(1, reset), beta), u), current);
    else u = tf.add(tf.mul(beta, u), current);
    outputs.push(node.args["membrane"] === true ? u : spike(tf.sub(u, threshold)));
  }
  return tf.stack(outputs, 1);
}

export const tfjsOps: Record<string, OpEntry> = {
  dense: {
    paramLayouts: { weight: "linear" },
    forward: ({ inputs: [x], param, hasParam }) => project(x!, param("weight"), hasParam("bias") ? param("bias") : null),
  },
  conv2d: {
    paramLayouts: { weight: "conv2d" },
    forward({ inputs: [x], node, param, hasParam }) {
      // tfjs's `same` is TensorFlow's: total padding max((out-1)*stride + k - in, 0), the odd
      // pixel at the bottom/right — PyTorch's `padding='same'` for stride 1.
      const y = tf.conv2d(as4d(x!), as4d(param("weight")), pairArg(node, "stride") ?? [1, 1], paddingArg(node));
      return hasParam("bias") ? tf.add(y, param("bias")) : y;
    },
  },
  max_pool2d: pool("max"),
  avg_pool2d: pool("avg"),
  flatten: { forward: ({ inputs: [x], node, batchSize }) => tf.reshape(x!, [batchSize, ...node.type.shape]) },
  reshape: { forward: ({ inputs: [x], node, batchSize }) => tf.reshape(x!, [batchSize, ...node.type.shape]) },
  concat: {
    forward({ inputs, inputShapes, node }) {
      const rank = inputShapes[0]!.length;
      const axis = numberArg(node, "axis");
      return tf.concat(inputs, (axis < 0 ? axis + rank : axis) + 1);
    },
  },
  embedding: {
    forward({ inputs: [tokens], param }) {
      const table = param("weight");
      if (tf.getBackend() !== "wasm") return tf.gather(table, tokens!);
      // gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks; a one-hot
      // product is the same lookup with a gradient wasm has (V x D extra multiply-adds per token).
      const [vocab, dim] = table.shape as [number, number];
      const oneHot = tf.oneHot(tf.reshape(tokens!, [-1]), vocab);
      return tf.reshape(tf.matMul(oneHot, table as tf.Tensor2D), [...tokens!.shape, dim]);
    },
  },
  positional: {
    // A learned [T, D] table, the same for every sample.
    forward: ({ param, batchSize, node }) => tf.broadcastTo(tf.expandDims(param("weight"), 0), [batchSize, ...node.type.shape]),
  },
  self_attention: {
    paramLayouts: attentionLayouts,
    forward: (ctx) => multiHeadAttention(ctx, ctx.inputs[0]!, ctx.inputs[0]!, ctx.inputs[0]!),
  },
  attention: {
    paramLayouts: attentionLayouts,
    forward: (ctx) => multiHeadAttention(ctx, ctx.inputs[0]!, ctx.inputs[1]!, ctx.inputs[2]!),
  },
  lif: { forward: leaky },
  repeat: {
    forward: ({ inputs: [x], node }) => tf.tile(tf.expandDims(x!, 1), [1, numberArg(node, "steps"), ...x!.shape.slice(1).map(() => 1)]),
  },
  sum_time: { forward: ({ inputs: [x] }) => tf.sum(x!, 1) },
  mean_time: { forward: ({ inputs: [x] }) => tf.mean(x!, 1) },
  last: { forward: ({ inputs: [x] }) => tf.squeeze(tf.slice(x!, [0, x!.shape[1]! - 1], [-1, 1]), [1]) },
  lstm: { paramLayouts: recurrentLayouts, forward: (ctx) => recurrent("lstm", ctx) },
  gru: { paramLayouts: recurrentLayouts, forward: (ctx) => recurrent("gru", ctx) },
  layer_norm: {
    forward({ inputs: [x], node, param }) {
      const { mean, variance } = tf.moments(x!, -1, true);
      const normalized = tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, numberArg(node, "eps"))));
      return tf.add(tf.mul(normalized, param("weight")), param("bias"));
    },
  },
  batch_norm: {
    // Per channel on the last axis: batch statistics (biased variance) in training, running ones otherwise.
    forward({ inputs: [x], node, param, training, reportBatchStatistics }) {
      const eps = numberArg(node, "eps");
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (training) {
        const axes = x!.shape.slice(0, -1).map((_, i) => i);
        ({ mean, variance } = tf.moments(x!, axes));
        reportBatchStatistics(mean, variance, x!.size / x!.shape[x!.rank - 1]!);
      } else {
        mean = param("running_mean");
        variance = param("running_var");
      }
      const normalized = tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, eps)));
      return tf.add(tf.mul(normalized, param("weight")), param("bias"));
    },
  },
  dropout: {
    // Inverted dropout; tfjs draws its own mask, so compare training runs only with p = 0.
    forward({ inputs: [x], node, training }) {
      const p = numberArg(node, "p");
      return training && p > 0 ? tf.dropout(x!, p) : x!;
    },
  },
  relu: activation((x) => tf.relu(x)),
  leaky_relu: activation((x, node) => tf.leakyRelu(x, numberArg(node, "alpha"))),
  sigmoid: activation((x) => tf.sigmoid(x)),
  tanh: activation((x) => tf.tanh(x)),
  softmax: activation((x) => tf.softmax(x)),
  gelu: activation(gelu),
  silu: activation((x) => tf.mul(x, tf.sigmoid(x))),
  elu: activation((x, node) => elu(x, numberArg(node, "alpha"))),
  identity: activation((x) => x),
  add: elementwise((a, b) => tf.add(a, b)),
  sub: elementwise((a, b) => tf.sub(a, b)),
  mul: elementwise((a, b) => tf.mul(a, b)),
  scale: activation((x, node) => tf.mul(x, scaleFactor(node))),
};
