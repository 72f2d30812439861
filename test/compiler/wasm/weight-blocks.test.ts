// A layer's weight gradient by blocks of samples (compiler/wasm/weight-blocks.ts): the
// partials kernel, run over the whole batch or over chunks of whole blocks as the threads run
// it, then the combine kernel, against a float64 reference of db = sum gy and dW = gy^T x,
// with both stores (assigned and added to), batches that end in a part block, widths that
// leave scalar remainders of the vector lanes, and conv2d's blocks of 4 samples as well as
// dense's of 16.

import { describe, expect, it } from "vitest";
import { convGeometry } from "../../../compiler/ir/ops/conv2d.js";
import { convWeightByBlocks } from "../../../compiler/wasm/conv2d.js";
import type { DenseKernelShape } from "../../../compiler/wasm/dense.js";
import { ModuleBuilder } from "../../../compiler/wasm/module.js";
import type { Store } from "../../../compiler/wasm/products.js";
import {
  DENSE_BLOCK_SAMPLES,
  denseWeightByBlocks,
  weightCombine,
  weightCombineParams,
  weightPartialFloats,
  weightPartials,
  weightPartialsParams,
  type WeightBlocks,
} from "../../../compiler/wasm/weight-blocks.js";
import { layout, load, sequence } from "./harness.js";

interface Case {
  rowsPerSample: number;
  inWidth: number;
  out: number;
  samples: number;
}

const CASES: Case[] = [
  // conv2d's: 16 filters of 3x3 over one channel on 6x6, 5 of 3x3x3 on 5x7, 3 of 1x1x2 on 3x3.
  { rowsPerSample: 36, inWidth: 9, out: 16, samples: 4 },
  { rowsPerSample: 35, inWidth: 27, out: 5, samples: 4 },
  { rowsPerSample: 9, inWidth: 2, out: 3, samples: 4 },
  // dense's: reverse's 32 -> 32 at 8 rows a sample, and odd widths.
  { rowsPerSample: 8, inWidth: 32, out: 32, samples: DENSE_BLOCK_SAMPLES },
  { rowsPerSample: 3, inWidth: 13, out: 7, samples: DENSE_BLOCK_SAMPLES },
];

/** db and dW of the first n samples in float64: row by row over the batch's rows. */
function reference(n: number, c: Case, x: Float32Array, gy: Float32Array) {
  const db = new Float64Array(c.out);
  const dw = new Float64Array(c.out * c.inWidth);
  for (let r = 0; r < n * c.rowsPerSample; r++) {
    for (let u = 0; u < c.out; u++) {
      const g = gy[r * c.out + u]!;
      db[u] += g;
      for (let k = 0; k < c.inWidth; k++) dw[u * c.inWidth + k] += g * x[r * c.inWidth + k]!;
    }
  }
  return { db, dw };
}

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, bound: number, what: string): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst, what).toBeLessThan(bound);
}

async function setUp(c: Case, grads: { w: Store | null; b: Store | null }, max: number) {
  const shape: DenseKernelShape = { rowsPerSample: c.rowsPerSample, inWidth: c.inWidth, out: c.out, bias: true, activation: "identity" };
  const blocks: WeightBlocks = { samples: c.samples, x: "x0", partials: "s1" };
  const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
  expect(weightPartials(m, "partials", shape, grads, blocks)).toEqual(weightPartialsParams(grads, blocks));
  expect(weightCombine(m, "combine", shape, grads, blocks)).toEqual(weightCombineParams(grads, blocks));
  const x = sequence(max * c.rowsPerSample * c.inWidth, 7);
  const gy = sequence(max * c.rowsPerSample * c.out, 9);
  const blockFloats = weightPartialFloats(shape, c.samples);
  const buffers = layout({ x0: x.length, gy: gy.length, s1: Math.ceil(max / c.samples) * blockFloats, gw: c.out * c.inWidth, gb: c.out }, { x0: x, gy });
  const { kernels, memory } = await load(m, ["partials", "combine"], buffers.bytes);
  const b = buffers.place(memory);
  const a = (name: string) => b.address(name);
  /** The partials kernel over n samples in one call, or in chunks of `chunk` blocks as the threads cut it. */
  const partials = (n: number, chunk: number | null) => {
    if (chunk === null) return void kernels.partials(n, a("x0"), a("gy"), a("s1"));
    for (let first = 0; first < n; first += chunk * c.samples) {
      const count = Math.min(chunk * c.samples, n - first);
      kernels.partials(count, a("x0") + first * c.rowsPerSample * c.inWidth * 4, a("gy") + first * c.rowsPerSample * c.out * 4, a("s1") + (first / c.samples) * blockFloats * 4);
    }
  };
  return { x, gy, b, partials, combine: (n: number) => kernels.combine(n, a("s1"), a("gw"), a("gb")) };
}

describe("a layer's weight gradient by blocks of samples", () => {
  it("only where a block's partial sums are small beside its rows", () => {
    const attrs = (filters: number) => ({ filters, kh: 3, kw: 3, sh: 1, sw: 1, padding: "same" as const });
    expect(convWeightByBlocks(convGeometry([14, 14, 16], attrs(32)))).toBe(true);
    expect(convWeightByBlocks(convGeometry([7, 7, 256], attrs(512)))).toBe(false);
    // reverse's layers by blocks; mnist_mlp's first layer (one row a sample) and a zero-skipping one not.
    expect(denseWeightByBlocks({ rowsPerSample: 8, inWidth: 32, out: 128 })).toBe(true);
    expect(denseWeightByBlocks({ rowsPerSample: 1, inWidth: 784, out: 128 })).toBe(false);
    expect(denseWeightByBlocks({ rowsPerSample: 8, inWidth: 32, out: 32, sparseInput: true })).toBe(false);
  });

  for (const c of CASES) {
    for (const store of ["assign", "accumulate"] as Store[]) {
      it(`${c.out} units of ${c.inWidth} inputs, ${c.rowsPerSample} rows a sample, blocks of ${c.samples}: dW and db ${store === "assign" ? "assigned" : "added to"}`, async () => {
        const max = 2 * c.samples + 3;
        const { x, gy, b, partials, combine } = await setUp(c, { w: store, b: store }, max);
        const before = { w: sequence(c.out * c.inWidth, 11), b: sequence(c.out, 13) };
        for (const n of [1, c.samples, c.samples + 1, max]) {
          for (const chunk of [null, 1, 2]) {
            b.view("gw").set(before.w);
            b.view("gb").set(before.b);
            partials(n, chunk);
            combine(n);
            const want = reference(n, c, x, gy);
            const base = store === "accumulate" ? before : { w: new Float32Array(want.dw.length), b: new Float32Array(want.db.length) };
            const what = `batch ${n}${chunk === null ? "" : `, in chunks of ${chunk} blocks`}`;
            // float32 products of terms below 1 in magnitude, over at most max x rows of them.
            expectNear(b.view("gw"), Float64Array.from(want.dw, (v, i) => v + base.w[i]!), 1e-6 * n * c.rowsPerSample + 1e-6, `dW, ${what}`);
            // db sums in float64: within an ulp or two of the float32 result.
            expectNear(b.view("gb"), Float64Array.from(want.db, (v, i) => v + base.b[i]!), 1e-5, `db, ${what}`);
            expect(b.outsideUntouched(), what).toBe(true);
          }
        }
      });
    }
  }

  it("gives the same bytes whether the batch's blocks run in one call or one call each", async () => {
    for (const c of [CASES[1]!, CASES[4]!]) {
      const n = 3 * c.samples - 1;
      const { b, partials, combine } = await setUp(c, { w: "assign", b: "assign" }, n);
      partials(n, null);
      combine(n);
      const whole = [b.view("gw").slice(), b.view("gb").slice()];
      partials(n, 1);
      combine(n);
      expect(new Uint8Array(b.view("gw").slice().buffer)).toEqual(new Uint8Array(whole[0]!.buffer));
      expect(new Uint8Array(b.view("gb").slice().buffer)).toEqual(new Uint8Array(whole[1]!.buffer));
    }
  });
});
