// layer_norm's WebAssembly kernels (the JavaScript ones: compiler/ir/ops/layer_norm.ts). A row
// (the last axis, d floats) is d/4 vectors, unrolled at compile time with every load at a
// constant offset from the row pointer; each row's mean, biased variance and the backward
// pass's two means are four-lane sums in float32 folded once per row. The row's mean and
// 1/std go to the same float64 scratch as the JavaScript kernels', so either backward reads
// either forward's statistics. The weight and bias gradients sum over the rows into the first
// 2d float32s of the JavaScript kernel's own scratch for them.
// Rows whose width is not a multiple of four, or wider than the unrolling pays for, keep the
// JavaScript kernels (ops.ts).

import { range, type FunctionBuilder, type Local } from "./function.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";

const F32 = 4;
const F64 = 8;
const V128 = 16;

/** Beyond this width the unrolled rows stop paying: the JavaScript kernels run. */
export const LAYER_NORM_MAX_WIDTH = 256;

export interface LayerNormShape {
  /** Floats per row (the last axis), a multiple of four. */
  d: number;
  /** Rows per sample. */
  rows: number;
  eps: number;
}

export interface LayerNormGrads {
  x: Store | null;
  weight: Store | null;
  bias: Store | null;
}

/** `for r in [0, n * rows)`: body sees the row pointers, which then advance by their step in bytes. */
function eachRow(f: FunctionBuilder, shape: LayerNormShape, from: readonly (readonly [Local, number])[], body: (rows: Local[]) => void): void {
  const count = f.local("count", "i32");
  f.get(f.ref("n")).i32Const(shape.rows).op("i32.mul").set(count);
  const pointers = from.map(([l], i) => {
    const p = f.local(`p${i}`, "i32");
    f.get(l).set(p);
    return p;
  });
  const r = f.local("r", "i32");
  f.forLoop(r, () => f.i32Const(0), () => f.get(count), 1, "rows", () => {
    body(pointers);
    pointers.forEach((p, i) => f.get(p).i32Const(from[i]![1]).op("i32.add").set(p));
  });
}

/** The four lanes of `v` summed, as an f32 on the stack. */
function lanesSum(f: FunctionBuilder, v: Local): void {
  f.get(v).f32x4ExtractLane(0).get(v).f32x4ExtractLane(1).op("f32.add");
  f.get(v).f32x4ExtractLane(2).get(v).f32x4ExtractLane(3).op("f32.add").op("f32.add");
}

/** Sums `vector(k)` (each pushing a v128) over the row's vectors, then its lanes: the mean of the row, splatted into `into`. */
function rowMean(f: FunctionBuilder, d: number, vector: (k: number) => void, acc: Local, into: Local): void {
  for (const k of range(d / 4)) {
    vector(k);
    if (k > 0) f.op("f32x4.add");
  }
  f.set(acc);
  lanesSum(f, acc);
  f.f32Const(d).op("f32.div").op("f32x4.splat").set(into);
}

/** Training and inference forward: `name(n, x0, x1, x2, y, s0)` (x, weight, bias). */
export function layerNormForward(m: ModuleBuilder, name: string, shape: LayerNormShape): string[] {
  const params = ["n", "x0", "x1", "x2", "y", "s0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { d } = shape;
  const [weight, bias] = [f.ref("x1"), f.ref("x2")];
  const acc = f.local("acc", "v128");
  const c = f.local("c", "v128");
  const mean = f.local("mean", "v128");
  const rstd = f.local("rstd", "v128");
  eachRow(f, shape, [[f.ref("x0"), d * F32], [f.ref("y"), d * F32], [f.ref("s0"), 2 * F64]], ([x, y, s]) => {
    rowMean(f, d, (k) => f.get(x!).load("v128", V128 * k), acc, mean);
    rowMean(f, d, (k) => f.get(x!).load("v128", V128 * k).get(mean).op("f32x4.sub").tee(c).get(c).op("f32x4.mul"), acc, rstd);
    f.f32Const(1).get(rstd).f32x4ExtractLane(0).f32Const(shape.eps).op("f32.add").op("f32.sqrt").op("f32.div").op("f32x4.splat").set(rstd);
    f.get(s!).get(mean).f32x4ExtractLane(0).op("f64.promote_f32").store("f64", 0);
    f.get(s!).get(rstd).f32x4ExtractLane(0).op("f64.promote_f32").store("f64", F64);
    for (const k of range(d / 4)) {
      f.get(y!).get(x!).load("v128", V128 * k).get(mean).op("f32x4.sub").get(rstd).op("f32x4.mul");
      f.get(weight).load("v128", V128 * k).op("f32x4.mul").get(bias).load("v128", V128 * k).op("f32x4.add").store("v128", V128 * k);
    }
  });
  return params;
}

/**
 * Backward: `name(n, gy, x0, s0, [s1,] [gx1,] [gx2,] [x1, gx0])`: gx = rstd (g - mean(g) -
 * xhat mean(g xhat)), g = gy w, and the weight and bias gradients sum gy xhat and gy over the rows.
 */
export function layerNormBackward(m: ModuleBuilder, name: string, shape: LayerNormShape, grads: LayerNormGrads, part: "all" | "rows" | "units" = "all"): string[] {
  if (part === "units") return layerNormBackwardUnits(m, name, shape, grads);
  if (part === "rows") grads = { ...grads, weight: null, bias: null };
  const sums = grads.weight !== null || grads.bias !== null;
  const params = ["n", "gy", "x0", "s0", ...(sums ? ["s1"] : []), ...(grads.weight ? ["gx1"] : []), ...(grads.bias ? ["gx2"] : []), ...(grads.x ? ["x1", "gx0"] : [])];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { d } = shape;
  const vectors = range(d / 4);
  const s1 = sums ? f.ref("s1") : null;
  if (s1 !== null) for (const k of range(d / 2)) f.get(s1).i32x4Const([0, 0, 0, 0]).store("v128", V128 * k);
  const mean = f.local("mean", "v128");
  const rstd = f.local("rstd", "v128");
  const acc = f.local("acc", "v128");
  const meanG = f.local("mean_g", "v128");
  const meanGX = f.local("mean_gx", "v128");
  const rows: [Local, number][] = [[f.ref("gy"), d * F32], [f.ref("x0"), d * F32], [f.ref("s0"), 2 * F64]];
  if (grads.x) rows.push([f.ref("gx0"), d * F32]);
  eachRow(f, shape, rows, ([gy, x, s, gx]) => {
    f.get(s!).load("f64", 0).op("f32.demote_f64").op("f32x4.splat").set(mean);
    f.get(s!).load("f64", F64).op("f32.demote_f64").op("f32x4.splat").set(rstd);
    const loadXhat = (k: number) => f.get(x!).load("v128", V128 * k).get(mean).op("f32x4.sub").get(rstd).op("f32x4.mul");
    if (s1 !== null) {
      for (const k of vectors) {
        if (grads.weight) {
          f.get(s1).get(s1).load("v128", V128 * k).get(gy!).load("v128", V128 * k);
          loadXhat(k);
          f.op("f32x4.mul").op("f32x4.add").store("v128", V128 * k);
        }
        if (grads.bias) f.get(s1).get(s1).load("v128", d * F32 + V128 * k).get(gy!).load("v128", V128 * k).op("f32x4.add").store("v128", d * F32 + V128 * k);
      }
    }
    if (!grads.x) return;
    const weight = f.ref("x1");
    const loadG = (k: number) => f.get(gy!).load("v128", V128 * k).get(weight).load("v128", V128 * k).op("f32x4.mul");
    rowMean(f, d, loadG, acc, meanG);
    rowMean(f, d, (k) => {
      loadG(k);
      loadXhat(k);
      f.op("f32x4.mul");
    }, acc, meanGX);
    for (const k of vectors) {
      f.get(gx!);
      if (grads.x === "accumulate") f.get(gx!).load("v128", V128 * k);
      loadG(k);
      f.get(meanG).op("f32x4.sub");
      loadXhat(k);
      f.get(meanGX).op("f32x4.mul").op("f32x4.sub").get(rstd).op("f32x4.mul");
      if (grads.x === "accumulate") f.op("f32x4.add");
      f.store("v128", V128 * k);
    }
  });
  const sumsTo = (target: Local, store: Store, from: number) => {
    for (const k of vectors) {
      f.get(target);
      if (store === "accumulate") f.get(target).load("v128", V128 * k);
      f.get(s1!).load("v128", from + V128 * k);
      if (store === "accumulate") f.op("f32x4.add");
      f.store("v128", V128 * k);
    }
  };
  if (grads.weight) sumsTo(f.ref("gx1"), grads.weight, 0);
  if (grads.bias) sumsTo(f.ref("gx2"), grads.bias, d * F32);
  return params;
}

/**
 * The backward's *units* part, `name(n, from, to, gy, x0, s0, s1, [gx1,] [gx2])`: the weight and
 * bias gradients of columns from..to (multiples of four), each summed over the batch's rows in
 * row order as the whole pass sums them, through the same scratch, so that threads splitting
 * the columns give the same bytes. The rows part (dx) is the whole pass without these sums.
 */
function layerNormBackwardUnits(m: ModuleBuilder, name: string, shape: LayerNormShape, grads: LayerNormGrads): string[] {
  const params = ["n", "from", "to", "gy", "x0", "s0", "s1", ...(grads.weight ? ["gx1"] : []), ...(grads.bias ? ["gx2"] : [])];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { d } = shape;
  const [s1, gy, x] = [f.ref("s1"), f.ref("gy"), f.ref("x0")];
  // Byte offsets of the first and past-the-last column.
  const [first, last] = [f.local("first", "i32"), f.local("last", "i32")];
  f.get(f.ref("from")).i32Const(F32).op("i32.mul").set(first);
  f.get(f.ref("to")).i32Const(F32).op("i32.mul").set(last);
  const j = f.local("j", "i32");
  const at = f.local("at", "i32");
  /** For each vector of the columns: `body` with `at` the scratch's address of it. */
  const columns = (label: string, base: Local, body: () => void) =>
    f.forLoop(j, () => f.get(first), () => f.get(last), V128, label, () => {
      f.get(base).get(j).op("i32.add").set(at);
      body();
    });
  columns("zero", s1, () => {
    f.get(at).i32x4Const([0, 0, 0, 0]).store("v128", 0);
    f.get(at).i32x4Const([0, 0, 0, 0]).store("v128", d * F32);
  });
  const mean = f.local("mean", "v128");
  const rstd = f.local("rstd", "v128");
  const rowGy = f.local("row_gy", "i32");
  const rowX = f.local("row_x", "i32");
  eachRow(f, shape, [[gy, d * F32], [x, d * F32], [f.ref("s0"), 2 * F64]], ([g, xr, s]) => {
    f.get(s!).load("f64", 0).op("f32.demote_f64").op("f32x4.splat").set(mean);
    f.get(s!).load("f64", F64).op("f32.demote_f64").op("f32x4.splat").set(rstd);
    f.get(g!).set(rowGy);
    f.get(xr!).set(rowX);
    columns("columns", s1, () => {
      const gyAt = () => f.get(rowGy).get(j).op("i32.add").load("v128", 0);
      if (grads.weight) {
        f.get(at).get(at).load("v128", 0);
        gyAt();
        f.get(rowX).get(j).op("i32.add").load("v128", 0).get(mean).op("f32x4.sub").get(rstd).op("f32x4.mul");
        f.op("f32x4.mul").op("f32x4.add").store("v128", 0);
      }
      if (grads.bias) {
        f.get(at).get(at).load("v128", d * F32);
        gyAt();
        f.op("f32x4.add").store("v128", d * F32);
      }
    });
  });
  const sumsTo = (param: string, store: Store, offset: number) => {
    const target = f.ref(param);
    columns(`to_${param}`, target, () => {
      f.get(at);
      if (store === "accumulate") f.get(at).load("v128", 0);
      f.get(s1).get(j).op("i32.add").load("v128", offset);
      if (store === "accumulate") f.op("f32x4.add");
      f.store("v128", 0);
    });
  };
  if (grads.weight) sumsTo("gx1", grads.weight, 0);
  if (grads.bias) sumsTo("gx2", grads.bias, d * F32);
  return params;
}
