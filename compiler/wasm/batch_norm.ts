// batch_norm's WebAssembly kernels (the JavaScript ones: compiler/ir/ops/batch_norm.ts).
// The channel is the last axis, so a row of memory is one value per channel: each pass walks
// the rows once with the channel loop unrolled at compile time, every per-channel sum and
// coefficient in a local of its own and every load at a constant offset from the row pointer.
// The statistics and the backward pass compute in float64 in the JavaScript kernels' order
// (sums row by row, the same expressions), so mean, 1/std, the running statistics and the
// gradients match them; they run two channels a vector (f64x2, four channels a row load, the
// last c mod 4 in scalar code), which is the same arithmetic lane by lane. The normalisation
// itself runs four channels at a time in float32 with the scale and shift rounded to float32
// (kept in the third scratch).
// Unrolling bounds the channel count: wider layers keep the JavaScript kernels (ops.ts).
// Training forward and backward each come as two parts for threads (`part`): the per-channel
// sums over the whole batch, which runtime/threads.ts splits by groups of channels
// (`sumsGroups`), then the per-row pass (the normalisation, dx) with the coefficients read
// back from the scratch, which it splits by samples.

import { range, type FunctionBuilder, type Local } from "./function.js";
import { addBlocks, blocksEnd, overChunks, PARTIAL_SAMPLES } from "./chunks.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";

const F32 = 4;
const F64 = 8;

/** Both passes in one function, or the sums part, or the per-row part alone. */
export type BatchNormPart = "all" | "sums" | "rows";

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

/** Lanes 2 and 3 of a vector moved to 0 and 1 (for promote_low). */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** Channels 2h and 2h + 1 of the four float32 in `v` as an f64x2. */
function promotedPair(f: FunctionBuilder, v: Local, h: number): FunctionBuilder {
  f.get(v);
  if (h === 1) f.get(v).i8x16Shuffle(HIGH_HALF);
  return f.op("f64x2.promote_low_f32x4");
}

/** Two f64x2 on the stack (channels 0-1 below, 2-3 on top) as one vector of four float32. */
function demotedQuad(f: FunctionBuilder): FunctionBuilder {
  const high = f.reuse("quad_high", "v128");
  f.op("f32x4.demote_f64x2_zero").set(high);
  f.op("f32x4.demote_f64x2_zero").get(high);
  return f.i8x16Shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
}

/** Channels as the passes walk them: in vectors (four a row load, two an f64x2), then scalars. */
interface Lanes {
  quads: number[];
  pairs: number[];
  tail: number[];
}

/** The channels in vectors (four a row load, two an f64x2) and the scalar ones after them. */
function lanes(c: number): Lanes {
  const quads = range(Math.floor(c / 4));
  return { quads, pairs: range(2 * quads.length), tail: range(c - 4 * quads.length).map((i) => 4 * quads.length + i) };
}

/**
 * The groups of channels the sums parts split into across threads (units `from`..`to` of
 * the kernel): the first half of the vector channels, then the rest with the scalar tail.
 * One group where there are fewer than two vectors of channels.
 */
export function sumsGroups(c: number): Lanes[] {
  const all = lanes(c);
  if (all.quads.length < 2) return [all];
  const half = Math.ceil(all.quads.length / 2);
  const group = (quads: number[], tail: number[]): Lanes => ({ quads, pairs: quads.flatMap((q) => [2 * q, 2 * q + 1]), tail });
  return [group(all.quads.slice(0, half), []), group(all.quads.slice(half), all.tail)];
}

/** Zeroes the f64x2 sums of the pairs of channels of `l` and the f64 sums of its tail: a block's sums start afresh. */
function zeroSums(f: FunctionBuilder, l: Lanes, vectors: readonly Local[][], scalars: readonly Map<number, Local>[]): void {
  for (const k of l.pairs) for (const v of vectors) f.f64Const(0).op("f64x2.splat").set(v[k]!);
  for (const ch of l.tail) for (const m of scalars) f.f64Const(0).set(m.get(ch)!);
}

function channelsOf(l: Lanes): number[] {
  return [...l.quads.flatMap((q) => [4 * q, 4 * q + 1, 4 * q + 2, 4 * q + 3]), ...l.tail];
}

/**
 * The sums part's body for `from`..`to` of its groups: all of them in one pass over the rows
 * when one thread has them all, else each group's own pass (a group's channels sum in the
 * same order either way, so the results are the same bytes).
 */
function overGroups(f: FunctionBuilder, c: number, body: (l: Lanes, prefix: string) => void): void {
  const groups = sumsGroups(c);
  if (groups.length === 1) return body(groups[0]!, "");
  const [from, to] = [f.ref("from"), f.ref("to")];
  f.get(from).i32Const(0).op("i32.eq").get(to).i32Const(groups.length).op("i32.eq").op("i32.and");
  f.if(
    () => body(lanes(c), "all_"),
    () => {
      groups.forEach((g, i) => {
        f.get(from).i32Const(i).op("i32.le_u").get(to).i32Const(i).op("i32.gt_u").op("i32.and");
        f.if(() => body(g, `g${i}_`));
      });
    },
  );
}

/**
 * Pushes gy at `offset` from the row pointer (a v128 of four channels, or one f32), masked by
 * the fused relu where `y` is given: gy where y > 0, else +0, the JavaScript ternary's values.
 */
function maskedGy(f: FunctionBuilder, gy: Local, y: Local | null, offset: number, type: "v128" | "f32"): FunctionBuilder {
  f.get(gy).load(type, offset);
  if (y === null) return f;
  if (type === "v128") return f.get(y).load("v128", offset).i32x4Const([0, 0, 0, 0]).op("f32x4.gt").op("v128.and");
  return f.f32Const(0).get(y).load("f32", offset).f32Const(0).op("f32.gt").select();
}

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
  const params = ["n", ...(part === "sums" ? ["from", "to"] : []), "x0", "x1", "x2", "x3", "x4", "y", "s0", "s1", "s2"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { count, countF } = counts(f, shape.rows);
  if (part === "sums") overGroups(f, shape.c, (l, prefix) => forwardSums(f, shape, l, prefix, count, countF));
  else {
    forwardSums(f, shape, lanes(shape.c), "", count, countF);
    normalise(f, shape, count);
  }
  return params;
}

/** Mean, 1/std, the running statistics, and scale and shift of the channels of `l`. */
function forwardSums(f: FunctionBuilder, shape: BatchNormShape, l: Lanes, prefix: string, count: Local, countF: Local): void {
  meanAndSquares(f, shape.c, l, prefix, count, countF, f.ref("x0"), f.ref("s0"), f.ref("s1"));
  statistics(f, shape, l, prefix, count, countF);
}

/**
 * The mean of each channel of `l` over `count` rows from `x` and the sum of squares about it
 * (two passes, as the JavaScript kernel), stored as float64 at `meanTo` and `squaresTo` (8
 * bytes a channel).
 */
function meanAndSquares(f: FunctionBuilder, c: number, l: Lanes, prefix: string, count: Local, countF: Local, x0: Local, meanTo: Local, squaresTo: Local): void {
  const { quads, pairs, tail } = l;
  const local = (what: string, type: "f64" | "v128") => f.local(`${prefix}${what}`, type);
  // Sums of pairs of channels (k: channels 2k, 2k + 1), then of the channels in the tail.
  const sum2: Local[] = [];
  const sq2: Local[] = [];
  for (const k of pairs) {
    sum2[k] = local(`sum2_${k}`, "v128");
    sq2[k] = local(`sq2_${k}`, "v128");
  }
  const sum = new Map(tail.map((ch) => [ch, local(`sum${ch}`, "f64")]));
  const sq = new Map(tail.map((ch) => [ch, local(`sq${ch}`, "f64")]));
  zeroSums(f, l, [sum2, sq2], [sum, sq]);
  const row = local("row4", "v128");
  const d2 = local("d2", "v128");
  eachRow(f, `${prefix}mean`, c, count, [x0], ([x]) => {
    for (const g of quads) {
      f.get(x!).load("v128", 16 * g).set(row);
      for (const h of [0, 1]) promotedPair(f.get(sum2[2 * g + h]!), row, h).op("f64x2.add").set(sum2[2 * g + h]!);
    }
    for (const ch of tail) promoted(f.get(sum.get(ch)!), x!, ch * F32).op("f64.add").set(sum.get(ch)!);
  });
  for (const k of pairs) f.get(sum2[k]!).get(countF).op("f64x2.splat").op("f64x2.div").set(sum2[k]!);
  for (const ch of tail) f.get(sum.get(ch)!).get(countF).op("f64.div").set(sum.get(ch)!);
  eachRow(f, `${prefix}variance`, c, count, [x0], ([x]) => {
    for (const g of quads) {
      f.get(x!).load("v128", 16 * g).set(row);
      for (const h of [0, 1]) {
        const k = 2 * g + h;
        promotedPair(f.get(sq2[k]!), row, h).get(sum2[k]!).op("f64x2.sub").tee(d2).get(d2).op("f64x2.mul").op("f64x2.add").set(sq2[k]!);
      }
    }
    for (const ch of tail) {
      f.get(sq.get(ch)!);
      promoted(f, x!, ch * F32).get(sum.get(ch)!).op("f64.sub").tee(f.reuse("d", "f64")).get(f.ref("d")).op("f64.mul").op("f64.add").set(sq.get(ch)!);
    }
  });
  for (const k of pairs) {
    f.get(meanTo).get(sum2[k]!).store("v128", 16 * k);
    f.get(squaresTo).get(sq2[k]!).store("v128", 16 * k);
  }
  for (const ch of tail) {
    f.get(meanTo).get(sum.get(ch)!).store("f64", ch * F64);
    f.get(squaresTo).get(sq.get(ch)!).store("f64", ch * F64);
  }
}

/**
 * From each channel's mean and sum of squares in s0 and s1 (float64): its 1/std over the sum
 * in s1, the running statistics, and the float32 scale and shift in s2.
 */
function statistics(f: FunctionBuilder, shape: BatchNormShape, l: Lanes, prefix: string, count: Local, countF: Local): void {
  const { c, eps, momentum } = shape;
  const local = (what: string) => f.local(`${prefix}${what}`, "f64");
  const variance = local("variance");
  const rstd = local("rstd");
  const scale = local("scale");
  const shift = local("shift");
  const mean = local("mean");
  const squares = local("squares");
  const [weight, bias, runningMean, runningVar, s0, s1] = ["x1", "x2", "x3", "x4", "s0", "s1"].map((p) => f.ref(p)) as [Local, Local, Local, Local, Local, Local];
  for (const ch of channelsOf(l)) {
    f.get(s0).load("f64", ch * F64).set(mean);
    f.get(s1).load("f64", ch * F64).set(squares);
    f.get(squares).get(countF).op("f64.div").set(variance);
    f.f64Const(1).get(variance).f64Const(eps).op("f64.add").op("f64.sqrt").op("f64.div").set(rstd);
    f.get(s1).get(rstd).store("f64", ch * F64);
    f.get(runningMean).f64Const(1 - momentum);
    promoted(f, runningMean, ch * F32).op("f64.mul").f64Const(momentum).get(mean).op("f64.mul").op("f64.add").op("f32.demote_f64").store("f32", ch * F32);
    // PyTorch's unbiased running variance, biased for a batch of one row (as the JavaScript kernel).
    f.get(runningVar).f64Const(1 - momentum);
    promoted(f, runningVar, ch * F32).op("f64.mul").f64Const(momentum);
    f.get(squares).get(countF).f64Const(1).op("f64.sub").op("f64.div").get(variance).get(count).i32Const(1).op("i32.gt_s").select();
    f.op("f64.mul").op("f64.add").op("f32.demote_f64").store("f32", ch * F32);
    promoted(f, weight, ch * F32).get(rstd).op("f64.mul").set(scale);
    promoted(f, bias, ch * F32).get(mean).get(scale).op("f64.mul").op("f64.sub").set(shift);
    storeScaleShift(f, c, ch, scale, shift);
  }
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
 * Backward: `name(n, gy, x0, [y,] s0, s1, s2, [gx1,] [gx2,] [x1, gx0])`. With a fused relu, gy is
 * masked (y > 0) as it is read, by each part, and left as it was (the JavaScript kernel masks it
 * in place; nothing reads it after either).
 */
export function batchNormBackward(m: ModuleBuilder, name: string, shape: BatchNormShape, grads: BatchNormGrads, part: BatchNormPart = "all"): string[] {
  if (part === "rows") return batchNormBackwardRows(m, name, shape, grads.x ?? "assign");
  const relu = shape.activation === "relu";
  const gx = part === "all" && grads.x !== null;
  const params = [
    "n",
    ...(part === "sums" ? ["from", "to"] : []),
    "gy",
    "x0",
    ...(relu ? ["y"] : []),
    "s0",
    "s1",
    "s2",
    ...(grads.weight ? ["gx1"] : []),
    ...(grads.bias ? ["gx2"] : []),
    ...(gx ? ["x1", "gx0"] : []),
  ];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { count, countF } = counts(f, shape.rows);
  if (part === "sums") {
    overGroups(f, shape.c, (l, prefix) => backwardSums(f, shape, grads, l, prefix, count));
    // The whole batch's row count, after the gradient sums: the rows part runs on a chunk of it.
    f.get(f.ref("s2")).get(countF).store("f64", 2 * shape.c * F64);
    return params;
  }
  const sums = backwardSums(f, shape, grads, lanes(shape.c), "", count);
  f.get(f.ref("s2")).get(countF).store("f64", 2 * shape.c * F64);
  if (gx) dxPass(f, shape, grads.x!, countF, sums);
  return params;
}

/**
 * The gradient sums of the channels of `l` (and the relu mask applied to their gy), kept in
 * s2 (sg, then sgx), and the weight and bias gradients from them.
 */
function backwardSums(
  f: FunctionBuilder,
  shape: BatchNormShape,
  grads: BatchNormGrads | null,
  l: Lanes,
  prefix: string,
  count: Local,
  /** Where the rows start (gy, x, and y with a fused relu), and where the sums go: the batch's, or one block's (then grads is null). */
  from: { gy: Local; x: Local; y: Local | null; sums: Local } = { gy: f.ref("gy"), x: f.ref("x0"), y: shape.activation === "relu" ? f.ref("y") : null, sums: f.ref("s2") },
): BatchNormSums {
  const { c } = shape;
  const [s0, s1, s2] = [f.ref("s0"), f.ref("s1"), from.sums];
  const { quads, pairs, tail } = l;
  const vector = (what: string) => {
    const locals: Local[] = [];
    for (const k of pairs) locals[k] = f.local(`${prefix}${what}2_${k}`, "v128");
    return locals;
  };
  const scalar = (what: string) => new Map(tail.map((ch) => [ch, f.local(`${prefix}${what}${ch}`, "f64")]));
  const [mean2, rstd2, sg2, sgx2] = [vector("mean"), vector("rstd"), vector("sg"), vector("sgx")];
  const [mean, rstd, sg, sgx] = [scalar("mean"), scalar("rstd"), scalar("sg"), scalar("sgx")];
  for (const k of pairs) {
    f.get(s0).load("v128", 16 * k).set(mean2[k]!);
    f.get(s1).load("v128", 16 * k).set(rstd2[k]!);
  }
  for (const ch of tail) {
    f.get(s0).load("f64", ch * F64).set(mean.get(ch)!);
    f.get(s1).load("f64", ch * F64).set(rstd.get(ch)!);
  }
  const gd = f.reuse("gd", "f64");
  const g4 = f.reuse("g4", "v128");
  const x4 = f.reuse("x4", "v128");
  const gd2 = f.reuse("gd2", "v128");
  zeroSums(f, l, [sg2, sgx2], [sg, sgx]);
  eachRow(f, `${prefix}sums`, c, count, [from.gy, from.x, ...(from.y ? [from.y] : [])], ([gy, x, y]) => {
    for (const q of quads) {
      // Masked, but not written back (as the JavaScript kernel does): the rows part masks gy
      // again as it reads it, and two threads summing different channels of the same rows would
      // otherwise write the same cache lines.
      maskedGy(f, gy!, y ?? null, 16 * q, "v128").set(g4);
      f.get(x!).load("v128", 16 * q).set(x4);
      for (const h of [0, 1]) {
        const k = 2 * q + h;
        promotedPair(f, g4, h).tee(gd2).get(sg2[k]!).op("f64x2.add").set(sg2[k]!);
        f.get(sgx2[k]!).get(gd2);
        promotedPair(f, x4, h).get(mean2[k]!).op("f64x2.sub").op("f64x2.mul").get(rstd2[k]!).op("f64x2.mul").op("f64x2.add").set(sgx2[k]!);
      }
    }
    for (const ch of tail) {
      maskedGy(f, gy!, y ?? null, ch * F32, "f32");
      f.op("f64.promote_f32").tee(gd).get(sg.get(ch)!).op("f64.add").set(sg.get(ch)!);
      f.get(sgx.get(ch)!).get(gd);
      promoted(f, x!, ch * F32).get(mean.get(ch)!).op("f64.sub").op("f64.mul").get(rstd.get(ch)!).op("f64.mul").op("f64.add").set(sgx.get(ch)!);
    }
  });
  for (const k of pairs) {
    f.get(s2).get(sg2[k]!).store("v128", 16 * k);
    f.get(s2).get(sgx2[k]!).store("v128", c * F64 + 16 * k);
  }
  for (const ch of tail) {
    f.get(s2).get(sg.get(ch)!).store("f64", ch * F64);
    f.get(s2).get(sgx.get(ch)!).store("f64", (c + ch) * F64);
  }
  if (grads !== null) parameterGradients(f, c, grads, channelsOf(l));
  return { mean2, rstd2, sg2, sgx2, mean, rstd, sg, sgx };
}

/** The weight and bias gradients of `channels` from the batch's sums in s2 (sg first, then sgx). */
function parameterGradients(f: FunctionBuilder, c: number, grads: BatchNormGrads, channels: readonly number[]): void {
  const s2 = f.ref("s2");
  const reduce = (store: Store | null, param: string, first: number) => {
    if (store === null) return;
    const to = f.ref(param);
    for (const ch of channels) {
      f.get(to);
      if (store === "accumulate") promoted(f, to, ch * F32).get(s2).load("f64", (first + ch) * F64).op("f64.add");
      else f.get(s2).load("f64", (first + ch) * F64);
      f.op("f32.demote_f64").store("f32", ch * F32);
    }
  };
  reduce(grads.weight, "gx1", c);
  reduce(grads.bias, "gx2", 0);
}

/** The statistics and gradient sums dx reads: pairs of channels in f64x2, the tail's in scalars. */
interface BatchNormSums {
  mean2: Local[];
  rstd2: Local[];
  sg2: Local[];
  sgx2: Local[];
  mean: Map<number, Local>;
  rstd: Map<number, Local>;
  sg: Map<number, Local>;
  sgx: Map<number, Local>;
}

/** The sums and statistics for dx, read back from s0, s1 and s2 where the sums part left them. */
function loadSums(f: FunctionBuilder, c: number): BatchNormSums {
  const { pairs, tail } = lanes(c);
  const [s0, s1, s2] = ["s0", "s1", "s2"].map((p) => f.ref(p)) as [Local, Local, Local];
  const vector = (what: string, from: Local, offset: number) =>
    pairs.map((k) => {
      const l = f.local(`${what}2_${k}`, "v128");
      f.get(from).load("v128", offset + 16 * k).set(l);
      return l;
    });
  const scalar = (what: string, from: Local, offset: number) =>
    new Map(
      tail.map((ch) => {
        const l = f.local(`${what}${ch}`, "f64");
        f.get(from).load("f64", offset + ch * F64).set(l);
        return [ch, l] as const;
      }),
    );
  return {
    mean2: vector("mean", s0, 0),
    rstd2: vector("rstd", s1, 0),
    sg2: vector("sg", s2, 0),
    sgx2: vector("sgx", s2, c * F64),
    mean: scalar("mean", s0, 0),
    rstd: scalar("rstd", s1, 0),
    sg: scalar("sg", s2, 0),
    sgx: scalar("sgx", s2, c * F64),
  };
}

/** The backward's per-row part: dx from the statistics in s0, s1 and the gradient sums in s2. */
function batchNormBackwardRows(m: ModuleBuilder, name: string, shape: BatchNormShape, store: Store): string[] {
  const params = ["n", "gy", "x0", ...(shape.activation === "relu" ? ["y"] : []), "s0", "s1", "s2", "x1", "gx0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { countF } = counts(f, shape.rows);
  // This chunk's rows are counted from n; the divisor is the whole batch's, from the sums part.
  f.get(f.ref("s2")).load("f64", 2 * shape.c * F64).set(countF);
  dxPass(f, shape, store, countF, loadSums(f, shape.c));
  return params;
}

/** gx (+)= weight * rstd * (gy - sg / count - (x - mean) * rstd * sgx / count), row by row. */
function dxPass(f: FunctionBuilder, shape: BatchNormShape, store: Store, countF: Local, sums: BatchNormSums): void {
  const { c } = shape;
  const { quads, pairs, tail } = lanes(c);
  const { mean2, rstd2, sg2, sgx2, mean, rstd, sg, sgx } = sums;
  const count = f.ref("count");
  const x4 = f.reuse("x4", "v128");
    const weight = f.ref("x1");
    const countV = f.local("count_v", "v128");
    f.get(countF).op("f64x2.splat").set(countV);
    // sg becomes sg / count and rstd becomes weight * rstd: the JavaScript kernel's terms.
    const wr2 = pairs.map((k) => f.local(`wr2_${k}`, "v128"));
    const wr = new Map(tail.map((ch) => [ch, f.local(`wr${ch}`, "f64")]));
    for (const q of quads) {
      f.get(weight).load("v128", 16 * q).set(x4);
      for (const h of [0, 1]) {
        const k = 2 * q + h;
        f.get(sg2[k]!).get(countV).op("f64x2.div").set(sg2[k]!);
        promotedPair(f, x4, h).get(rstd2[k]!).op("f64x2.mul").set(wr2[k]!);
      }
    }
    for (const ch of tail) {
      f.get(sg.get(ch)!).get(countF).op("f64.div").set(sg.get(ch)!);
      promoted(f, weight, ch * F32).get(rstd.get(ch)!).op("f64.mul").set(wr.get(ch)!);
    }
    const gy4 = f.local("gy4", "v128");
    const gx4 = f.local("gx4", "v128");
    const relu = shape.activation === "relu";
    eachRow(f, "gx", c, count, [f.ref("gy"), f.ref("x0"), f.ref("gx0"), ...(relu ? [f.ref("y")] : [])], ([gy, x, gx, y]) => {
      for (const q of quads) {
        maskedGy(f, gy!, y ?? null, 16 * q, "v128").set(gy4);
        f.get(x!).load("v128", 16 * q).set(x4);
        if (store === "accumulate") f.get(gx!).load("v128", 16 * q).set(gx4);
        f.get(gx!);
        for (const h of [0, 1]) {
          const k = 2 * q + h;
          if (store === "accumulate") promotedPair(f, gx4, h);
          // weight * rstd * (gy - sg / count - (x - mean) * rstd * sgx / count)
          f.get(wr2[k]!);
          promotedPair(f, gy4, h).get(sg2[k]!).op("f64x2.sub");
          promotedPair(f, x4, h).get(mean2[k]!).op("f64x2.sub").get(rstd2[k]!).op("f64x2.mul").get(sgx2[k]!).op("f64x2.mul").get(countV).op("f64x2.div");
          f.op("f64x2.sub").op("f64x2.mul");
          if (store === "accumulate") f.op("f64x2.add");
        }
        demotedQuad(f).store("v128", 16 * q);
      }
      for (const ch of tail) {
        f.get(gx!);
        if (store === "accumulate") promoted(f, gx!, ch * F32);
        f.get(wr.get(ch)!);
        maskedGy(f, gy!, y ?? null, ch * F32, "f32").op("f64.promote_f32").get(sg.get(ch)!).op("f64.sub");
        promoted(f, x!, ch * F32).get(mean.get(ch)!).op("f64.sub").get(rstd.get(ch)!).op("f64.mul").get(sgx.get(ch)!).op("f64.mul").get(countF).op("f64.div");
        f.op("f64.sub").op("f64.mul");
        if (store === "accumulate") f.op("f64.add");
        f.op("f32.demote_f64").store("f32", ch * F32);
      }
    });
  }

// The sums by blocks of samples (chunks.ts), where a sample has many rows (a convolution's
// feature map): split by groups of channels, every thread walked the whole batch, half of it
// just written by the other core, and mnist_cnn's sums ran 0.4x as fast on two threads as on
// one. A block's partial sums are float64, 2c of them (16c bytes, 4c floats: c floats a
// sample). The forward's blocks keep each channel's mean and sum of squares about it, which
// the combine merges block by block (Chan et al.'s pairwise update); the backward's keep sg
// and sgx, which the combine adds up.

/** Whether the sums go by blocks of samples: where a sample has at least this many rows, so that the blocks' sums are few beside the rows. */
export function batchNormByBlocks(shape: Pick<BatchNormShape, "rows">): boolean {
  return shape.rows >= 16;
}

/** Floats of one block's partial sums. */
export function batchNormPartialFloats(c: number): number {
  return 4 * c;
}

/** Rows of the block at `first` (samples), as i32 and float64: rows per sample times min(PARTIAL_SAMPLES, n - first). */
function blockRows(f: FunctionBuilder, rows: number, samples: Local, count: Local, countF: Local): void {
  f.get(samples).i32Const(rows).op("i32.mul").tee(count).op("f64.convert_i32_s").set(countF);
}

/** `name(n, x0, s3)`: each block's mean and sum of squares per channel. */
export function batchNormForwardBlocks(m: ModuleBuilder, name: string, shape: BatchNormShape): string[] {
  const params = ["n", "x0", "s3"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { c } = shape;
  const [x, block, squares] = [f.local("x_block", "i32"), f.local("block", "i32"), f.local("block_squares", "i32")];
  const count = f.local("count", "i32");
  const countF = f.local("count_f", "f64");
  const pointers = [
    { local: x, from: f.ref("x0"), bytes: shape.rows * c * F32 },
    { local: block, from: f.ref("s3"), bytes: (batchNormPartialFloats(c) / PARTIAL_SAMPLES) * F32 },
  ];
  overChunks(f, PARTIAL_SAMPLES, pointers, (samples) => {
    blockRows(f, shape.rows, samples, count, countF);
    f.get(block).i32Const(c * F64).op("i32.add").set(squares);
    meanAndSquares(f, c, lanes(c), "", count, countF, x, block, squares);
  });
  return params;
}

/**
 * `name(n, x1, x2, x3, x4, s0, s1, s2, s3)`: the batch's mean and sum of squares per channel
 * from the blocks', merged in block order, then the statistics as the sums part leaves them.
 */
export function batchNormForwardCombine(m: ModuleBuilder, name: string, shape: BatchNormShape): string[] {
  const params = ["n", "x1", "x2", "x3", "x4", "s0", "s1", "s2", "s3"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { c } = shape;
  const blockBytes = batchNormPartialFloats(c) * F32;
  const { count, countF } = counts(f, shape.rows);
  const [s0, s1, s3] = [f.ref("s0"), f.ref("s1"), f.ref("s3")];
  const end = f.local("blocks_end", "i32");
  blocksEnd(f, s3, blockBytes, end);
  const [ch, p, left] = [f.local("channel", "i32"), f.local("block", "i32"), f.local("samples_left", "i32")];
  const [n, mean, squares, nb, delta, total] = ["merged_rows", "merged_mean", "merged_squares", "block_rows", "delta", "total_rows"].map((w) => f.local(w, "f64")) as [Local, Local, Local, Local, Local, Local];
  f.forLoop(ch, () => f.i32Const(0), () => f.i32Const(c * F64), F64, "channels", () => {
    f.f64Const(0).set(n);
    f.f64Const(0).set(mean);
    f.f64Const(0).set(squares);
    f.get(f.ref("n")).set(left);
    f.forLoop(p, () => f.get(s3).get(ch).op("i32.add"), () => f.get(end).get(ch).op("i32.add"), blockBytes, "blocks", () => {
      // This block's rows: PARTIAL_SAMPLES samples, or what is left of the batch.
      f.get(left).i32Const(PARTIAL_SAMPLES).get(left).i32Const(PARTIAL_SAMPLES).op("i32.lt_u").select();
      f.i32Const(shape.rows).op("i32.mul").op("f64.convert_i32_s").set(nb);
      f.get(left).i32Const(PARTIAL_SAMPLES).op("i32.sub").set(left);
      f.get(n).get(nb).op("f64.add").set(total);
      // mean += delta * nb / total, squares += block's + delta^2 * n * nb / total: the first
      // block's own values exactly (nb / total is 1, n is 0).
      f.get(p).load("f64", 0).get(mean).op("f64.sub").set(delta);
      f.get(squares).get(p).load("f64", c * F64).op("f64.add");
      f.get(delta).get(delta).op("f64.mul").get(n).op("f64.mul").get(nb).op("f64.mul").get(total).op("f64.div").op("f64.add").set(squares);
      f.get(mean).get(delta).get(nb).get(total).op("f64.div").op("f64.mul").op("f64.add").set(mean);
      f.get(total).set(n);
    });
    f.get(ch).get(s0).op("i32.add").get(mean).store("f64");
    f.get(ch).get(s1).op("i32.add").get(squares).store("f64");
  });
  statistics(f, shape, lanes(c), "", count, countF);
  return params;
}

/** `name(n, gy, x0[, y], s0, s1, s3)`: each block's sg and sgx per channel (gy masked by a fused relu). */
export function batchNormBackwardBlocks(m: ModuleBuilder, name: string, shape: BatchNormShape): string[] {
  const relu = shape.activation === "relu";
  const params = ["n", "gy", "x0", ...(relu ? ["y"] : []), "s0", "s1", "s3"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { c } = shape;
  const rowBytes = shape.rows * c * F32;
  const [gy, x, y, block] = [f.local("gy_block", "i32"), f.local("x_block", "i32"), f.local("y_block", "i32"), f.local("block", "i32")];
  const count = f.local("count", "i32");
  const countF = f.local("count_f", "f64");
  const pointers = [
    { local: gy, from: f.ref("gy"), bytes: rowBytes },
    { local: x, from: f.ref("x0"), bytes: rowBytes },
    ...(relu ? [{ local: y, from: f.ref("y"), bytes: rowBytes }] : []),
    { local: block, from: f.ref("s3"), bytes: (batchNormPartialFloats(c) / PARTIAL_SAMPLES) * F32 },
  ];
  overChunks(f, PARTIAL_SAMPLES, pointers, (samples) => {
    blockRows(f, shape.rows, samples, count, countF);
    backwardSums(f, shape, null, lanes(c), "", count, { gy, x, y: relu ? y : null, sums: block });
  });
  return params;
}

/** `name(n, s2, s3[, gx1][, gx2])`: the batch's sg and sgx as the blocks' added up in block order, the parameters' gradients, and the row count. */
export function batchNormBackwardCombine(m: ModuleBuilder, name: string, shape: BatchNormShape, grads: BatchNormGrads): string[] {
  const params = ["n", "s2", "s3", ...(grads.weight ? ["gx1"] : []), ...(grads.bias ? ["gx2"] : [])];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { c } = shape;
  const blockBytes = batchNormPartialFloats(c) * F32;
  const { countF } = counts(f, shape.rows);
  const [s2, s3] = [f.ref("s2"), f.ref("s3")];
  const end = f.local("blocks_end", "i32");
  blocksEnd(f, s3, blockBytes, end);
  const at = f.local("at", "i32");
  const sum = f.local("sum", "f64");
  f.forLoop(at, () => f.i32Const(0), () => f.i32Const(2 * c * F64), F64, "sums", () => {
    addBlocks(f, "f64", sum, { first: s3, end, bytes: blockBytes }, at);
    f.get(at).get(s2).op("i32.add").get(sum).store("f64");
  });
  parameterGradients(f, c, grads, range(c));
  // The whole batch's row count, after the gradient sums: the rows part runs on a chunk of it.
  f.get(s2).get(countF).store("f64", 2 * c * F64);
  return params;
}
