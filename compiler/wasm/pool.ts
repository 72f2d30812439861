// max_pool2d and avg_pool2d's WebAssembly kernels (the JavaScript ones: compiler/ir/ops/pool.ts).
// The layout is [H, W, C] with the channel innermost, so a window position holds c contiguous
// floats: the kernels walk the windows and, unrolled at compile time, every group of four
// channels and every element of the window, each load at a constant offset from the window's
// corner. Channels past the last multiple of four take the same steps on scalars. Max pooling
// keeps the JavaScript kernel's rule: a later element wins only if strictly greater (ties and
// NaN go to the first), and its index within the sample goes into the scratch as a float.

import { range, type FunctionBuilder, type Local } from "./function.js";
import type { ConvGeometry } from "../ir/ops/conv2d.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";

const F32 = 4;

/** A window's geometry, as a convolution's without filters or padding. */
export type PoolShape = Omit<ConvGeometry, "filters" | "padTop" | "padLeft" | "patch">;

/** Beyond this many unrolled loads per window position the module grows too much: JavaScript runs. */
export const POOL_MAX_UNROLLED = 4096;

/** Offsets (floats) of a window's elements from its corner, row-major (the JavaScript kernel's order). */
function windowOffsets(g: PoolShape): number[] {
  const offsets: number[] = [];
  for (let y = 0; y < g.kh; y++) for (let x = 0; x < g.kw; x++) offsets.push((y * g.w + x) * g.c);
  return offsets;
}

/**
 * For every sample and window position: `body(corner, q, out)` with the corner's index within
 * the sample (floats), the corner's address in `from` and the address of the position's first
 * output (`to`, advancing c floats per position).
 */
function overWindows(f: FunctionBuilder, g: PoolShape, from: Local, to: Local, body: (corner: Local, q: Local, out: Local) => void): void {
  const s = f.local("s", "i32");
  const oy = f.local("oy", "i32");
  const ox = f.local("ox", "i32");
  const base = f.local("base", "i32");
  const corner = f.local("corner", "i32");
  const q = f.local("q", "i32");
  const out = f.local("out", "i32");
  f.get(from).set(base);
  f.get(to).set(out);
  f.forLoop(s, () => f.i32Const(0), () => f.get(f.ref("n")), 1, "samples", () => {
    f.forLoop(oy, () => f.i32Const(0), () => f.i32Const(g.oh), 1, "rows", () => {
      f.forLoop(ox, () => f.i32Const(0), () => f.i32Const(g.ow), 1, "columns", () => {
        f.get(oy).i32Const(g.sh * g.w * g.c).op("i32.mul").get(ox).i32Const(g.sw * g.c).op("i32.mul").op("i32.add").set(corner);
        f.get(base).get(corner).i32Const(F32).op("i32.mul").op("i32.add").set(q);
        body(corner, q, out);
        f.get(out).i32Const(g.c * F32).op("i32.add").set(out);
      });
    });
    f.get(base).i32Const(g.h * g.w * g.c * F32).op("i32.add").set(base);
  });
}

/** Zeroes n * size floats at `at` (a gradient that is assigned, not added to). */
function zero(f: FunctionBuilder, at: Local, size: number): void {
  const p = f.local("zero_p", "i32");
  const end = f.local("zero_end", "i32");
  f.get(at).set(p);
  f.get(f.ref("n")).i32Const(size * F32).op("i32.mul").get(at).op("i32.add").set(end);
  const vectorEnd = f.local("zero_vector_end", "i32");
  f.get(f.ref("n")).i32Const(size).op("i32.mul").i32Const(-4).op("i32.and").i32Const(F32).op("i32.mul").get(at).op("i32.add").set(vectorEnd);
  f.block("zero_vectors_done", () => {
    f.loop("zero_vectors", () => {
      f.get(p).get(vectorEnd).op("i32.ge_u").brIf("zero_vectors_done");
      f.get(p).i32x4Const([0, 0, 0, 0]).store("v128");
      f.get(p).i32Const(16).op("i32.add").set(p);
      f.br("zero_vectors");
    });
  });
  f.block("zero_done", () => {
    f.loop("zero_scalars", () => {
      f.get(p).get(end).op("i32.ge_u").brIf("zero_done");
      f.get(p).f32Const(0).store("f32");
      f.get(p).i32Const(F32).op("i32.add").set(p);
      f.br("zero_scalars");
    });
  });
}

function channelGroups(c: number): { groups: number[]; tail: number[] } {
  const groups = range(Math.floor(c / 4));
  return { groups, tail: range(c - 4 * groups.length).map((i) => 4 * groups.length + i) };
}

/** max_pool2d forward: `name(n, x0, y, s0)`, s0 the winner's index within its sample. */
export function maxPoolForward(m: ModuleBuilder, name: string, g: PoolShape): string[] {
  const params = ["n", "x0", "y", "s0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const [first, ...rest] = windowOffsets(g) as [number, ...number[]];
  const { groups, tail } = channelGroups(g.c);
  const cornerV = f.local("corner_v", "v128");
  const max = f.local("max", "v128");
  const best = f.local("best", "v128");
  const v = f.local("v", "v128");
  const mask = f.local("mask", "v128");
  const cornerF = f.local("corner_f", "f32");
  const max1 = f.local("max1", "f32");
  const best1 = f.local("best1", "f32");
  const v1 = f.local("v1", "f32");
  const winners = f.local("winners", "i32");
  const indices = (o: number, ch: number) => f.get(cornerV).f32x4Const([o + ch, o + ch + 1, o + ch + 2, o + ch + 3]).op("f32x4.add");
  f.get(f.ref("s0")).set(winners);
  overWindows(f, g, f.ref("x0"), f.ref("y"), (corner, q, out) => {
    f.get(corner).op("f32.convert_i32_s").tee(cornerF).op("f32x4.splat").set(cornerV);
    for (const group of groups) {
      const ch = 4 * group;
      f.get(q).load("v128", (first + ch) * F32).set(max);
      indices(first, ch).set(best);
      for (const o of rest) {
        f.get(q).load("v128", (o + ch) * F32).tee(v).get(max).op("f32x4.gt").set(mask);
        f.get(v).get(max).get(mask).op("v128.bitselect").set(max);
        indices(o, ch).get(best).get(mask).op("v128.bitselect").set(best);
      }
      f.get(out).get(max).store("v128", ch * F32);
      f.get(winners).get(best).store("v128", ch * F32);
    }
    for (const ch of tail) {
      f.get(q).load("f32", (first + ch) * F32).set(max1);
      f.get(cornerF).f32Const(first + ch).op("f32.add").set(best1);
      for (const o of rest) {
        f.get(q).load("f32", (o + ch) * F32).set(v1);
        f.get(cornerF).f32Const(o + ch).op("f32.add").get(best1).get(v1).get(max1).op("f32.gt").select().set(best1);
        f.get(v1).get(max1).get(v1).get(max1).op("f32.gt").select().set(max1);
      }
      f.get(out).get(max1).store("f32", ch * F32);
      f.get(winners).get(best1).store("f32", ch * F32);
    }
    f.get(winners).i32Const(g.c * F32).op("i32.add").set(winners);
  });
  return params;
}

/** max_pool2d backward: `name(n, gy, s0, gx0)`: each output's gradient added to its winner's. */
export function maxPoolBackward(m: ModuleBuilder, name: string, g: PoolShape, store: Store): string[] {
  const params = ["n", "gy", "s0", "gx0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const [gy, s0, gx] = ["gy", "s0", "gx0"].map((p) => f.ref(p)) as [Local, Local, Local];
  const inSize = g.h * g.w * g.c;
  if (store === "assign") zero(f, gx, inSize);
  const s = f.local("s", "i32");
  const j = f.local("j", "i32");
  const base = f.local("base", "i32");
  const p = f.local("p", "i32");
  const at = f.local("at", "i32");
  f.get(gx).set(base);
  f.forLoop(s, () => f.i32Const(0), () => f.get(f.ref("n")), 1, "samples", () => {
    f.forLoop(j, () => f.i32Const(0), () => f.i32Const(g.oh * g.ow * g.c), 1, "outputs", () => {
      f.get(s0).get(p).op("i32.add").load("f32").op("i32.trunc_f32_s").i32Const(F32).op("i32.mul").get(base).op("i32.add").tee(at);
      f.get(at).load("f32").get(gy).get(p).op("i32.add").load("f32").op("f32.add").store("f32");
      f.get(p).i32Const(F32).op("i32.add").set(p);
    });
    f.get(base).i32Const(inSize * F32).op("i32.add").set(base);
  });
  return params;
}

/** avg_pool2d forward: `name(n, x0, y)`. */
export function avgPoolForward(m: ModuleBuilder, name: string, g: PoolShape): string[] {
  const params = ["n", "x0", "y"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const [first, ...rest] = windowOffsets(g) as [number, ...number[]];
  const { groups, tail } = channelGroups(g.c);
  const scale = Math.fround(1 / (g.kh * g.kw));
  overWindows(f, g, f.ref("x0"), f.ref("y"), (_corner, q, out) => {
    for (const group of groups) {
      const ch = 4 * group;
      f.get(out).get(q).load("v128", (first + ch) * F32);
      for (const o of rest) f.get(q).load("v128", (o + ch) * F32).op("f32x4.add");
      if (rest.length > 0) f.f32x4Const([scale, scale, scale, scale]).op("f32x4.mul");
      f.store("v128", ch * F32);
    }
    for (const ch of tail) {
      f.get(out).get(q).load("f32", (first + ch) * F32);
      for (const o of rest) f.get(q).load("f32", (o + ch) * F32).op("f32.add");
      if (rest.length > 0) f.f32Const(scale).op("f32.mul");
      f.store("f32", ch * F32);
    }
  });
  return params;
}

/** avg_pool2d backward: `name(n, gy, gx0)`: each output's gradient, divided by the window, added to its window. */
export function avgPoolBackward(m: ModuleBuilder, name: string, g: PoolShape, store: Store): string[] {
  const params = ["n", "gy", "gx0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const gx = f.ref("gx0");
  if (store === "assign") zero(f, gx, g.h * g.w * g.c);
  const offsets = windowOffsets(g);
  const { groups, tail } = channelGroups(g.c);
  const scale = Math.fround(1 / (g.kh * g.kw));
  const share = f.local("share", "v128");
  const share1 = f.local("share1", "f32");
  overWindows(f, g, gx, f.ref("gy"), (_corner, q, gy) => {
    for (const group of groups) {
      const ch = 4 * group;
      f.get(gy).load("v128", ch * F32);
      if (offsets.length > 1) f.f32x4Const([scale, scale, scale, scale]).op("f32x4.mul");
      f.set(share);
      for (const o of offsets) f.get(q).get(q).load("v128", (o + ch) * F32).get(share).op("f32x4.add").store("v128", (o + ch) * F32);
    }
    for (const ch of tail) {
      f.get(gy).load("f32", ch * F32);
      if (offsets.length > 1) f.f32Const(scale).op("f32.mul");
      f.set(share1);
      for (const o of offsets) f.get(q).get(q).load("f32", (o + ch) * F32).get(share1).op("f32.add").store("f32", (o + ch) * F32);
    }
  });
  return params;
}
