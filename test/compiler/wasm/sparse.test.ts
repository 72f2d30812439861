// The zero-skipping dense kernels (compiler/wasm/sparse.ts) against a float64 reference and the
// JavaScript zero-skipping kernels, on inputs above and below the half-zeros threshold, batches
// below and at SPARSE_MIN_ROWS, and output widths that leave every remainder of the blocks
// (eight vectors, four, one, single floats); then the splits the threads make: the product on
// chunks of samples and the weight gradient on ranges of units give the bytes of one call.
// Bounds are the float32 summation bound, (terms + 2) * 2^-24 * sum of |terms|.
import { describe, expect, it } from "vitest";
import { denseBackward, denseBackwardPart, denseForward, denseSparsePrep, type DenseGradients, type DenseKernelShape } from "../../../compiler/wasm/dense.js";
import { ModuleBuilder } from "../../../compiler/wasm/module.js";
import { decisionOffset, gatheredFloats, SPARSE_MIN_ROWS, transposedFloats } from "../../../compiler/wasm/sparse.js";
import { jsDense, jsDenseArguments } from "../../../reference/js-dense.js";
import { layout, load, sequence, type Buffers } from "./harness.js";
import { denseReference as reference, outside } from "./dense-reference.js";
import { instantiateKernels, type WasmKernel, type WasmMemory } from "../../../runtime/wasm.js";


/** Pseudo-random floats with about `zeros` of them exactly 0 (whole rows of zeros and of nonzeros included). */
function sparseInputs(rows: number, width: number, zeros: number, seed: number): Float32Array {
  const values = sequence(rows * width, seed);
  const pick = sequence(rows * width, seed + 1);
  return values.map((v, i) => {
    const row = Math.floor(i / width);
    if (row === 1) return 0;
    if (row === 2) return v === 0 ? 0.5 : v;
    return (pick[i]! + 1) / 2 < zeros ? 0 : v;
  });
}

interface Built {
  kernels: Record<"prep" | "forward" | "backward", WasmKernel>;
  buf: Buffers;
  memory: WasmMemory;
  params: { forward: string[]; backward: string[] };
}

async function build(shape: DenseKernelShape, grads: DenseGradients, n: number, init: Record<string, ArrayLike<number>>): Promise<Built> {
  const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
  denseSparsePrep(m, "prep", shape);
  const forward = denseForward(m, "forward", shape);
  const backward = denseBackward(m, "backward", shape, grads);
  const { inWidth: K, out: N } = shape;
  const rows = n * shape.rowsPerSample;
  const gathered = gatheredFloats(K, N);
  const plan = layout(
    { x0: rows * K, x1: N * K, x2: N, y: rows * N, gy: rows * N, gx0: rows * K, gx1: N * K, gx2: N, s3: transposedFloats(K, N), s4: n * gathered.perSample + gathered.fixed },
    init,
  );
  const { kernels, memory } = await load(m, ["prep", "forward", "backward"], plan.bytes);
  return { kernels, buf: plan.place(memory), memory: memory as WasmMemory, params: { forward, backward } };
}

const decision = (b: Buffers, shape: DenseKernelShape) => new Int32Array(b.view("s3").buffer, b.address("s3") + decisionOffset(shape.inWidth, shape.out), 1)[0];

async function check(shape: DenseKernelShape, grads: DenseGradients, n: number, zeros: number): Promise<void> {
  const { inWidth: K, out: N } = shape;
  const rows = n * shape.rowsPerSample;
  const x = sparseInputs(rows, K, zeros, 7 + n + K);
  const w = sequence(N * K, 23 + K);
  const b = sequence(N, 31 + N);
  const gy = sequence(rows * N, 41 + n);
  const before = sequence(N * K, 5);
  const { kernels, buf, params } = await build(shape, grads, n, { x0: x, x1: w, x2: b, gy, ...(grads.w === "accumulate" ? { gx1: before } : {}) });
  const address = (p: string) => buf.address(p);
  kernels.prep(n, address("x0"), address("x1"), address("s3"));
  kernels.forward(n, ...params.forward.slice(1).map(address));
  const zeroCount = x.reduce((c, v) => c + (v === 0 ? 1 : 0), 0);
  const sparse = 2 * zeroCount >= x.length && rows >= SPARSE_MIN_ROWS;
  const label = `${JSON.stringify(shape)} n=${n} zeros=${zeros}`;
  expect(decision(buf, shape), `decision ${label}`).toBe(sparse ? 1 : 0);
  const y = buf.view("y").slice();
  kernels.backward(n, ...params.backward.slice(1).map(address));
  const want = reference(shape, rows, x, w, b, gy);
  // The JavaScript zero-skipping kernels on the same data.
  const js = jsDense(shape, grads);
  const scratch = rows + Math.max(K, N);
  const arrays = {
    x0: x.slice(),
    x1: w.slice(),
    x2: b.slice(),
    y: new Float32Array(rows * N),
    gy: gy.slice(),
    gx0: new Float32Array(rows * K),
    gx1: grads.w === "accumulate" ? before.slice() : new Float32Array(N * K),
    gx2: new Float32Array(N),
    s0: new Float64Array(N),
  };
  const jsArgs = [...jsDenseArguments.map((k) => arrays[k]), new Int32Array(scratch), new Float32Array(scratch)];
  js.forward(n, ...jsArgs);
  js.backward(n, ...jsArgs);
  for (const [system, gotY, gotW] of [
    ["wasm", y, buf.view("gx1")],
    ["js", arrays.y, arrays.gx1],
  ] as const) {
    expect(outside(gotY, want.y, want.yScale, K + 1), `y ${system} ${label}`).toEqual([]);
    if (grads.w) expect(outside(gotW, want.gw, want.gwScale, rows + 1, grads.w === "accumulate" ? before : undefined), `dW ${system} ${label}`).toEqual([]);
  }
  expect(buf.outsideUntouched(), `out-of-bounds write ${label}`).toBe(true);
  if (sparse && grads.w === "assign") {
    // The weight gradient went the zero-skipping way: dW^T is left in the transposed scratch.
    const dwt = buf.view("s3");
    const gw = buf.view("gx1");
    const transposed = Float32Array.from({ length: N * K }, (_, i) => gw[(i % N) * K + Math.floor(i / N)]!);
    expect(Array.from(dwt.subarray(0, N * K)), `dW^T ${label}`).toEqual(Array.from(transposed));
  }
}

const relu = (rowsPerSample: number, inWidth: number, out: number, bias = true): DenseKernelShape => ({
  rowsPerSample,
  inWidth,
  out,
  bias,
  activation: "relu",
  sparseInput: true,
});
const plain = (rowsPerSample: number, inWidth: number, out: number): DenseKernelShape => ({ ...relu(rowsPerSample, inWidth, out), activation: "identity" });

describe("zero-skipping dense WebAssembly kernels", () => {
  it("an MNIST-sized layer (784 -> 128, relu) above and below the half-zeros threshold, at and below the minimum rows", async () => {
    const grads: DenseGradients = { x: null, w: "assign", b: "assign" };
    for (const [n, zeros] of [[32, 0.8], [32, 0.3], [SPARSE_MIN_ROWS, 0.8], [SPARSE_MIN_ROWS - 1, 0.8], [1, 0.8]] as const) {
      await check(relu(1, 784, 128), grads, n, zeros);
    }
  });

  // Output widths: 45 = a block of eight vectors, three vectors and a float; 70 = two blocks,
  // a vector and two floats; 3 = floats only; 36 = a block and a vector. Inputs not a
  // multiple of 4 leave floats after the gathered vectors and the 4 x 4 transposes.
  it.each([
    [1, 37, 45],
    [1, 20, 70],
    [1, 9, 3],
    [2, 13, 36],
    [3, 6, 33],
  ])("rows per sample %i, in %i, out %i: batches 16, 17 and 23, mostly zeros and not", async (t, k, o) => {
    for (const n of [16, 17, 23]) {
      await check(plain(t, k, o), { x: "assign", w: "assign", b: "assign" }, n, 0.75);
      await check(relu(t, k, o, false), { x: null, w: "accumulate", b: null }, n, 0.75);
    }
    await check(plain(t, k, o), { x: "assign", w: "assign", b: "assign" }, 19, 0.2);
  });

  it("the product on chunks of samples and the weight gradient on ranges of units give the bytes of one call", async () => {
    const shape = relu(1, 50, 45);
    const grads: DenseGradients = { x: null, w: "assign", b: "assign" };
    const n = 24;
    const { inWidth: K, out: N } = shape;
    const init = { x0: sparseInputs(n, K, 0.8, 3), x1: sequence(N * K, 4), x2: sequence(N, 5), gy: sequence(n * N, 6) };
    const whole = await build(shape, grads, n, init);
    const at = (b: Built) => (p: string) => b.buf.address(p);
    whole.kernels.prep(n, at(whole)("x0"), at(whole)("x1"), at(whole)("s3"));
    expect(decision(whole.buf, shape)).toBe(1);
    whole.kernels.forward(n, ...whole.params.forward.slice(1).map(at(whole)));
    whole.kernels.backward(n, ...whole.params.backward.slice(1).map(at(whole)));

    // Samples 0..5, 5..13, 13..24 (the scratch slot of a chunk is its first sample's), and the
    // weight gradient's units 0..4, 4..36, 36..45: the units part of a module of its own.
    const split = await build(shape, grads, n, init);
    const a = at(split);
    split.kernels.prep(n, a("x0"), a("x1"), a("s3"));
    const stride: Record<string, number> = { x0: K * 4, y: N * 4, s4: gatheredFloats(K, N).perSample * 4 };
    for (const [from, to] of [[0, 5], [5, 13], [13, 24]] as const) {
      split.kernels.forward(to - from, ...split.params.forward.slice(1).map((p) => a(p) + from * (stride[p] ?? 0)));
    }
    expect(Array.from(split.buf.view("y"))).toEqual(Array.from(whole.buf.view("y")));
    const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
    // The rows part (relu on gy) through the whole kernel of the first module, then the units
    // part alone, on the same memory.
    const rowsParams = denseBackwardPart(m, "rows", shape, grads, "rows");
    const unitsParams = denseBackwardPart(m, "units", shape, grads, "units");
    const parts = instantiateKernels(m.toBytes(), split.memory, ["rows", "units"]);
    parts.rows(n, ...rowsParams.slice(1).map(a));
    for (const [from, to] of [[0, 4], [4, 36], [36, 45]] as const) {
      parts.units(n, from, to, ...unitsParams.slice(3).map(a));
    }
    expect(Array.from(split.buf.view("gx1"))).toEqual(Array.from(whole.buf.view("gx1")));
    expect(Array.from(split.buf.view("gx2"))).toEqual(Array.from(whole.buf.view("gx2")));
  });
});
