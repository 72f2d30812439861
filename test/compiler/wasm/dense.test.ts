// The dense kernels against a float64 reference written out plainly here (and the
// JavaScript kernels against the same reference, on the same data), for shapes that
// exercise every remainder of the register blocks (batch 1, odd rows, widths that are not
// multiples of 4 or of the block), with and without bias and fused relu, gradients written
// and added. Bounds are the float32 summation bound, (terms + 2) * 2^-24 * sum of |terms|.
import { describe, expect, it } from "vitest";
import { denseBackward, denseForward, weightGradientChunk, type DenseBlocks, type DenseGradients, type DenseKernelShape } from "../../../compiler/wasm/dense.js";
import { ModuleBuilder } from "../../../compiler/wasm/module.js";
import { layout, load, sequence } from "./harness.js";
import { jsDense, jsDenseArguments } from "../../../reference/js-dense.js";
import { denseReference as reference, outside } from "./dense-reference.js";

interface Case {
  shape: DenseKernelShape;
  grads: DenseGradients;
  blocks?: DenseBlocks;
}

async function check({ shape, grads, blocks }: Case, batches: readonly number[]): Promise<void> {
  const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
  const forwardParams = denseForward(m, "forward", shape, blocks);
  const backwardParams = denseBackward(m, "backward", shape, grads, blocks);
  const { inWidth: K, out: N } = shape;
  for (const n of batches) {
    const rows = n * shape.rowsPerSample;
    const x = sequence(rows * K, 11 + n);
    const w = sequence(N * K, 23 + K);
    const b = sequence(N, 31 + N);
    const gy = sequence(rows * N, 41 + n);
    const before = { gx0: sequence(rows * K, 3), gx1: sequence(N * K, 5), gx2: sequence(N, 9) };
    const plan = layout(
      { x0: rows * K, x1: N * K, x2: N, y: rows * N, gy: rows * N, gx0: rows * K, gx1: N * K, gx2: N },
      {
        x0: x,
        x1: w,
        x2: b,
        gy,
        ...(grads.x === "accumulate" ? { gx0: before.gx0 } : {}),
        ...(grads.w === "accumulate" ? { gx1: before.gx1 } : {}),
        ...(grads.b === "accumulate" ? { gx2: before.gx2 } : {}),
      },
    );
    const { kernels, memory } = await load(m, ["forward", "backward"], plan.bytes);
    const buf = plan.place(memory);
    kernels.forward(n, ...forwardParams.slice(1).map((p) => buf.address(p)));
    kernels.backward(n, ...backwardParams.slice(1).map((p) => buf.address(p)));
    const want = reference(shape, rows, x, w, b, gy);
    // The JavaScript kernels on the same data: the reference must hold for them too, which
    // pins the conventions (gradients written or added, gy rewritten in place behind relu).
    const js = jsDense(shape, grads);
    const arrays: Record<(typeof jsDenseArguments)[number], Float32Array | Float64Array> = {
      x0: x.slice(),
      x1: w.slice(),
      x2: b.slice(),
      y: new Float32Array(rows * N),
      gy: gy.slice(),
      gx0: grads.x === "accumulate" ? before.gx0.slice() : new Float32Array(rows * K),
      gx1: grads.w === "accumulate" ? before.gx1.slice() : new Float32Array(N * K),
      gx2: grads.b === "accumulate" ? before.gx2.slice() : new Float32Array(N),
      s0: new Float64Array(N),
    };
    const jsArgs = jsDenseArguments.map((k) => arrays[k]);
    js.forward(n, ...jsArgs);
    js.backward(n, ...jsArgs);
    const label = `${JSON.stringify(shape)} n=${n}`;
    expect(Array.from(buf.view("gy")), `gy after backward ${label}`).toEqual(Array.from(arrays.gy));
    for (const [system, result] of [
      ["wasm", (k: "y" | "gx0" | "gx1" | "gx2") => buf.view(k)],
      ["js", (k: "y" | "gx0" | "gx1" | "gx2") => arrays[k] as Float32Array],
    ] as const) {
      const at = `${system} ${label}`;
      expect(outside(result("y"), want.y, want.yScale, K + 1), `y ${at}`).toEqual([]);
      if (grads.x) expect(outside(result("gx0"), want.gx, want.gxScale, N + 1, grads.x === "accumulate" ? before.gx0 : undefined), `dx ${at}`).toEqual([]);
      if (grads.w) expect(outside(result("gx1"), want.gw, want.gwScale, rows + 1, grads.w === "accumulate" ? before.gx1 : undefined), `dW ${at}`).toEqual([]);
      if (grads.b) expect(outside(result("gx2"), want.gb, want.gbScale, 1, grads.b === "accumulate" ? before.gx2 : undefined), `db ${at}`).toEqual([]);
    }
    // Unwritten gradients stay as they were (NaN); nothing outside the buffers changed.
    if (!grads.x) expect(buf.view("gx0").every(Number.isNaN)).toBe(true);
    expect(buf.outsideUntouched(), `out-of-bounds write ${label}`).toBe(true);
  }
}

const all: DenseGradients = { x: "assign", w: "assign", b: "assign" };
const shape = (rowsPerSample: number, inWidth: number, out: number, bias = true, activation: "identity" | "relu" = "identity"): DenseKernelShape => ({
  rowsPerSample,
  inWidth,
  out,
  bias,
  activation,
});

describe("dense WebAssembly kernels against a float64 reference and the JavaScript kernels", () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 2, 3],
    [1, 3, 5],
    [1, 4, 8],
    [1, 5, 7],
    [1, 8, 9],
    [1, 12, 4],
    [1, 17, 13],
    [1, 33, 10],
    [1, 64, 24],
    [3, 6, 11],
    [5, 16, 3],
  ];
  it.each(shapes)("rows per sample %i, in %i, out %i, batches 1, 2, 3, 5 and 8", async (t, k, o) => {
    await check({ shape: shape(t, k, o), grads: all }, [1, 2, 3, 5, 8]);
  });

  it("with a fused relu, no bias, and gradients added to earlier writers", async () => {
    await check({ shape: shape(1, 19, 14, false, "relu"), grads: { x: "accumulate", w: "accumulate", b: null } }, [1, 6]);
    await check({ shape: shape(2, 9, 6, true, "relu"), grads: { x: null, w: "assign", b: "accumulate" } }, [3]);
    await check({ shape: shape(1, 7, 5, true, "identity"), grads: { x: "assign", w: null, b: null } }, [4]);
  });

  it("an MNIST-sized layer (784 -> 128 with relu, 128 -> 10) at batch 32", async () => {
    await check({ shape: shape(1, 784, 128, true, "relu"), grads: { x: null, w: "assign", b: "assign" } }, [32]);
    await check({ shape: shape(1, 128, 10), grads: all }, [32]);
  });

  it("a weight gradient over more rows than one chunk: chunks, a short last one, assigned and added", async () => {
    // 900 + 9 floats a row: chunks of 128 rows (weightGradientChunk), so 50 rows a sample
    // makes one chunk at batch 1 and 2, several with a short last one at batch 3 and 7.
    expect(weightGradientChunk(900, 9)).toBe(128);
    await check({ shape: shape(50, 900, 9), grads: all }, [1, 3, 7]);
    await check({ shape: shape(50, 900, 9, false), grads: { x: null, w: "accumulate", b: null } }, [2, 7]);
  });

  it.each([
    { forward: { rows: 1, cols: 1 }, backward: { rows: 1, vectors: 1 } },
    { forward: { rows: 3, cols: 3 }, backward: { rows: 3, vectors: 3 } },
    { forward: { rows: 2, cols: 4 }, backward: { rows: 4, vectors: 1 } },
  ])("other register blocks: %j", async (blocks) => {
    for (const [t, k, o] of [[1, 13, 7], [2, 4, 12], [1, 25, 2]] as const) {
      await check({ shape: shape(t, k, o), grads: all, blocks }, [1, 4, 7]);
    }
  });

  it("rejects shapes with a zero dimension", () => {
    const m = new ModuleBuilder();
    expect(() => denseForward(m, "f", shape(1, 0, 3))).toThrow(/dense kernel of shape/);
  });
});
