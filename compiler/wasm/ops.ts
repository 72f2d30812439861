// Which IR ops have WebAssembly kernels: the one table, keyed by op name, that the emitter asks.
// An op (or one use of it: dense with a fused tanh, add with broadcasting) that is not here
// keeps its JavaScript kernel, so the back end grows one op at a time.
//
// A generator reads the same OpContext (and, backward, the same gradient targets) as the op's
// JavaScript kernels
// and returns a plan: a key naming everything its code depends on (op, pass, shapes,
// activation, how each gradient is stored) and a function that writes the kernel into the
// module under a given name and returns its parameters in order. Uses with the same key
// share one function, so the module grows with the distinct shapes, not with depth.

import type { IrValue } from "../ir/ir.js";
import { convGeometry, type ConvAttrs } from "../ir/ops/conv2d.js";
import { denseWeightBlocksScratch } from "../ir/ops/dense.js";
import type { BackwardContext, GradTarget, OpContext } from "../ir/ops/op.js";

/** What a backward generator reads: the op, and where each input's gradient goes. */
export type WasmBackwardContext = OpContext & Pick<BackwardContext, "grads">;
import type { BatchNormAttrs } from "../ir/ops/batch_norm.js";
import {
  BATCH_NORM_MAX_CHANNELS,
  batchNormBackward,
  batchNormBackwardBlocks,
  batchNormBackwardCombine,
  batchNormByBlocks,
  batchNormForward,
  batchNormForwardBlocks,
  batchNormForwardCombine,
  batchNormInfer,
  sumsGroups,
  type BatchNormShape,
} from "./batch_norm.js";
import type { PoolAttrs } from "../ir/ops/pool.js";
import { avgPoolBackward, avgPoolForward, maxPoolBackward, maxPoolForward, POOL_MAX_UNROLLED, type PoolShape } from "./pool.js";
import { activationBackward, activationForward, type WasmActivation } from "./activation.js";
import { asDense, CONV_WEIGHT_BLOCKS, convBackward, convForward, convWeightByBlocks, type ConvKernelShape } from "./conv2d.js";
import { DENSE_BLOCK_SAMPLES, denseWeightByBlocks, weightCombine, weightPartials, type WeightBlocks, type WeightGradients } from "./weight-blocks.js";
import { denseBackwardPart, denseForward, denseKernelShape, denseSparsePrep, type DenseKernelShape } from "./dense.js";
import { addBackwardKernel, elementwiseKernel } from "./elementwise.js";
import type { ModuleBuilder } from "./module.js";
import type { LayerNormAttrs } from "../ir/ops/layer_norm.js";
import type { AttentionAttrs } from "../ir/ops/attention.js";
import { ATTENTION_MAX_HEAD_WIDTH, attentionBackward, attentionForward, type AttentionShape } from "./attention.js";
import { LAYER_NORM_MAX_WIDTH, layerNormBackward, layerNormForward, type LayerNormShape } from "./layer_norm.js";
import type { LifAttrs } from "../ir/ops/lif.js";
import type { RepeatAttrs } from "../ir/ops/time.js";
import { lifBackward, lifForward, lifShape } from "./lif.js";
import { repeatBackward, repeatForward } from "./time.js";
import type { Store } from "./products.js";

export interface WasmKernelPlan {
  /** Equal keys mean identical kernels. */
  key: string;
  /** Writes the kernel as function `name`; returns its parameter names (ops/op.ts's convention). */
  build(m: ModuleBuilder, name: string): string[];
  /**
   * Where the kernel splits by samples across threads (every row of its outputs depends on
   * its own sample's rows only): its multiply-adds per sample. Absent: it runs on one thread.
   */
  work?: number;
  /**
   * Splits by output units instead (`from`, `to` parameters after `n`, every unit summing over
   * the whole batch itself): how many there are. `work` is then still per sample.
   */
  units?: number;
  /** Chunks start at multiples of this many samples or units (default 4, a register block). */
  align?: number;
  /** A kernel to call right after this one (the units part of a backward pass after its rows part). */
  next?: WasmKernelPlan;
  /** What this kernel, as another's `next`, adds to the first kernel's name (default `units`). */
  part?: string;
  /**
   * It writes only parameter gradients, which no other kernel of a pass reads: a pass's held
   * calls may run it after all the others (runtime/threads.ts), so the threads need not wait
   * for each other around it in the middle of the pass.
   */
  late?: boolean;
}

/** The backward pass as its two parts (dense.ts), rows then units, leaving out a part with nothing to do. */
function backwardParts(rows: WasmKernelPlan | null, units: WasmKernelPlan | null): WasmKernelPlan | null {
  if (rows === null) return units;
  // The pair's key names both parts, so a use sharing it calls both.
  return units === null ? rows : { ...rows, key: `${rows.key} then ${units.key}`, next: units };
}

/** Each part's key names only what its code depends on: the rows part x's gradient, the units part W's and b's. */
function partKeys(op: string, shape: object, grads: { x: Store | null; w: Store | null; b: Store | null }) {
  const text = JSON.stringify(shape);
  return { rows: `${op} backward rows ${text} ${grads.x}`, units: `${op} backward units ${text} ${grads.w} ${grads.b}` };
}

export interface WasmOpKernels {
  /** The forward kernel (training and inference alike), or null where this use needs JavaScript. */
  forward?(ctx: OpContext): WasmKernelPlan | null;
  /** The inference forward of an op whose JavaScript one differs (OpDef.inferForward); without it, inference runs JavaScript. */
  infer?(ctx: OpContext): WasmKernelPlan | null;
  backward?(ctx: WasmBackwardContext): WasmKernelPlan | null;
}

/** Which of dense's scratch buffers (s0, s1, ...) holds the weight gradient's blocks: the list depends on the layer. */
function partialsIndex(ctx: OpContext): number {
  const index = denseWeightBlocksScratch(ctx);
  if (index < 0) throw new Error("internal error: dense has no 'partials' scratch");
  return index;
}

function store(target: GradTarget | null | undefined): Store | null {
  return target ? (target.accumulate ? "accumulate" : "assign") : null;
}

const dense: WasmOpKernels = {
  forward(ctx) {
    const shape = denseKernelShape(ctx);
    if (shape === null) return null;
    const key = `dense forward ${JSON.stringify(shape)}`;
    const product: WasmKernelPlan = { key, build: (m, name) => denseForward(m, name, shape), work: shape.rowsPerSample * shape.inWidth * shape.out };
    if (shape.sparseInput !== true) return product;
    // The zero count and W^T for the whole call on one thread, then the product by samples.
    return { key: `${key} prep`, build: (m, name) => denseSparsePrep(m, name, shape), next: product };
  },
  backward(ctx) {
    const shape = denseKernelShape(ctx);
    if (shape === null) return null;
    const grads = { x: store(ctx.grads[0]), w: store(ctx.grads[1]), b: shape.bias ? store(ctx.grads[2]) : null };
    const keys = partKeys("dense", shape, grads);
    const product = shape.rowsPerSample * shape.inWidth * shape.out;
    return backwardParts(
      grads.x || shape.activation === "relu"
        ? { key: keys.rows, build: (m, name) => denseBackwardPart(m, name, shape, grads, "rows"), work: grads.x ? product : shape.rowsPerSample * shape.out }
        : null,
      grads.w || grads.b
        ? denseWeightByBlocks(shape)
          ? weightByBlocks(shape, grads, { samples: DENSE_BLOCK_SAMPLES, x: "x0", partials: `s${partialsIndex(ctx)}` }, keys.units, product)
          : {
              key: keys.units,
              build: (m, name) => denseBackwardPart(m, name, shape, grads, "units"),
              units: shape.out,
              late: true,
              // Not split where it may skip zeros: each chunk gathers the whole batch's nonzero x
              // again (mnist_mlp at batch 128 trained 0.46x as fast on two threads as on one,
              // 0.83x once buffers sat on cache lines of their own; unsplit, 1.0x).
              ...(shape.sparseInput === true ? {} : { work: product }),
            }
        : null,
    );
  },
};

function convShape(ctx: OpContext): ConvKernelShape | null {
  const attrs = ctx.attrs as ConvAttrs;
  const activation = attrs.activation ?? "identity";
  if (activation !== "identity" && activation !== "relu") return null;
  return { geometry: convGeometry(ctx.inputs[0]!.shape, attrs), bias: ctx.inputs.length > 2, activation };
}

const conv2d: WasmOpKernels = {
  forward(ctx) {
    const shape = convShape(ctx);
    if (shape === null) return null;
    const g = shape.geometry;
    return { key: `conv2d forward ${JSON.stringify(shape)}`, build: (m, name) => convForward(m, name, shape), work: g.oh * g.ow * g.patch * (g.filters + 1) };
  },
  backward(ctx) {
    const shape = convShape(ctx);
    if (shape === null) return null;
    const grads = { x: store(ctx.grads[0]), w: store(ctx.grads[1]), b: shape.bias ? store(ctx.grads[2]) : null };
    const keys = partKeys("conv2d", shape, grads);
    const g = shape.geometry;
    const product = g.oh * g.ow * g.patch * g.filters;
    return backwardParts(
      grads.x || shape.activation === "relu"
        ? { key: keys.rows, build: (m, name) => convBackward(m, name, shape, grads, "rows"), work: grads.x ? product : g.oh * g.ow * g.filters }
        : null,
      grads.w || grads.b ? convWeightGradient(shape, grads, keys.units, product) : null,
    );
  },
};

/** conv2d's db and dW: by blocks of samples, then added up (weight-blocks.ts), or by output units. */
function convWeightGradient(shape: ConvKernelShape, grads: { x: Store | null; w: Store | null; b: Store | null }, key: string, product: number): WasmKernelPlan {
  if (!convWeightByBlocks(shape.geometry)) return { key, build: (m, name) => convBackward(m, name, shape, grads, "units"), work: product, units: shape.geometry.filters, late: true };
  return weightByBlocks(asDense(shape), grads, CONV_WEIGHT_BLOCKS, key, product);
}

/** A layer's db and dW by blocks of samples (each chunk of the split whole blocks), then the blocks added up. */
function weightByBlocks(shape: DenseKernelShape, grads: WeightGradients, blocks: WeightBlocks, key: string, product: number): WasmKernelPlan {
  return {
    key: `${key} by blocks of ${blocks.samples}`,
    build: (m, name) => weightPartials(m, name, shape, grads, blocks),
    work: product,
    align: blocks.samples,
    part: "blocks",
    next: { key: `${key} combined`, build: (m, name) => weightCombine(m, name, shape, grads, blocks), part: "sums", late: true },
  };
}

function activationFn(ctx: OpContext): WasmActivation | null {
  const fn = ctx.attrs["fn"];
  return fn === "relu" || fn === "tanh" || fn === "sigmoid" || fn === "gelu" ? fn : null;
}

/** Rough operations an element, for the split threshold: tanh and sigmoid are a rational approximation, gelu two exps and a series. */
const ACTIVATION_WORK: Record<WasmActivation, number> = { relu: 1, tanh: 12, sigmoid: 12, gelu: 40 };

const activation: WasmOpKernels = {
  forward(ctx) {
    const fn = activationFn(ctx);
    if (fn === null) return null;
    const size = ctx.output.size;
    return { key: `${fn} forward ${size}`, build: (m, name) => activationForward(m, name, fn, size), work: size * ACTIVATION_WORK[fn] };
  },
  backward(ctx) {
    const fn = activationFn(ctx);
    const s = store(ctx.grads[0]);
    if (fn === null || s === null) return null;
    const size = ctx.output.size;
    return { key: `${fn} backward ${size} ${s}`, build: (m, name) => activationBackward(m, name, fn, size, s), work: size * ACTIVATION_WORK[fn] };
  },
};

const add: WasmOpKernels = {
  forward(ctx) {
    // Broadcasting ([T, D] + [D]) stays in JavaScript.
    const size = ctx.output.size;
    if (ctx.inputs.some((v) => v.size !== size)) return null;
    return { key: `add forward ${size}`, build: (m, name) => elementwiseKernel(m, name, "add", size), work: size };
  },
  backward(ctx) {
    const size = ctx.output.size;
    // A parameter's gradient would sum over the batch: JavaScript.
    if (ctx.inputs.some((v) => v.size !== size || !v.batched)) return null;
    const grads = [store(ctx.grads[0]), store(ctx.grads[1])] as const;
    if (grads[0] === null && grads[1] === null) return null;
    return { key: `add backward ${size} ${grads.join(" ")}`, build: (m, name) => addBackwardKernel(m, name, size, grads), work: size };
  },
};

function batchNormShape(ctx: OpContext): BatchNormShape | null {
  const attrs = ctx.attrs as BatchNormAttrs;
  const activation = attrs.activation ?? "identity";
  if (activation !== "identity" && activation !== "relu") return null;
  const c = ctx.output.shape[ctx.output.shape.length - 1]!;
  if (c > BATCH_NORM_MAX_CHANNELS) return null;
  return { c, rows: ctx.output.size / c, eps: attrs.eps, momentum: attrs.momentum, activation };
}

/**
 * The sums parts split by groups of channels (units, one at a time): each thread walks the
 * whole batch for its channels. `perValue`: operations a value of x.
 */
function sumsSplit(shape: BatchNormShape, perValue: number): Pick<WasmKernelPlan, "units" | "align" | "work"> {
  const groups = sumsGroups(shape.c).length;
  return groups === 1 ? { units: 1 } : { units: groups, align: 1, work: (perValue * shape.rows * shape.c) / groups };
}

const batch_norm: WasmOpKernels = {
  forward(ctx) {
    const shape = batchNormShape(ctx);
    if (shape === null) return null;
    // The statistics by groups of channels (every channel sums the whole batch in one order,
    // on one thread), then the normalisation by samples.
    const key = `batch_norm forward ${JSON.stringify(shape)}`;
    const rows: WasmKernelPlan = { key: `${key} rows`, build: (m, name) => batchNormForward(m, name, shape, "rows"), work: shape.rows * shape.c };
    if (batchNormByBlocks(shape)) {
      // Or by blocks of samples, then merged (batch_norm.ts says why).
      const combined: WasmKernelPlan = { key: `${key} combined`, build: (m, name) => batchNormForwardCombine(m, name, shape), part: "stats", next: { ...rows, part: "rows" } };
      return { key: `${key} blocks`, build: (m, name) => batchNormForwardBlocks(m, name, shape), work: 4 * shape.rows * shape.c, next: combined };
    }
    return { key: `${key} sums`, build: (m, name) => batchNormForward(m, name, shape, "sums"), next: rows, ...sumsSplit(shape, 4) };
  },
  infer(ctx) {
    const shape = batchNormShape(ctx);
    if (shape === null) return null;
    return { key: `batch_norm infer ${JSON.stringify(shape)}`, build: (m, name) => batchNormInfer(m, name, shape) };
  },
  backward(ctx) {
    const shape = batchNormShape(ctx);
    if (shape === null) return null;
    const grads = { x: store(ctx.grads[0]), weight: store(ctx.grads[1]), bias: store(ctx.grads[2]) };
    const key = `batch_norm backward ${JSON.stringify(shape)} ${JSON.stringify(grads)}`;
    const rows: WasmKernelPlan | undefined =
      grads.x === null ? undefined : { key: `${key} rows`, build: (m, name) => batchNormBackward(m, name, shape, grads, "rows"), work: 6 * shape.rows * shape.c };
    if (batchNormByBlocks(shape)) {
      // The gradient sums by blocks of samples, added up, then dx by samples.
      const combined: WasmKernelPlan = { key: `${key} combined`, build: (m, name) => batchNormBackwardCombine(m, name, shape, grads), part: "sums", ...(rows ? { next: { ...rows, part: "rows" } } : {}) };
      return { key: `${key} blocks`, build: (m, name) => batchNormBackwardBlocks(m, name, shape), work: 6 * shape.rows * shape.c, next: combined };
    }
    // The gradient sums by groups of channels, then dx by samples.
    const sums: WasmKernelPlan = { key: `${key} sums`, build: (m, name) => batchNormBackward(m, name, shape, grads, "sums"), ...sumsSplit(shape, 6) };
    return rows ? { ...sums, next: rows } : sums;
  },
};

function poolShape(ctx: OpContext): PoolShape | null {
  const { kh, kw, sh, sw } = ctx.attrs as PoolAttrs;
  const [h, w, c] = ctx.inputs[0]!.shape as [number, number, number];
  const [oh, ow] = ctx.output.shape as [number, number, number];
  if (c * kh * kw > POOL_MAX_UNROLLED) return null;
  return { h, w, c, kh, kw, sh, sw, oh, ow };
}

/** Per sample, every output reads its window (split by samples: each sample's windows are its own). */
const poolWork = (g: PoolShape): number => g.oh * g.ow * g.c * g.kh * g.kw;

function pool(
  op: string,
  forward: (m: ModuleBuilder, name: string, g: PoolShape) => string[],
  backward: (m: ModuleBuilder, name: string, g: PoolShape, s: Store) => string[],
): WasmOpKernels {
  return {
    forward(ctx) {
      const g = poolShape(ctx);
      if (g === null) return null;
      return { key: `${op} forward ${JSON.stringify(g)}`, build: (m, name) => forward(m, name, g), work: poolWork(g) };
    },
    backward(ctx) {
      const g = poolShape(ctx);
      const s = store(ctx.grads[0]);
      if (g === null || s === null) return null;
      return { key: `${op} backward ${JSON.stringify(g)} ${s}`, build: (m, name) => backward(m, name, g, s), work: poolWork(g) };
    },
  };
}

// layer_norm, self_attention and friends (the transformer's ops).
function layerNormShape(ctx: OpContext): LayerNormShape | null {
  const d = ctx.output.shape[ctx.output.shape.length - 1]!;
  if (d % 4 !== 0 || d > LAYER_NORM_MAX_WIDTH) return null;
  return { d, rows: ctx.output.size / d, eps: (ctx.attrs as LayerNormAttrs).eps };
}

const layer_norm: WasmOpKernels = {
  forward(ctx) {
    const shape = layerNormShape(ctx);
    if (shape === null) return null;
    // Rows are independent (mean and 1/std per row, in the per-sample scratch): split by samples.
    return { key: `layer_norm forward ${JSON.stringify(shape)}`, build: (m, name) => layerNormForward(m, name, shape), work: 4 * shape.rows * shape.d };
  },
  backward(ctx) {
    const shape = layerNormShape(ctx);
    if (shape === null) return null;
    const grads = { x: store(ctx.grads[0]), weight: store(ctx.grads[1]), bias: store(ctx.grads[2]) };
    // dx by samples, then dweight and dbias by columns (each summing the whole batch in one order).
    const key = `layer_norm backward ${JSON.stringify(shape)} ${JSON.stringify(grads)}`;
    const values = shape.rows * shape.d;
    return backwardParts(
      grads.x ? { key: `${key} rows`, build: (m, name) => layerNormBackward(m, name, shape, grads, "rows"), work: 10 * values } : null,
      grads.weight || grads.bias ? { key: `${key} units`, build: (m, name) => layerNormBackward(m, name, shape, grads, "units"), work: 3 * values, units: shape.d, late: true } : null,
    );
  },
};

function attentionShape(ctx: OpContext): AttentionShape | null {
  const { heads, causal } = ctx.attrs as AttentionAttrs;
  const [q, k] = ctx.inputs as [IrValue, IrValue];
  const d = q.shape[1]!;
  const dh = d / heads;
  if (dh % 4 !== 0 || dh > ATTENTION_MAX_HEAD_WIDTH) return null;
  return { tq: q.shape[0]!, tk: k.shape[0]!, d, heads, causal };
}

const attention: WasmOpKernels = {
  forward(ctx) {
    const shape = attentionShape(ctx);
    if (shape === null) return null;
    // Each sample's scores, P (per-sample scratch) and output are its own: split by samples.
    // The work counts the two products and about 20 operations an exp of the softmax.
    return {
      key: `attention forward ${JSON.stringify(shape)}`,
      build: (m, name) => attentionForward(m, name, shape),
      work: 2 * shape.tq * shape.tk * shape.d + 20 * shape.heads * shape.tq * shape.tk,
    };
  },
  backward(ctx) {
    const shape = attentionShape(ctx);
    if (shape === null) return null;
    const grads = { q: store(ctx.grads[0]), k: store(ctx.grads[1]), v: store(ctx.grads[2]) };
    // Each sample's gradients are its own, and a chunk's row of score gradient (s1) is the one
    // of its first sample: split by samples. Four products of the forward's size.
    return {
      key: `attention backward ${JSON.stringify(shape)} ${JSON.stringify(grads)}`,
      build: (m, name) => attentionBackward(m, name, shape, grads),
      work: 4 * shape.tq * shape.tk * shape.d,
    };
  },
};

// i11-seq: the spiking ops. Forward kernels split by samples; lif's backward too, unless it
// sums dβ or dθ over the batch (one thread then, so the sum's order is fixed).
const lif: WasmOpKernels = {
  forward(ctx) {
    const x = ctx.inputs[0]!;
    const shape = lifShape(x.shape[0]!, x.size / x.shape[0]!, ctx.attrs as LifAttrs);
    return { key: `lif forward ${JSON.stringify(shape)}`, build: (m, name) => lifForward(m, name, shape), work: x.size };
  },
  backward(ctx) {
    const x = ctx.inputs[0]!;
    const shape = lifShape(x.shape[0]!, x.size / x.shape[0]!, ctx.attrs as LifAttrs);
    const grads = { x: store(ctx.grads[0]), beta: store(ctx.grads[1]), threshold: store(ctx.grads[2]) };
    const plan = { key: `lif backward ${JSON.stringify(shape)} ${JSON.stringify(grads)}`, build: (m: ModuleBuilder, name: string) => lifBackward(m, name, shape, grads) };
    return grads.beta || grads.threshold ? plan : { ...plan, work: x.size };
  },
};

const repeat: WasmOpKernels = {
  forward(ctx) {
    const shape = { steps: (ctx.attrs as RepeatAttrs).steps, f: ctx.inputs[0]!.size };
    return { key: `repeat forward ${JSON.stringify(shape)}`, build: (m, name) => repeatForward(m, name, shape), work: ctx.output.size };
  },
  backward(ctx) {
    const shape = { steps: (ctx.attrs as RepeatAttrs).steps, f: ctx.inputs[0]!.size };
    const s = store(ctx.grads[0]);
    if (s === null) return null;
    return { key: `repeat backward ${JSON.stringify(shape)} ${s}`, build: (m, name) => repeatBackward(m, name, shape, s), work: ctx.output.size };
  },
};

export const wasmOps: Readonly<Record<string, WasmOpKernels>> = {
  dense,
  conv2d,
  activation,
  add,
  batch_norm,
  max_pool2d: pool("max_pool2d", maxPoolForward, maxPoolBackward),
  avg_pool2d: pool("avg_pool2d", avgPoolForward, avgPoolBackward),
  layer_norm,
  attention,
  lif,
  repeat,
};
