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
import { denseBackward, denseForward, type DenseKernelShape } from "./dense.js";
import { elementwiseKernel } from "./elementwise.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";

export interface WasmKernelPlan {
  /** Equal keys mean identical kernels. */
  key: string;
  /** Writes the kernel as function `name`; returns its parameter names (ops/op.ts's convention). */
  build(m: ModuleBuilder, name: string): string[];
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
    return { key: `dense forward ${JSON.stringify(shape)}`, build: (m, name) => denseForward(m, name, shape) };
  },
  backward(ctx) {
    const shape = denseShape(ctx);
    if (shape === null) return null;
    const grads = { x: store(ctx.grads[0]), w: store(ctx.grads[1]), b: shape.bias ? store(ctx.grads[2]) : null };
    return { key: `dense backward ${JSON.stringify(shape)} ${JSON.stringify(grads)}`, build: (m, name) => denseBackward(m, name, shape, grads) };
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
    return { key: `conv2d forward ${JSON.stringify(shape)}`, build: (m, name) => convForward(m, name, shape) };
  },
  backward(ctx) {
    const shape = convShape(ctx);
    if (shape === null) return null;
    const grads = { x: store(ctx.grads[0]), w: store(ctx.grads[1]), b: shape.bias ? store(ctx.grads[2]) : null };
    return { key: `conv2d backward ${JSON.stringify(shape)} ${JSON.stringify(grads)}`, build: (m, name) => convBackward(m, name, shape, grads) };
  },
};

function activationFn(ctx: OpContext): WasmActivation | null {
  const fn = ctx.attrs["fn"];
  return fn === "relu" || fn === "tanh" || fn === "sigmoid" ? fn : null;
}

const activation: WasmOpKernels = {
  forward(ctx) {
    const fn = activationFn(ctx);
    if (fn === null) return null;
    const size = ctx.output.size;
    return { key: `${fn} forward ${size}`, build: (m, name) => activationForward(m, name, fn, size) };
  },
  backward(ctx) {
    const fn = activationFn(ctx);
    const s = store(ctx.grads[0]);
    if (fn === null || s === null) return null;
    const size = ctx.output.size;
    return { key: `${fn} backward ${size} ${s}`, build: (m, name) => activationBackward(m, name, fn, size, s) };
  },
};

const add: WasmOpKernels = {
  forward(ctx) {
    // Broadcasting ([T, D] + [D]) stays in JavaScript.
    const size = ctx.output.size;
    if (ctx.inputs.some((v) => v.size !== size)) return null;
    return { key: `add forward ${size}`, build: (m, name) => elementwiseKernel(m, name, "add", size) };
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
    return { key: `batch_norm forward ${JSON.stringify(shape)}`, build: (m, name) => batchNormForward(m, name, shape) };
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
    return { key: `batch_norm backward ${JSON.stringify(shape)} ${JSON.stringify(grads)}`, build: (m, name) => batchNormBackward(m, name, shape, grads) };
  },
};

function poolShape(ctx: OpContext): PoolShape | null {
  const { kh, kw, sh, sw } = ctx.attrs as PoolAttrs;
  const [h, w, c] = ctx.inputs[0]!.shape as [number, number, number];
  const [oh, ow] = ctx.output.shape as [number, number, number];
  if (c * kh * kw > POOL_MAX_UNROLLED) return null;
  return { h, w, c, kh, kw, sh, sw, oh, ow };
}

function pool(
  op: string,
  forward: (m: ModuleBuilder, name: string, g: PoolShape) => string[],
  backward: (m: ModuleBuilder, name: string, g: PoolShape, s: Store) => string[],
): WasmOpKernels {
  return {
    forward(ctx) {
      const g = poolShape(ctx);
      if (g === null) return null;
      return { key: `${op} forward ${JSON.stringify(g)}`, build: (m, name) => forward(m, name, g) };
    },
    backward(ctx) {
      const g = poolShape(ctx);
      const s = store(ctx.grads[0]);
      if (g === null || s === null) return null;
      return { key: `${op} backward ${JSON.stringify(g)} ${s}`, build: (m, name) => backward(m, name, g, s) };
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
