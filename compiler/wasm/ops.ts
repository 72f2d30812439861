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
import type { DenseAttrs } from "../ir/ops/dense.js";
import type { BackwardContext, GradTarget, OpContext } from "../ir/ops/op.js";

/** What a backward generator reads: the op, and where each input's gradient goes. */
export type WasmBackwardContext = OpContext & Pick<BackwardContext, "grads">;
import type { BatchNormAttrs } from "../ir/ops/batch_norm.js";
import { BATCH_NORM_MAX_CHANNELS, batchNormBackward, batchNormForward, batchNormInfer, type BatchNormShape } from "./batch_norm.js";
import type { PoolAttrs } from "../ir/ops/pool.js";
import { avgPoolBackward, avgPoolForward, maxPoolBackward, maxPoolForward, POOL_MAX_UNROLLED, type PoolShape } from "./pool.js";
import { activationBackward, activationForward, type WasmActivation } from "./activation.js";
import { convBackward, convForward, type ConvKernelShape } from "./conv2d.js";
import { denseBackwardPart, denseForward, type DenseKernelShape } from "./dense.js";
import { elementwiseKernel } from "./elementwise.js";
import type { ModuleBuilder } from "./module.js";
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
  /** A kernel to call right after this one (the units part of a backward pass after its rows part). */
  next?: WasmKernelPlan;
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

function denseShape(ctx: OpContext): DenseKernelShape | null {
  const attrs = ctx.attrs as DenseAttrs;
  const activation = attrs.activation ?? "identity";
  if (activation !== "identity" && activation !== "relu") return null;
  const [x, w] = ctx.inputs as [IrValue, IrValue];
  const [out, inWidth] = w.shape as [number, number];
  return { rowsPerSample: x.size / inWidth, inWidth, out, bias: ctx.inputs.length > 2, activation };
}

function store(target: GradTarget | null | undefined): Store | null {
  return target ? (target.accumulate ? "accumulate" : "assign") : null;
}

const dense: WasmOpKernels = {
  forward(ctx) {
    const shape = denseShape(ctx);
    if (shape === null) return null;
    return { key: `dense forward ${JSON.stringify(shape)}`, build: (m, name) => denseForward(m, name, shape), work: shape.rowsPerSample * shape.inWidth * shape.out };
  },
  backward(ctx) {
    const shape = denseShape(ctx);
    if (shape === null) return null;
    const grads = { x: store(ctx.grads[0]), w: store(ctx.grads[1]), b: shape.bias ? store(ctx.grads[2]) : null };
    const keys = partKeys("dense", shape, grads);
    const product = shape.rowsPerSample * shape.inWidth * shape.out;
    return backwardParts(
      grads.x || shape.activation === "relu"
        ? { key: keys.rows, build: (m, name) => denseBackwardPart(m, name, shape, grads, "rows"), work: grads.x ? product : shape.rowsPerSample * shape.out }
        : null,
      grads.w || grads.b ? { key: keys.units, build: (m, name) => denseBackwardPart(m, name, shape, grads, "units"), work: product, units: shape.out } : null,
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
      grads.w || grads.b ? { key: keys.units, build: (m, name) => convBackward(m, name, shape, grads, "units"), work: product, units: g.filters } : null,
    );
  },
};

function activationFn(ctx: OpContext): WasmActivation | null {
  const fn = ctx.attrs["fn"];
  return fn === "relu" || fn === "tanh" || fn === "sigmoid" ? fn : null;
}

/** Rough operations an element, for the split threshold: tanh and sigmoid are a rational approximation. */
const ACTIVATION_WORK: Record<WasmActivation, number> = { relu: 1, tanh: 12, sigmoid: 12 };

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
};

function batchNormShape(ctx: OpContext): BatchNormShape | null {
  const attrs = ctx.attrs as BatchNormAttrs;
  const activation = attrs.activation ?? "identity";
  if (activation !== "identity" && activation !== "relu") return null;
  const c = ctx.output.shape[ctx.output.shape.length - 1]!;
  if (c > BATCH_NORM_MAX_CHANNELS) return null;
  return { c, rows: ctx.output.size / c, eps: attrs.eps, momentum: attrs.momentum, activation };
}

const batch_norm: WasmOpKernels = {
  forward(ctx) {
    const shape = batchNormShape(ctx);
    if (shape === null) return null;
    // The statistics on one thread (every channel sums the whole batch in one order), then the
    // normalisation by samples.
    const key = `batch_norm forward ${JSON.stringify(shape)}`;
    const rows: WasmKernelPlan = { key: `${key} rows`, build: (m, name) => batchNormForward(m, name, shape, "rows"), work: shape.rows * shape.c };
    return { key: `${key} sums`, build: (m, name) => batchNormForward(m, name, shape, "sums"), next: rows };
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
    const sums: WasmKernelPlan = { key: `${key} sums`, build: (m, name) => batchNormBackward(m, name, shape, grads, "sums") };
    if (grads.x === null) return sums;
    // dx by samples after the sums (and the relu mask they apply to gy) on one thread.
    return { ...sums, next: { key: `${key} rows`, build: (m, name) => batchNormBackward(m, name, shape, grads, "rows"), work: 6 * shape.rows * shape.c } };
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

export const wasmOps: Readonly<Record<string, WasmOpKernels>> = {
  dense,
  conv2d,
  activation,
  add,
  batch_norm,
  max_pool2d: pool("max_pool2d", maxPoolForward, maxPoolBackward),
  avg_pool2d: pool("avg_pool2d", avgPoolForward, avgPoolBackward),
};
