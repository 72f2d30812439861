// Kernels that walk each sample's sequence [T, F] down its columns (a neuron, a feature) and
// compute in float64, as their JavaScript kernels do on JavaScript numbers, so that the
// results match those kernels bit for bit: four float32 columns are promoted to two f64x2
// halves (`lo`: columns 0-1, `hi`: 2-3), the F % 4 last columns one at a time through the
// same code on the `lo` half alone.

import type { FunctionBuilder, Local } from "./function.js";

/** The halves a block of columns computes: two (four columns) or one (a single column). */
export type Halves = 1 | 2;

/** `for col in [0, F)`: `body(halves)` with `col` the column's byte offset, four columns at a time, then one. */
export function overColumns(f: FunctionBuilder, prefix: string, columns: number, col: Local, body: (halves: Halves) => void): void {
  const vectors = columns - (columns % 4);
  f.forLoop(col, () => f.i32Const(0), () => f.i32Const(vectors * 4), 16, `${prefix}_vector`, () => body(2));
  f.forLoop(col, () => f.i32Const(vectors * 4), () => f.i32Const(columns * 4), 4, `${prefix}_scalar`, () => body(1));
}

/** Loads the float32 columns at the i32 address `address` pushes into float64 halves. */
export function loadColumns(f: FunctionBuilder, halves: Halves, address: () => void, lo: Local, hi: Local, scratch: Local): void {
  address();
  if (halves === 1) {
    // lane 1 zero, so that sums over the lanes (lif's dβ, dθ) count the column once
    f.load("f32").op("f64.promote_f32").op("f64x2.splat").i32x4Const([-1, -1, 0, 0]).op("v128.and").set(lo);
    return;
  }
  f.load("v128").tee(scratch).op("f64x2.promote_low_f32x4").set(lo);
  f.get(scratch).get(scratch).i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]).op("f64x2.promote_low_f32x4").set(hi);
}

/** Stores float64 halves, rounded to float32, at the i32 address `address` pushes. */
export function storeColumns(f: FunctionBuilder, halves: Halves, address: () => void, lo: Local, hi: Local): void {
  address();
  f.get(lo).op("f32x4.demote_f64x2_zero");
  if (halves === 1) {
    f.f32x4ExtractLane(0).store("f32");
    return;
  }
  f.get(hi).op("f32x4.demote_f64x2_zero");
  f.i8x16Shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]).store("v128");
}

/** An f64x2 with both lanes `value`. */
export function f64x2Splat(f: FunctionBuilder, value: number): void {
  f.f64Const(value).op("f64x2.splat");
}

/** The sum of an f64x2's two lanes, lane 0 first, on the stack as f64. */
export function sumLanes(f: FunctionBuilder, v: Local): void {
  f.get(v).f64x2ExtractLane(0).get(v).f64x2ExtractLane(1).op("f64.add");
}
