// batch_norm's WebAssembly kernels (the JavaScript ones: compiler/ir/ops/batch_norm.ts).
// The channel is the last axis, so a row of memory is one value per channel: each pass walks
// the rows once with the channel loop unrolled at compile time, every per-channel sum and
// coefficient in a local of its own and every load at a constant offset from the row pointer.
// The statistics and the backward pass compute in float64 in the JavaScript kernels' order
// (sums row by row, the same expressions), so mean, 1/std, the running statistics and the
// gradients match them; the normalisation itself runs four channels at a time in float32
// with the scale and shift rounded to float32 (kept in the third scratch).
// Unrolling bounds the channel count: wider layers keep the JavaScript kernels (ops.ts).
// Training forward and backward each come as two parts for threads (`part`): the per-channel
// sums over the whole batch on one thread, then the per-row pass (the normalisation, dx) with
// the coefficients read back from the scratch, which runtime/threads.ts splits by samples.

/** Both passes in one function, or the sums part, or the per-row part alone. */
export type BatchNormPart = "all" | "sums" | "rows";

import type { FunctionBuilder, Local } from "./function.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";

const F32 = 4;
const F64 = 8;

/** Beyond this many channels the unrolled locals stop paying: the JavaScript kernels run. */
export const BATCH_NORM_MAX_CHANNELS = 64;

export interface BatchNormShape {
  /** Channels (the last axis). */
  c: number;
  /** Rows of c values per sample. */
  rows: number;
  eps: number;
  momentum: number;
  activation: "identity" | "relu";
}

export interface BatchNormGrads {
  x: Store | null;
  weight: Store | null;
  bias: Store | null;
}

const range = (k: number): number[] => Array.from({ length: k }, (_, i) => i);

/** count = n * rows, as i32 and float64. */
function counts(f: FunctionBuilder, rows: number): { count: Local; countF: Local } {
  const count = f.local("count", "i32");
  const countF = f.local("count_f", "f64");
  f.get(f.ref("n")).i32Const(rows).op("i32.mul").tee(count).op("f64.convert_i32_s").set(countF);
  return { count, countF };
}

/** `for r in [0, count)`: body sees the row pointers, which then advance by one row (c floats). */
function eachRow(f: FunctionBuilder, label: string, c: number, count: Local, from: readonly Local[], body: (rows: Local[]) => void): void {
  const pointers = from.map((l, i) => {
    const p = f.reuse(`${label}_p${i}`, "i32");
    f.get(l).set(p);
    return p;
  });
  const r = f.reuse("r", "i32");
  f.forLoop(r, () => f.i32Const(0), () => f.get(count), 1, label, () => {
    body(pointers);
    for (const p of pointers) f.get(p).i32Const(c * F32).op("i32.add").set(p);
  });
}

const promoted = (f: FunctionBuilder, at: Local, offset: number): FunctionBuilder => f.get(at).load("f32", offset).op("f64.promote_f32");

/** y = relu?(x * scale + shift), scale and shift float32 at s2 and s2 + 4c; four channels at a time. */
function normalise(f: FunctionBuilder, shape: BatchNormShape, count: Local): void {
  const { c } = shape;
  const s2 = f.ref("s2");
  const groups = Math.floor(c / 4);
  const scale = range(groups).map((g) => f.local(`scale${g}`, "v128"));
  const shift = range(groups).map((g) => f.local(`shift${g}`, "v128"));
  const tail = range(c - 4 * groups).map((i) => 4 * groups + i);
  const scale1 = tail.map((ch) => f.local(`scale_${ch}`, "f32"));
  const shift1 = tail.map((ch) => f.local(`shift_${ch}`, "f32"));
  range(groups).forEach((g) => {
    f.get(s2).load("v128", 16 * g).set(scale[g]!);
    f.get(s2).load("v128", c * F32 + 16 * g).set(shift[g]!);
  });
  tail.forEach((ch, i) => {
    f.get(s2).load("f32", ch * F32).set(scale1[i]!);
    f.get(s2).load("f32", (c + ch) * F32).set(shift1[i]!);
  });
  const v = f.local("v", "v128");
  const v1 = f.local("v1", "f32");
  eachRow(f, "normalise", c, count, [f.ref("x0"), f.ref("y")], ([x, y]) => {
    range(groups).forEach((g) => {
      f.get(y!).get(x!).load("v128", 16 * g).get(scale[g]!).op("f32x4.mul").get(shift[g]!).op("f32x4.add");
      // relu as the JavaScript ternary v > 0 ? v : 0 (NaN gives 0).
      if (shape.activation === "relu") f.tee(v).get(v).i32x4Const([0, 0, 0, 0]).op("f32x4.gt").op("v128.and");
      f.store("v128", 16 * g);
    });
    tail.forEach((ch, i) => {
      f.get(y!).get(x!).load("f32", ch * F32).get(scale1[i]!).op("f32.mul").get(shift1[i]!).op("f32.add");
      if (shape.activation === "relu") f.tee(v1).f32Const(0).get(v1).f32Const(0).op("f32.gt").select();
      f.store("f32", ch * F32);
    });
  });
}

/** Writes float32 scale and shift of channel ch into s2 from float64 scale and mean-like term on the stack order. */
function storeScaleShift(f: FunctionBuilder, c: number, ch: number, scale: Local, shift: Local): void {
  const s2 = f.ref("s2");
  f.get(s2).get(scale).op("f32.demote_f64").store("f32", ch * F32);
  f.get(s2).get(shift).op("f32.demote_f64").store("f32", (c + ch) * F32);
}

/** Training forward: `name(n, x0, x1, x2, x3, x4, y, s0, s1, s2)` (x, weight, bias, running mean, running variance). */
export function batchNormForward(m: ModuleBuilder, name: string, shape: BatchNormShape, part: BatchNormPart = "all"): string[] {
  if (part === "rows") {
    // The normalisation with the scale and shift the sums part left in s2.
    const params = ["n", "x0", "y", "s2"];
    const f = m.function(name, params.map((p) => [p, "i32"] as const));
    normalise(f, shape, counts(f, shape.rows).count);
    return params;
  }
  const params = ["n", "x0", "x1", "x2", "x3", "x4", "y", "s0", "s1", "s2"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { c, eps, momentum } = shape;
  const { count, countF } = counts(f, shape.rows);
  const sum = range(c).map((ch) => f.local(`sum${ch}`, "f64"));
  const sq = range(c).map((ch) => f.local(`sq${ch}`, "f64"));
  eachRow(f, "mean", c, count, [f.ref("x0")], ([x]) => {
    for (const ch of range(c)) promoted(f.get(sum[ch]!), x!, ch * F32).op("f64.add").set(sum[ch]!);
  });
  for (const ch of range(c)) f.get(sum[ch]!).get(countF).op("f64.div").set(sum[ch]!);
  eachRow(f, "variance", c, count, [f.ref("x0")], ([x]) => {
    for (const ch of range(c)) {
      f.get(sq[ch]!);
      promoted(f, x!, ch * F32).get(sum[ch]!).op("f64.sub").tee(f.reuse("d", "f64")).get(f.ref("d")).op("f64.mul").op("f64.add").set(sq[ch]!);
    }
  });
  const variance = f.local("variance", "f64");
  const rstd = f.local("rstd", "f64");
  const scale = f.local("scale", "f64");
  const shift = f.local("shift", "f64");
  const [weight, bias, runningMean, runningVar, s0, s1] = ["x1", "x2", "x3", "x4", "s0", "s1"].map((p) => f.ref(p)) as [Local, Local, Local, Local, Local, Local];
  for (const ch of range(c)) {
    const mean = sum[ch]!;
    f.get(sq[ch]!).get(countF).op("f64.div").set(variance);
    f.f64Const(1).get(variance).f64Const(eps).op("f64.add").op("f64.sqrt").op("f64.div").set(rstd);
    f.get(s0).get(mean).store("f64", ch * F64);
    f.get(s1).get(rstd).store("f64", ch * F64);
    f.get(runningMean).f64Const(1 - momentum);
    promoted(f, runningMean, ch * F32).op("f64.mul").f64Const(momentum).get(mean).op("f64.mul").op("f64.add").op("f32.demote_f64").store("f32", ch * F32);
    // PyTorch's unbiased running variance, biased for a batch of one row (as the JavaScript kernel).
    f.get(runningVar).f64Const(1 - momentum);
    promoted(f, runningVar, ch * F32).op("f64.mul").f64Const(momentum);
    f.get(sq[ch]!).get(countF).f64Const(1).op("f64.sub").op("f64.div").get(variance).get(count).i32Const(1).op("i32.gt_s").select();
    f.op("f64.mul").op("f64.add").op("f32.demote_f64").store("f32", ch * F32);
    promoted(f, weight, ch * F32).get(rstd).op("f64.mul").set(scale);
    promoted(f, bias, ch * F32).get(mean).get(scale).op("f64.mul").op("f64.sub").set(shift);
    storeScaleShift(f, c, ch, scale, shift);
  }
  if (part === "all") normalise(f, shape, count);
  return params;
}

/** Inference forward with the running statistics: `name(n, x0, x1, x2, x3, x4, y, s2)`. */
export function batchNormInfer(m: ModuleBuilder, name: string, shape: BatchNormShape): string[] {
  const params = ["n", "x0", "x1", "x2", "x3", "x4", "y", "s2"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { c, eps } = shape;
  const { count } = counts(f, shape.rows);
  const scale = f.local("scale", "f64");
  const shift = f.local("shift", "f64");
  const [weight, bias, runningMean, runningVar] = ["x1", "x2", "x3", "x4"].map((p) => f.ref(p)) as [Local, Local, Local, Local];
  for (const ch of range(c)) {
    promoted(f, weight, ch * F32);
    promoted(f, runningVar, ch * F32).f64Const(eps).op("f64.add").op("f64.sqrt").op("f64.div").set(scale);
    promoted(f, bias, ch * F32);
    promoted(f, runningMean, ch * F32).get(scale).op("f64.mul").op("f64.sub").set(shift);
    storeScaleShift(f, c, ch, scale, shift);
  }
  normalise(f, shape, count);
  return params;
}

/**
 * Backward: `name(n, gy, x0, [y,] s0, s1, s2, [gx1,] [gx2,] [x1, gx0])`. With a fused relu, gy
 * becomes the gradient of the normalised value in place (as the JavaScript kernel).
 */
export function batchNormBackward(m: ModuleBuilder, name: string, shape: BatchNormShape, grads: BatchNormGrads, part: BatchNormPart = "all"): string[] {
  if (part === "rows") return batchNormBackwardRows(m, name, shape, grads.x ?? "assign");
  const relu = shape.activation === "relu";
  const gx = part === "all" && grads.x !== null;
  const params = ["n", "gy", "x0", ...(relu ? ["y"] : []), "s0", "s1", "s2", ...(grads.weight ? ["gx1"] : []), ...(grads.bias ? ["gx2"] : []), ...(gx ? ["x1", "gx0"] : [])];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { c } = shape;
  const { count, countF } = counts(f, shape.rows);
  const [s0, s1, s2] = ["s0", "s1", "s2"].map((p) => f.ref(p)) as [Local, Local, Local];
  const mean = range(c).map((ch) => f.local(`mean${ch}`, "f64"));
  const rstd = range(c).map((ch) => f.local(`rstd${ch}`, "f64"));
  const sg = range(c).map((ch) => f.local(`sg${ch}`, "f64"));
  const sgx = range(c).map((ch) => f.local(`sgx${ch}`, "f64"));
  for (const ch of range(c)) {
    f.get(s0).load("f64", ch * F64).set(mean[ch]!);
    f.get(s1).load("f64", ch * F64).set(rstd[ch]!);
  }
  const g = f.local("g", "f32");
  const gd = f.local("gd", "f64");
  eachRow(f, "sums", c, count, [f.ref("gy"), f.ref("x0"), ...(relu ? [f.ref("y")] : [])], ([gy, x, y]) => {
    for (const ch of range(c)) {
      if (relu) {
        f.get(gy!).get(gy!).load("f32", ch * F32).f32Const(0).get(y!).load("f32", ch * F32).f32Const(0).op("f32.gt").select().tee(g).store("f32", ch * F32);
        f.get(g);
      } else f.get(gy!).load("f32", ch * F32);
      f.op("f64.promote_f32").tee(gd).get(sg[ch]!).op("f64.add").set(sg[ch]!);
      f.get(sgx[ch]!).get(gd);
      promoted(f, x!, ch * F32).get(mean[ch]!).op("f64.sub").op("f64.mul").get(rstd[ch]!).op("f64.mul").op("f64.add").set(sgx[ch]!);
    }
  });
  for (const ch of range(c)) {
    f.get(s2).get(sg[ch]!).store("f64", ch * F64);
    f.get(s2).get(sgx[ch]!).store("f64", (c + ch) * F64);
  }
  // The whole batch's row count: the rows part runs on a chunk of it.
  f.get(s2).get(countF).store("f64", 2 * c * F64);
  const reduce = (store: Store | null, param: string, sums: Local[]) => {
    if (store === null) return;
    const to = f.ref(param);
    for (const ch of range(c)) {
      f.get(to);
      if (store === "accumulate") promoted(f, to, ch * F32).get(sums[ch]!).op("f64.add");
      else f.get(sums[ch]!);
      f.op("f32.demote_f64").store("f32", ch * F32);
    }
  };
  reduce(grads.weight, "gx1", sgx);
  reduce(grads.bias, "gx2", sg);
  if (gx) dxPass(f, c, countF, mean, rstd, sg, sgx, grads.x!);
  return params;
}

/** The backward's per-row part: dx from the statistics in s0, s1 and the gradient sums in s2. */
function batchNormBackwardRows(m: ModuleBuilder, name: string, shape: BatchNormShape, store: Store): string[] {
  const params = ["n", "gy", "x0", "s0", "s1", "s2", "x1", "gx0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { c } = shape;
  const { countF } = counts(f, shape.rows);
  const [s0, s1, s2] = ["s0", "s1", "s2"].map((p) => f.ref(p)) as [Local, Local, Local];
  const mean = range(c).map((ch) => f.local(`mean${ch}`, "f64"));
  const rstd = range(c).map((ch) => f.local(`rstd${ch}`, "f64"));
  const sg = range(c).map((ch) => f.local(`sg${ch}`, "f64"));
  const sgx = range(c).map((ch) => f.local(`sgx${ch}`, "f64"));
  // This chunk's rows are counted from n; the divisor is the whole batch's, from the sums part.
  f.get(s2).load("f64", 2 * c * F64).set(countF);
  for (const ch of range(c)) {
    f.get(s0).load("f64", ch * F64).set(mean[ch]!);
    f.get(s1).load("f64", ch * F64).set(rstd[ch]!);
    f.get(s2).load("f64", ch * F64).set(sg[ch]!);
    f.get(s2).load("f64", (c + ch) * F64).set(sgx[ch]!);
  }
  dxPass(f, c, countF, mean, rstd, sg, sgx, store);
  return params;
}

/** gx = weight * rstd * (gy - sg / count - (x - mean) * rstd * sgx / count), row by row. */
function dxPass(f: FunctionBuilder, c: number, countF: Local, mean: Local[], rstd: Local[], sg: Local[], sgx: Local[], store: Store): void {
  const count = f.ref("count");
  {
    const weight = f.ref("x1");
    // sg becomes sg / count and rstd becomes weight * rstd: the JavaScript kernel's terms.
    const wr = range(c).map((ch) => f.local(`wr${ch}`, "f64"));
    for (const ch of range(c)) {
      f.get(sg[ch]!).get(countF).op("f64.div").set(sg[ch]!);
      promoted(f, weight, ch * F32).get(rstd[ch]!).op("f64.mul").set(wr[ch]!);
    }
    eachRow(f, "gx", c, count, [f.ref("gy"), f.ref("x0"), f.ref("gx0")], ([gy, x, gx]) => {
      for (const ch of range(c)) {
        f.get(gx!);
        if (store === "accumulate") promoted(f, gx!, ch * F32);
        // weight * rstd * (gy - sg / count - (x - mean) * rstd * sgx / count)
        f.get(wr[ch]!);
        promoted(f, gy!, ch * F32).get(sg[ch]!).op("f64.sub");
        promoted(f, x!, ch * F32).get(mean[ch]!).op("f64.sub").get(rstd[ch]!).op("f64.mul").get(sgx[ch]!).op("f64.mul").get(countF).op("f64.div");
        f.op("f64.sub").op("f64.mul");
        if (store === "accumulate") f.op("f64.add");
        f.op("f32.demote_f64").store("f32", ch * F32);
      }
    });
  }
}
