// A dense layer's forward and backward pass in float64, written out plainly, with each result's
// float32 summation bound: the reference the dense and the zero-skipping kernels' tests
// (dense.test.ts, sparse.test.ts) hold the WebAssembly and JavaScript kernels to.
import type { DenseKernelShape } from "../../../compiler/wasm/dense.js";

export const EPS = 2 ** -24;

export interface DenseReference {
  y: Float64Array;
  gx: Float64Array;
  gw: Float64Array;
  gb: Float64Array;
  /** Per element of each result: the sum of the absolute values of its terms, and their count. */
  yScale: Float64Array;
  gxScale: Float64Array;
  gwScale: Float64Array;
  gbScale: Float64Array;
}

export function denseReference(shape: DenseKernelShape, rows: number, x: Float32Array, w: Float32Array, b: Float32Array, gyIn: Float32Array): DenseReference {
  const { inWidth: K, out: N } = shape;
  const y = new Float64Array(rows * N);
  const yScale = new Float64Array(rows * N);
  const pre = new Float64Array(rows * N);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < N; o++) {
      let s = shape.bias ? b[o]! : 0;
      let scale = Math.abs(s);
      for (let k = 0; k < K; k++) {
        s += x[r * K + k]! * w[o * K + k]!;
        scale += Math.abs(x[r * K + k]! * w[o * K + k]!);
      }
      pre[r * N + o] = s;
      // The kernel's y is float32: its relu sees the rounded value.
      y[r * N + o] = shape.activation === "relu" ? (Math.fround(s) > 0 ? s : 0) : s;
      yScale[r * N + o] = scale;
    }
  }
  const g = Float64Array.from(gyIn, (v, p) => (shape.activation === "relu" ? (Math.fround(y[p]!) > 0 ? v : 0) : v));
  const gx = new Float64Array(rows * K);
  const gxScale = new Float64Array(rows * K);
  const gw = new Float64Array(N * K);
  const gwScale = new Float64Array(N * K);
  const gb = new Float64Array(N);
  const gbScale = new Float64Array(N);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < N; o++) {
      const go = g[r * N + o]!;
      gb[o] += go;
      gbScale[o] += Math.abs(go);
      for (let k = 0; k < K; k++) {
        gx[r * K + k] += go * w[o * K + k]!;
        gxScale[r * K + k] += Math.abs(go * w[o * K + k]!);
        gw[o * K + k] += go * x[r * K + k]!;
        gwScale[o * K + k] += Math.abs(go * x[r * K + k]!);
      }
    }
  }
  return { y, gx, gw, gb, yScale, gxScale, gwScale, gbScale };
}

/** The indices where |got - want| exceeds the float32 bound (empty when all are within it). */
export function outside(got: ArrayLike<number>, want: Float64Array, scale: Float64Array, terms: number, before?: Float32Array): string[] {
  const bad: string[] = [];
  for (let i = 0; i < got.length; i++) {
    const expected = want[i]! + (before ? before[i]! : 0);
    const bound = (terms + 2) * EPS * (scale[i]! + (before ? Math.abs(before[i]!) : 0)) + 1e-30;
    if (!(Math.abs(got[i]! - expected) <= bound) && bad.length < 5) bad.push(`[${i}] ${got[i]} vs ${expected}`);
  }
  return bad;
}
