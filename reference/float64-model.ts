// A second, deliberately naive evaluator of a ModelGraph: plain float64 loops over
// checkpoint-layout weights, written from the op definitions (PyTorch's) and nothing else.
// It checks the tfjs reference: forward values directly, gradients by central differences
// of `loss`. Slow and simple on purpose; use it only on tiny graphs.
import type { GraphNode, ModelGraph } from "../compiler/graph.js";
import { layerEntries, withDefaults, type CompositeExpr } from "../compiler/library/index.js";
import type { Batch, FloatArray } from "../runtime/model.js";

/** A batch-first tensor. */
interface T64 {
  shape: number[];
  data: Float64Array;
}

type Weights = Map<string, FloatArray>;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function tensor(shape: number[], data?: ArrayLike<number>): T64 {
  const out = new Float64Array(size(shape));
  if (data) for (let i = 0; i < out.length; i++) out[i] = data[i]!;
  return { shape, data: out };
}

function map(x: T64, f: (v: number) => number): T64 {
  return { shape: x.shape, data: x.data.map(f) };
}

/** An accurate float64 erf from its Maclaurin series (|x| <= 3) or erfc's continued fraction. */
export function erf64(x: number): number {
  if (Math.abs(x) <= 3) {
    let sum = 0;
    let power = x; // x^(2n+1) / n!
    for (let n = 0; n < 100; n++) {
      const term = power / (2 * n + 1);
      sum += n % 2 === 0 ? term : -term;
      power *= (x * x) / (n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(z) = exp(-z^2)/sqrt(pi) * 1/(z + 1/2/(z + 1/(z + 3/2/(z + ...)))) for z > 0.
  const z = Math.abs(x);
  let fraction = z;
  for (let k = 60; k >= 1; k--) fraction = z + k / 2 / fraction;
  const erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / fraction;
  return Math.sign(x) * (1 - erfc);
}

const activations: Record<string, (v: number, node: GraphNode) => number> = {
  relu: (v) => Math.max(v, 0),
  leaky_relu: (v, n) => (v > 0 ? v : (n.args["alpha"] as number) * v),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: (v) => Math.tanh(v),
  gelu: (v) => 0.5 * v * (1 + erf64(v / Math.SQRT2)),
  silu: (v) => v / (1 + Math.exp(-v)),
  elu: (v, n) => (v > 0 ? v : (n.args["alpha"] as number) * (Math.exp(v) - 1)),
  identity: (v) => v,
  softplus: (v) => (v > 20 ? v : Math.log(1 + Math.exp(v))),
};

function softmaxLastAxis(x: T64): T64 {
  const k = x.shape[x.shape.length - 1]!;
  const out = tensor(x.shape);
  for (let r = 0; r < x.data.length / k; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, x.data[r * k + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(x.data[r * k + j]! - max);
    for (let j = 0; j < k; j++) out.data[r * k + j] = Math.exp(x.data[r * k + j]! - max) / sum;
  }
  return out;
}

/** y = x W^T + b on the last axis, W [out, in] as nn.Linear. */
function linear(x: T64, w: FloatArray, b: FloatArray | undefined, outF: number): T64 {
  const inF = x.shape[x.shape.length - 1]!;
  const rows = x.data.length / inF;
  const y = tensor([...x.shape.slice(0, -1), outF]);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) s += x.data[r * inF + i]! * w[o * inF + i]!;
      y.data[r * outF + o] = s;
    }
  }
  return y;
}

/** Output size and leading padding of one spatial axis, TensorFlow's `same` or `valid`. */
function window(inSize: number, k: number, stride: number, padding: string): { out: number; pad: number } {
  if (padding === "same") {
    const out = Math.ceil(inSize / stride);
    return { out, pad: Math.floor(Math.max((out - 1) * stride + k - inSize, 0) / 2) };
  }
  return { out: Math.floor((inSize - k) / stride) + 1, pad: 0 };
}

function pair(v: unknown, fallback: number): [number, number] {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v)) return [v[0] as number, v[1] as number];
  return [fallback, fallback];
}

function conv2d(x: T64, w: FloatArray, b: FloatArray | undefined, wShape: number[], node: GraphNode): T64 {
  const [B, H, W, C] = x.shape as [number, number, number, number];
  const [F, , KH, KW] = wShape as [number, number, number, number];
  const [sh, sw] = pair(node.args["stride"], 1);
  const padding = (node.args["padding"] as string | undefined) ?? "valid";
  const rows = window(H, KH, sh, padding);
  const cols = window(W, KW, sw, padding);
  const y = tensor([B, rows.out, cols.out, F]);
  for (let n = 0; n < B; n++)
    for (let oy = 0; oy < rows.out; oy++)
      for (let ox = 0; ox < cols.out; ox++)
        for (let f = 0; f < F; f++) {
          let s = b ? b[f]! : 0;
          for (let ky = 0; ky < KH; ky++)
            for (let kx = 0; kx < KW; kx++) {
              const iy = oy * sh + ky - rows.pad;
              const ix = ox * sw + kx - cols.pad;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              for (let c = 0; c < C; c++) s += x.data[((n * H + iy) * W + ix) * C + c]! * w[((f * C + c) * KH + ky) * KW + kx]!;
            }
          y.data[((n * rows.out + oy) * cols.out + ox) * F + f] = s;
        }
  return y;
}

function pool(x: T64, node: GraphNode, kind: "max" | "avg"): T64 {
  const [B, H, W, C] = x.shape as [number, number, number, number];
  const [kh, kw] = pair(node.args["size"], 1);
  const [sh, sw] = pair(node.args["stride"] ?? node.args["size"], 1);
  const HO = Math.floor((H - kh) / sh) + 1;
  const WO = Math.floor((W - kw) / sw) + 1;
  const y = tensor([B, HO, WO, C]);
  for (let n = 0; n < B; n++)
    for (let oy = 0; oy < HO; oy++)
      for (let ox = 0; ox < WO; ox++)
        for (let c = 0; c < C; c++) {
          let acc = kind === "max" ? -Infinity : 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const v = x.data[((n * H + oy * sh + ky) * W + ox * sw + kx) * C + c]!;
              acc = kind === "max" ? Math.max(acc, v) : acc + v / (kh * kw);
            }
          y.data[((n * HO + oy) * WO + ox) * C + c] = acc;
        }
  return y;
}

/** Normalises over the last axis (layer_norm) or over every axis but the last (batch_norm in training). */
function normalize(x: T64, perRow: boolean, eps: number, weight: FloatArray, bias: FloatArray, stats?: { mean: FloatArray; variance: FloatArray }): T64 {
  const C = x.shape[x.shape.length - 1]!;
  const rows = x.data.length / C;
  const y = tensor(x.shape);
  if (perRow) {
    for (let r = 0; r < rows; r++) {
      let mean = 0;
      for (let c = 0; c < C; c++) mean += x.data[r * C + c]! / C;
      let variance = 0;
      for (let c = 0; c < C; c++) variance += (x.data[r * C + c]! - mean) ** 2 / C;
      for (let c = 0; c < C; c++) y.data[r * C + c] = ((x.data[r * C + c]! - mean) / Math.sqrt(variance + eps)) * weight[c]! + bias[c]!;
    }
    return y;
  }
  for (let c = 0; c < C; c++) {
    let mean = 0;
    let variance = 0;
    if (stats) {
      mean = stats.mean[c]!;
      variance = stats.variance[c]!;
    } else {
      for (let r = 0; r < rows; r++) mean += x.data[r * C + c]! / rows;
      for (let r = 0; r < rows; r++) variance += (x.data[r * C + c]! - mean) ** 2 / rows;
    }
    for (let r = 0; r < rows; r++) y.data[r * C + c] = ((x.data[r * C + c]! - mean) / Math.sqrt(variance + eps)) * weight[c]! + bias[c]!;
  }
  return y;
}

/** PyTorch's GroupNorm with channels last: per sample, each group of C / G channels at every position together. */
function groupNorm(x: T64, groups: number, eps: number, weight: FloatArray, bias: FloatArray): T64 {
  const C = x.shape[x.shape.length - 1]!;
  const perSample = size(x.shape.slice(1));
  const y = tensor(x.shape);
  for (let n = 0; n < x.shape[0]!; n++)
    for (let g = 0; g < groups; g++) {
      const members: number[] = [];
      for (let i = n * perSample; i < (n + 1) * perSample; i++) if (Math.floor((i % C) / (C / groups)) === g) members.push(i);
      const mean = members.reduce((s, i) => s + x.data[i]!, 0) / members.length;
      const variance = members.reduce((s, i) => s + (x.data[i]! - mean) ** 2, 0) / members.length;
      for (const i of members) y.data[i] = ((x.data[i]! - mean) / Math.sqrt(variance + eps)) * weight[i % C]! + bias[i % C]!;
    }
  return y;
}

/**
 * PyTorch's LSTM and GRU (one layer, zero initial state), step by step from their documented
 * equations: gates i, f, g, o (LSTM) or r, z, n with r scaling W_hn h + b_hn (GRU).
 */
function recurrent(kind: "lstm" | "gru", x: T64, hidden: number, sequences: boolean, p: (n: string) => FloatArray): T64 {
  const [B, T, D] = x.shape as [number, number, number];
  const H = hidden;
  const wi = p("weight_ih"), wh = p("weight_hh"), bi = p("bias_ih"), bh = p("bias_hh");
  const sigma = (v: number) => 1 / (1 + Math.exp(-v));
  const out = tensor(sequences ? [B, T, H] : [B, H]);
  for (let b = 0; b < B; b++) {
    let h = new Float64Array(H);
    let c = new Float64Array(H);
    for (let t = 0; t < T; t++) {
      const xt = x.data.subarray((b * T + t) * D, (b * T + t + 1) * D);
      const rows = (kind === "lstm" ? 4 : 3) * H;
      const ai = new Float64Array(rows), ah = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        ai[r] = bi[r]!;
        ah[r] = bh[r]!;
        for (let k = 0; k < D; k++) ai[r]! += wi[r * D + k]! * xt[k]!;
        for (let k = 0; k < H; k++) ah[r]! += wh[r * H + k]! * h[k]!;
      }
      const hNext = new Float64Array(H), cNext = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        if (kind === "lstm") {
          const a = (g: number) => ai[g * H + j]! + ah[g * H + j]!;
          cNext[j] = sigma(a(1)) * c[j]! + sigma(a(0)) * Math.tanh(a(2));
          hNext[j] = sigma(a(3)) * Math.tanh(cNext[j]!);
        } else {
          const r = sigma(ai[j]! + ah[j]!), z = sigma(ai[H + j]! + ah[H + j]!);
          const n = Math.tanh(ai[2 * H + j]! + r * ah[2 * H + j]!);
          hNext[j] = (1 - z) * n + z * h[j]!;
        }
      }
      h = hNext;
      c = cNext;
      if (sequences) out.data.set(h, (b * T + t) * H);
    }
    if (!sequences) out.data.set(h, b * H);
  }
  return out;
}

/** snnTorch's Leaky from the equations in its documentation: reset from the previous membrane, spikes H(U - θ). */
function leaky(x: T64, node: GraphNode, beta0: number, threshold: number): T64 {
  const T = x.shape[1]!;
  const F = size(x.shape.slice(2));
  const beta = Math.min(Math.max(beta0, 0), 1);
  const out = tensor(x.shape);
  for (let b = 0; b < x.shape[0]!; b++)
    for (let f = 0; f < F; f++) {
      let u = 0;
      for (let t = 0; t < T; t++) {
        const q = (b * T + t) * F + f;
        const r = u > threshold ? 1 : 0;
        if (node.args["reset"] === "subtract") u = beta * u + x.data[q]! - r * threshold;
        else if (node.args["reset"] === "zero") u = (1 - r) * beta * u + x.data[q]!;
        else u = beta * u + x.data[q]!;
        out.data[q] = node.args["membrane"] === true ? u : u > threshold ? 1 : 0;
      }
    }
  return out;
}

/** Sum, mean or last step over axis 1 (time) of a batch-first tensor. */
function overTime(x: T64, how: "sum" | "mean" | "last"): T64 {
  const T = x.shape[1]!;
  const F = size(x.shape.slice(2));
  const out = tensor([x.shape[0]!, ...x.shape.slice(2)]);
  for (let b = 0; b < x.shape[0]!; b++)
    for (let f = 0; f < F; f++) {
      let sum = 0;
      for (let t = 0; t < T; t++) sum += x.data[(b * T + t) * F + f]!;
      out.data[b * F + f] = how === "last" ? x.data[(b * T + T - 1) * F + f]! : how === "mean" ? sum / T : sum;
    }
  return out;
}

function attention(q0: T64, k0: T64, v0: T64, node: GraphNode, p: (n: string) => FloatArray): T64 {
  const [B, TQ, D] = q0.shape as [number, number, number];
  const TK = k0.shape[1]!;
  const heads = node.args["heads"] as number;
  const causal = node.args["causal"] === true;
  const dh = D / heads;
  const q = linear(q0, p("q.weight"), p("q.bias"), D);
  const k = linear(k0, p("k.weight"), p("k.bias"), D);
  const v = linear(v0, p("v.weight"), p("v.bias"), D);
  const merged = tensor([B, TQ, D]);
  for (let n = 0; n < B; n++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < TQ; i++) {
        const scores: number[] = [];
        for (let j = 0; j < TK; j++) {
          if (causal && j > i) continue;
          let s = 0;
          for (let d = 0; d < dh; d++) s += q.data[(n * TQ + i) * D + h * dh + d]! * k.data[(n * TK + j) * D + h * dh + d]!;
          scores.push(s / Math.sqrt(dh));
        }
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const total = e.reduce((a, b) => a + b, 0);
        for (let d = 0; d < dh; d++) {
          let s = 0;
          for (let j = 0; j < e.length; j++) s += (e[j]! / total) * v.data[(n * TK + j) * D + h * dh + d]!;
          merged.data[(n * TQ + i) * D + h * dh + d] = s;
        }
      }
  return linear(merged, p("out.weight"), p("out.bias"), D);
}

/** Broadcast `+ - *` aligned from the last axis of the per-sample shapes. */
function elementwise(a: T64, b: T64, f: (x: number, y: number) => number): T64 {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [s[0]!, ...new Array<number>(rank - s.length).fill(1), ...s.slice(1)];
  const sa = pad(a.shape);
  const sb = pad(b.shape);
  const shape = sa.map((d, i) => Math.max(d, sb[i]!));
  const out = tensor(shape);
  const index = new Array<number>(rank).fill(0);
  const offset = (s: number[]) => index.reduce((acc, ix, axis) => acc * s[axis]! + (s[axis] === 1 ? 0 : ix), 0);
  for (let i = 0; i < out.data.length; i++) {
    let rest = i;
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis] = rest % shape[axis]!;
      rest = Math.floor(rest / shape[axis]!);
    }
    out.data[i] = f(a.data[offset(sa)]!, b.data[offset(sb)]!);
  }
  return out;
}

function concat(a: T64, b: T64, axis: number): T64 {
  const outer = size(a.shape.slice(0, axis));
  const ia = size(a.shape.slice(axis));
  const ib = size(b.shape.slice(axis));
  const shape = a.shape.slice();
  shape[axis] = a.shape[axis]! + b.shape[axis]!;
  const out = tensor(shape);
  for (let o = 0; o < outer; o++) {
    out.data.set(a.data.subarray(o * ia, (o + 1) * ia), o * (ia + ib));
    out.data.set(b.data.subarray(o * ib, (o + 1) * ib), o * (ia + ib) + ia);
  }
  return out;
}

function clampedLog(p: number): number {
  return Math.max(Math.log(p), -100);
}

const losses: Record<string, (p: T64, t: T64) => number> = {
  softmax_cross_entropy(logits, classes) {
    const probabilities = softmaxLastAxis(logits);
    const k = logits.shape[logits.shape.length - 1]!;
    let total = 0;
    for (let r = 0; r < classes.data.length; r++) total -= Math.log(probabilities.data[r * k + classes.data[r]!]!);
    return total / classes.data.length;
  },
  softmax_cross_entropy_sum_time(logits, classes) {
    const [B, T] = logits.shape as [number, number];
    const rest = logits.shape.slice(2);
    const per = size(rest);
    let total = 0;
    for (let s = 0; s < T; s++) {
      const step = tensor([B, ...rest]);
      for (let b = 0; b < B; b++) step.data.set(logits.data.subarray((b * T + s) * per, (b * T + s + 1) * per), b * per);
      total += losses["softmax_cross_entropy"]!(step, classes);
    }
    return total;
  },
  binary_cross_entropy(p, y) {
    let total = 0;
    for (let i = 0; i < p.data.length; i++) total -= y.data[i]! * clampedLog(p.data[i]!) + (1 - y.data[i]!) * clampedLog(1 - p.data[i]!);
    return total / p.data.length;
  },
  cross_entropy(p, y) {
    const k = p.shape[p.shape.length - 1]!;
    let total = 0;
    for (let i = 0; i < p.data.length; i++) total -= y.data[i]! * clampedLog(p.data[i]!);
    return total / (p.data.length / k);
  },
  mse(p, y) {
    let total = 0;
    for (let i = 0; i < p.data.length; i++) total += (p.data[i]! - y.data[i]!) ** 2;
    return total / p.data.length;
  },
};

/**
 * Where rate_encode's uniform draws come from: the model's generator, to compare with its
 * draws; without one, only probabilities of exactly 0 and 1 (certain draws) can be evaluated.
 */
export type Uniform = (() => number) | undefined;

/** Bernoulli spikes in row-major order [sample, step, feature], one uniform per element, as rate_encode states. */
function rateEncode(x: T64, steps: number, shape: number[], uniform: Uniform): T64 {
  const F = size(x.shape.slice(1));
  const out = tensor(shape);
  for (let i = 0; i < out.data.length; i++) {
    const p = Math.min(Math.max(x.data[Math.floor(i / (steps * F)) * F + (i % F)]!, 0), 1);
    if (!uniform && p > 0 && p < 1) throw new Error(`float64 model: rate_encode with probability ${p} needs the generator's draws`);
    out.data[i] = uniform ? (uniform() < p ? 1 : 0) : p;
  }
  return out;
}

function evaluateNode(node: GraphNode, x: T64[], B: number, training: boolean, weights: Weights, uniform?: Uniform): T64 {
  const p = (local: string): FloatArray => {
    const spec = node.params.find((s) => s.name.endsWith(`.${local}`) && !(local === "weight" && /\.(q|k|v|out)\.weight$/.test(s.name)));
    const value = spec && weights.get(spec.name);
    if (!value) throw new Error(`float64 model: ${node.op} has no parameter ${local}`);
    return value;
  };
  const has = (local: string) => node.params.some((s) => s.name.endsWith(`.${local}`));
  const composite = layerEntries.get(node.op)?.composite;
  // A composite is defined by the entries it is written from: evaluate that definition.
  if (composite) return evaluateComposite(composite, node, x, B, training, weights);
  const [a, b, c] = x;
  const shapeOut = [B, ...node.type.shape];
  const activation = activations[node.op];
  if (activation) return map(a!, (v) => activation(v, node));
  switch (node.op) {
    case "dense":
      return linear(a!, p("weight"), has("bias") ? p("bias") : undefined, node.type.shape[node.type.shape.length - 1]!);
    case "conv2d":
      return conv2d(a!, p("weight"), has("bias") ? p("bias") : undefined, node.params[0]!.shape, node);
    case "max_pool2d":
      return pool(a!, node, "max");
    case "avg_pool2d":
      return pool(a!, node, "avg");
    case "flatten":
    case "reshape":
      return { shape: shapeOut, data: a!.data };
    case "concat": {
      const axis = node.args["axis"] as number;
      return concat(a!, b!, axis < 0 ? axis + a!.shape.length : axis + 1);
    }
    case "embedding": {
      const table = p("weight");
      const D = node.type.shape[node.type.shape.length - 1]!;
      const out = tensor(shapeOut);
      for (let i = 0; i < a!.data.length; i++) for (let d = 0; d < D; d++) out.data[i * D + d] = table[a!.data[i]! * D + d]!;
      return out;
    }
    case "positional": {
      const table = p("weight");
      const out = tensor(shapeOut);
      for (let i = 0; i < out.data.length; i++) out.data[i] = table[i % table.length]!;
      return out;
    }
    case "self_attention":
      return attention(a!, a!, a!, node, p);
    case "attention":
      return attention(a!, b!, c!, node, p);
    case "layer_norm":
      return normalize(a!, true, node.args["eps"] as number, p("weight"), p("bias"));
    case "batch_norm":
      return normalize(a!, false, node.args["eps"] as number, p("weight"), p("bias"),
        training ? undefined : { mean: p("running_mean"), variance: p("running_var") });
    case "group_norm":
      return groupNorm(a!, node.args["groups"] as number, node.args["eps"] as number, p("weight"), p("bias"));
    case "lstm":
    case "gru":
      return recurrent(node.op, a!, node.args["hidden"] as number, node.args["return_sequences"] === true, p);
    case "lif":
      return leaky(a!, node, p("beta")[0]!, p("threshold")[0]!);
    case "repeat": {
      const steps = node.args["steps"] as number;
      const F = size(a!.shape.slice(1));
      const out = tensor(shapeOut);
      for (let i = 0; i < out.data.length; i++) out.data[i] = a!.data[Math.floor(i / (steps * F)) * F + (i % F)]!;
      return out;
    }
    case "rate_encode":
      return rateEncode(a!, node.args["steps"] as number, shapeOut, uniform);
    case "sum_time":
      return overTime(a!, "sum");
    case "mean_time":
      return overTime(a!, "mean");
    case "last":
      return overTime(a!, "last");
    case "dropout":
      if (training && (node.args["p"] as number) > 0) throw new Error("float64 model: dropout must have p = 0 in training");
      return a!;
    case "softmax":
      return softmaxLastAxis(a!);
    case "add":
      return elementwise(a!, b!, (u, v) => u + v);
    case "sub":
      return elementwise(a!, b!, (u, v) => u - v);
    case "mul":
      return elementwise(a!, b!, (u, v) => u * v);
    case "scale": {
      const factor = Object.values(node.args).find((v) => typeof v === "number") as number;
      return map(a!, (v) => v * factor);
    }
    default:
      throw new Error(`float64 model: no op ${node.op}`);
  }
}

function evaluateComposite(expr: CompositeExpr, node: GraphNode, x: T64[], B: number, training: boolean, weights: Weights): T64 {
  if ("input" in expr) return x[expr.input]!;
  const inputs = expr.inputs.map((e) => evaluateComposite(e, node, x, B, training, weights));
  return evaluateNode({ ...node, op: expr.entry, args: withDefaults(expr.entry, expr.args ?? {}), params: [] }, inputs, B, training, weights);
}

function evaluate(graph: ModelGraph, weights: Weights, batch: Pick<Batch, "size" | "inputs">, training: boolean, uniform?: Uniform): T64[] {
  const values: T64[] = [];
  for (const node of graph.nodes) {
    if (node.op === "input") {
      const data = batch.inputs[node.name!]!;
      values.push(tensor([batch.size, ...node.type.shape], data));
    } else {
      values.push(evaluateNode(node, node.inputs.map((id) => values[id]!), batch.size, training, weights, uniform));
    }
  }
  return values;
}

/** Every output by name, in float64; `uniform` feeds rate_encode's draws. */
export function forward64(
  graph: ModelGraph,
  weights: Weights,
  batch: Pick<Batch, "size" | "inputs">,
  training: boolean,
  uniform?: Uniform,
): Record<string, Float64Array> {
  const values = evaluate(graph, weights, batch, training, uniform);
  return Object.fromEntries(graph.outputs.map((o) => [o.name, values[o.node]!.data]));
}

/** The training-mode loss (sum of the graph's losses), in float64. */
export function loss64(graph: ModelGraph, weights: Weights, batch: Batch): number {
  const values = evaluate(graph, weights, batch, true);
  let total = 0;
  for (const term of graph.losses) {
    const type = graph.targets.find((t) => t.name === term.target)!.type;
    const target = tensor([batch.size, ...type.shape], batch.targets[term.target]!);
    total += losses[term.op]!(values[term.prediction]!, target);
  }
  return total;
}

/** d loss / d weight for every trainable parameter by central differences over float64 copies of the weights. */
export function numericGradients(graph: ModelGraph, weights: Weights, batch: Batch, eps = 1e-6): Map<string, Float64Array> {
  const w64 = new Map<string, Float64Array>([...weights].map(([name, v]) => [name, Float64Array.from(v)]));
  const grads = new Map<string, Float64Array>();
  for (const spec of graph.params) {
    if (!spec.trainable) continue;
    const values = w64.get(spec.name)!;
    const grad = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const saved = values[i]!;
      values[i] = saved + eps;
      const up = loss64(graph, w64, batch);
      values[i] = saved - eps;
      const down = loss64(graph, w64, batch);
      values[i] = saved;
      grad[i] = (up - down) / (2 * eps);
    }
    grads.set(spec.name, grad);
  }
  return grads;
}
