// The attention core's WebAssembly kernels (the JavaScript ones, and the formulas:
// compiler/ir/ops/attention.ts), in the same loops (sample, head, query row) and the same
// order of operations per row: a head's slice of a row (d_head floats) is d_head/4 vectors,
// unrolled at compile time, so each dot product over a head is four-lane products folded once;
// softmax's exp is `f32x4Exp` over the row's weights. P stays in the JavaScript kernels'
// scratch, so either backward reads either forward's weights.
// Heads whose width is not a multiple of four, or wider than the unrolling pays for, keep the
// JavaScript kernels (ops.ts).

import { f32x4Exp, mapLanes } from "./elementwise.js";
import { range, type FunctionBuilder, type Local } from "./function.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";

const F32 = 4;
const V128 = 16;

/** Beyond this head width the unrolled vectors stop paying: the JavaScript kernels run. */
export const ATTENTION_MAX_HEAD_WIDTH = 64;

export interface AttentionShape {
  tq: number;
  tk: number;
  /** Row width (all heads). */
  d: number;
  heads: number;
  causal: boolean;
}

export interface AttentionGrads {
  q: Store | null;
  k: Store | null;
  v: Store | null;
}

interface Row {
  /** Byte address of the query row's head slice (q, y, gy, gq). */
  qb: Local;
  /** Byte address of the head's slice of the first key row (k, v, gk, gv). */
  kh: Local;
  /** Byte address of the row of P. */
  pb: Local;
  /** Keys this row attends to. */
  keys: Local;
}

/** The loops over sample, head and query row, with the row's addresses (the JavaScript kernels' overRows). */
function overRows(f: FunctionBuilder, m: AttentionShape, body: (row: Row) => void): void {
  const dh = m.d / m.heads;
  const [s, h, t] = [f.local("s", "i32"), f.local("h", "i32"), f.local("t", "i32")];
  const row: Row = { qb: f.local("qb", "i32"), kh: f.local("kh", "i32"), pb: f.local("pb", "i32"), keys: f.local("keys", "i32") };
  f.forLoop(s, () => f.i32Const(0), () => f.get(f.ref("n")), 1, "samples", () => {
    f.forLoop(h, () => f.i32Const(0), () => f.i32Const(m.heads), 1, "heads", () => {
      f.forLoop(t, () => f.i32Const(0), () => f.i32Const(m.tq), 1, "queries", () => {
        // element offsets, then bytes
        f.get(s).i32Const(m.tq * m.d).op("i32.mul").get(t).i32Const(m.d).op("i32.mul").op("i32.add").get(h).i32Const(dh).op("i32.mul").op("i32.add");
        f.i32Const(F32).op("i32.mul").set(row.qb);
        f.get(s).i32Const(m.tk * m.d).op("i32.mul").get(h).i32Const(dh).op("i32.mul").op("i32.add").i32Const(F32).op("i32.mul").set(row.kh);
        f.get(s).i32Const(m.heads).op("i32.mul").get(h).op("i32.add").i32Const(m.tq).op("i32.mul").get(t).op("i32.add");
        f.i32Const(m.tk * F32).op("i32.mul").get(f.ref("s0")).op("i32.add").set(row.pb);
        if (m.causal) f.get(t).i32Const(1).op("i32.add").set(row.keys);
        else f.i32Const(m.tk).set(row.keys);
        body(row);
      });
    });
  });
}

/** The four lanes of `v` summed, as an f32 on the stack. */
function lanesSum(f: FunctionBuilder, v: Local): void {
  f.get(v).f32x4ExtractLane(0).get(v).f32x4ExtractLane(1).op("f32.add");
  f.get(v).f32x4ExtractLane(2).get(v).f32x4ExtractLane(3).op("f32.add").op("f32.add");
}

/** Loads the head slice at `base + offset` into the vectors `into`. */
function loadSlice(f: FunctionBuilder, base: Local, offset: Local, into: readonly Local[]): void {
  into.forEach((v, e) => f.get(base).get(offset).op("i32.add").load("v128", V128 * e).set(v));
}

/** The dot product of `slice` with the head slice at `at` (a byte address), as an f32 on the stack. */
function dot(f: FunctionBuilder, slice: readonly Local[], at: Local, acc: Local): void {
  slice.forEach((v, e) => {
    f.get(v).get(at).load("v128", V128 * e).op("f32x4.mul");
    if (e > 0) f.op("f32x4.add");
  });
  f.set(acc);
  lanesSum(f, acc);
}

/** `for j in [0, keys)` with `at` the byte address of key row j's head slice in `buffer`. */
function eachKey(f: FunctionBuilder, m: AttentionShape, row: Row, buffer: Local, label: string, body: (j: Local, at: Local) => void): void {
  const j = f.reuse("j", "i32");
  const at = f.reuse(`${label}_at`, "i32");
  f.get(buffer).get(row.kh).op("i32.add").set(at);
  f.forLoop(j, () => f.i32Const(0), () => f.get(row.keys), 1, label, () => {
    body(j, at);
    f.get(at).i32Const(m.d * F32).op("i32.add").set(at);
  });
}

/** P's entry j of the row (an f32 on the stack). */
const weight = (f: FunctionBuilder, row: Row, j: Local) => f.get(row.pb).get(j).i32Const(F32).op("i32.mul").op("i32.add");

/** Forward: `name(n, x0, x1, x2, y, s0)` (q, k, v; P into s0). */
export function attentionForward(m: ModuleBuilder, name: string, shape: AttentionShape): string[] {
  const params = ["n", "x0", "x1", "x2", "y", "s0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const dh = shape.d / shape.heads;
  const q = range(dh / 4).map((e) => f.local(`q${e}`, "v128"));
  const acc = range(dh / 4).map((e) => f.local(`acc${e}`, "v128"));
  const max = f.local("max", "f32");
  const sum = f.local("sum", "f32");
  const score = f.local("score", "f32");
  const spread = f.local("spread", "v128");
  const scale = 1 / Math.sqrt(dh);
  overRows(f, shape, (row) => {
    loadSlice(f, f.ref("x0"), row.qb, q);
    f.f32Const(Number.NEGATIVE_INFINITY).set(max);
    eachKey(f, shape, row, f.ref("x1"), "scores", (j, at) => {
      weight(f, row, j);
      dot(f, q, at, spread);
      f.f32Const(scale).op("f32.mul").tee(score).store("f32");
      // max as the JavaScript `if (dot > max)`: a NaN score leaves it
      f.get(score).get(max).get(score).get(max).op("f32.gt").select().set(max);
    });
    f.get(max).op("f32x4.splat").set(spread);
    mapLanes(f, "exp", row.keys, [row.pb], row.pb, () => {
      f.get(spread).op("f32x4.sub");
      f32x4Exp(f, "exp");
    });
    f.f32Const(0).set(sum);
    const j = f.reuse("j", "i32");
    f.forLoop(j, () => f.i32Const(0), () => f.get(row.keys), 1, "sum", () => {
      f.get(sum);
      weight(f, row, j).load("f32").op("f32.add").set(sum);
    });
    f.get(sum).op("f32x4.splat").set(spread);
    mapLanes(f, "normalise", row.keys, [row.pb], row.pb, () => {
      f.get(spread).op("f32x4.div");
    });
    if (shape.causal) {
      f.forLoop(j, () => f.get(row.keys), () => f.i32Const(shape.tk), 1, "masked", () => {
        weight(f, row, j).f32Const(0).store("f32");
      });
    }
    for (const a of acc) f.i32x4Const([0, 0, 0, 0]).set(a);
    eachKey(f, shape, row, f.ref("x2"), "values", (j, at) => {
      weight(f, row, j).loadSplat32().set(spread);
      acc.forEach((a, e) => f.get(a).get(spread).get(at).load("v128", V128 * e).op("f32x4.mul").op("f32x4.add").set(a));
    });
    const y = f.local("y_at", "i32");
    f.get(f.ref("y")).get(row.qb).op("i32.add").set(y);
    acc.forEach((a, e) => f.get(y).get(a).store("v128", V128 * e));
  });
  return params;
}

/** Zeroes n * tk * d floats at `buffer` (a gradient that is assigned, summed into row by row). */
function zero(f: FunctionBuilder, m: AttentionShape, buffer: Local): void {
  const end = f.reuse("zero_end", "i32");
  const p = f.reuse("zero_p", "i32");
  f.get(f.ref("n")).i32Const(m.tk * m.d * F32).op("i32.mul").get(buffer).op("i32.add").set(end);
  f.forLoop(p, () => f.get(buffer), () => f.get(end), V128, `zero_${buffer.name}`, () => {
    f.get(p).i32x4Const([0, 0, 0, 0]).store("v128");
  });
}

/** Backward: `name(n, gy, x2, s0, s1, [x1, gx0,] [x0, gx1,] [gx2])` (q, k, v and their gradients). */
export function attentionBackward(m: ModuleBuilder, name: string, shape: AttentionShape, grads: AttentionGrads): string[] {
  const params = ["n", "gy", "x2", "s0", "s1", ...(grads.q ? ["x1", "gx0"] : []), ...(grads.k ? ["x0", "gx1"] : []), ...(grads.v ? ["gx2"] : [])];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const dh = shape.d / shape.heads;
  const scale = 1 / Math.sqrt(dh);
  const gy = range(dh / 4).map((e) => f.local(`gy${e}`, "v128"));
  const slice = range(dh / 4).map((e) => f.local(`slice${e}`, "v128"));
  const spread = f.local("spread", "v128");
  const sum = f.local("dot", "f32");
  const g = f.local("g", "f32");
  const s1 = f.ref("s1");
  if (grads.k === "assign") zero(f, shape, f.ref("gx1"));
  if (grads.v === "assign") zero(f, shape, f.ref("gx2"));
  const gradAt = (j: Local) => f.get(s1).get(j).i32Const(F32).op("i32.mul").op("i32.add");
  overRows(f, shape, (row) => {
    loadSlice(f, f.ref("gy"), row.qb, gy);
    f.f32Const(0).set(sum);
    const gv = grads.v ? f.local("gv_out", "i32") : null;
    if (gv !== null) f.get(f.ref("gx2")).get(row.kh).op("i32.add").set(gv);
    eachKey(f, shape, row, f.ref("x2"), "gp", (j, at) => {
      gradAt(j);
      dot(f, gy, at, spread);
      f.tee(g).store("f32");
      f.get(sum).get(g);
      weight(f, row, j).load("f32").op("f32.mul").op("f32.add").set(sum);
      if (gv !== null) {
        weight(f, row, j).loadSplat32().set(spread);
        gy.forEach((v, e) => f.get(gv).get(gv).load("v128", V128 * e).get(spread).get(v).op("f32x4.mul").op("f32x4.add").store("v128", V128 * e));
        f.get(gv).i32Const(shape.d * F32).op("i32.add").set(gv);
      }
    });
    const j = f.reuse("j", "i32");
    f.forLoop(j, () => f.i32Const(0), () => f.get(row.keys), 1, "gs", () => {
      gradAt(j);
      weight(f, row, j).load("f32");
      gradAt(j).load("f32").get(sum).op("f32.sub").op("f32.mul").f32Const(scale).op("f32.mul").store("f32");
    });
    if (grads.q) {
      for (const a of slice) f.i32x4Const([0, 0, 0, 0]).set(a);
      eachKey(f, shape, row, f.ref("x1"), "gq", (j, at) => {
        gradAt(j).loadSplat32().set(spread);
        slice.forEach((a, e) => f.get(a).get(spread).get(at).load("v128", V128 * e).op("f32x4.mul").op("f32x4.add").set(a));
      });
      const out = f.local("gq_out", "i32");
      f.get(f.ref("gx0")).get(row.qb).op("i32.add").set(out);
      slice.forEach((a, e) => {
        f.get(out).get(a);
        if (grads.q === "accumulate") f.get(out).load("v128", V128 * e).op("f32x4.add");
        f.store("v128", V128 * e);
      });
    }
    if (grads.k) {
      loadSlice(f, f.ref("x0"), row.qb, slice);
      eachKey(f, shape, row, f.ref("gx1"), "gk", (j, at) => {
        gradAt(j).loadSplat32().set(spread);
        slice.forEach((v, e) => f.get(at).get(at).load("v128", V128 * e).get(spread).get(v).op("f32x4.mul").op("f32x4.add").store("v128", V128 * e));
      });
    }
  });
  return params;
}
