// conv2d's weight gradient by blocks of samples (compiler/wasm/conv2d.ts): the partials kernel,
// run over the whole batch or over chunks of whole blocks as the threads run it, then the
// combine kernel, against a float64 reference of db = sum gy and dW = gy^T im2col, with both
// stores (assigned and added to), batches that end in a part block, and widths that leave
// scalar remainders of the vector lanes.

import { describe, expect, it } from "vitest";
import { convCombineParams, convPartialFloats, convPartialsParams, convWeightByBlocks, convWeightCombine, convWeightPartials, type ConvKernelShape } from "../../../compiler/wasm/conv2d.js";
import { PARTIAL_SAMPLES } from "../../../compiler/wasm/chunks.js";
import { convGeometry } from "../../../compiler/ir/ops/conv2d.js";
import { ModuleBuilder } from "../../../compiler/wasm/module.js";
import type { Store } from "../../../compiler/wasm/products.js";
import { layout, load, sequence } from "./harness.js";

interface Case {
  /** [h, w, c], filters, kernel. */
  input: [number, number, number];
  filters: number;
  kernel: number;
}

const CASES: Case[] = [
  { input: [6, 6, 1], filters: 16, kernel: 3 },
  { input: [5, 7, 3], filters: 5, kernel: 3 },
  { input: [4, 4, 4], filters: 9, kernel: 2 },
  { input: [3, 3, 2], filters: 3, kernel: 1 },
];

/** db and dW of the first n samples in float64: row by row over the batch's im2col rows. */
function reference(n: number, rows: number, patch: number, filters: number, x: Float32Array, gy: Float32Array) {
  const db = new Float64Array(filters);
  const dw = new Float64Array(filters * patch);
  for (let r = 0; r < n * rows; r++) {
    for (let u = 0; u < filters; u++) {
      const g = gy[r * filters + u]!;
      db[u] += g;
      for (let k = 0; k < patch; k++) dw[u * patch + k] += g * x[r * patch + k]!;
    }
  }
  return { db, dw };
}

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, bound: number, what: string): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst, what).toBeLessThan(bound);
}

describe("conv2d's weight gradient by blocks of samples", () => {
  it("only where a block's partial sums are small beside its im2col rows", () => {
    const attrs = (filters: number) => ({ filters, kh: 3, kw: 3, sh: 1, sw: 1, padding: "same" as const });
    expect(convWeightByBlocks(convGeometry([14, 14, 16], attrs(32)))).toBe(true);
    expect(convWeightByBlocks(convGeometry([7, 7, 256], attrs(512)))).toBe(false);
  });

  for (const c of CASES) {
    for (const store of ["assign", "accumulate"] as Store[]) {
      it(`${c.filters} filters of ${c.kernel}x${c.kernel} over [${c.input.join(", ")}], dW and db ${store === "assign" ? "assigned" : "added to"}`, async () => {
        const g = convGeometry(c.input, { filters: c.filters, kh: c.kernel, kw: c.kernel, sh: 1, sw: 1, padding: "same" });
        const shape: ConvKernelShape = { geometry: g, bias: true, activation: "identity" };
        const grads = { x: null, w: store, b: store };
        const max = 9;
        const rows = g.oh * g.ow;
        const blockFloats = convPartialFloats(g);
        const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
        expect(convWeightPartials(m, "partials", shape, grads)).toEqual(convPartialsParams(grads));
        expect(convWeightCombine(m, "combine", shape, grads)).toEqual(convCombineParams(grads));
        const x = sequence(max * rows * g.patch, 7);
        const gy = sequence(max * rows * g.filters, 9);
        const before = { w: sequence(g.filters * g.patch, 11), b: sequence(g.filters, 13) };
        const buffers = layout(
          { s0: x.length, gy: gy.length, s3: Math.ceil(max / PARTIAL_SAMPLES) * blockFloats, gw: g.filters * g.patch, gb: g.filters },
          { s0: x, gy },
        );
        const { kernels, memory } = await load(m, ["partials", "combine"], buffers.bytes);
        const b = buffers.place(memory);
        const a = (name: string) => b.address(name);
        for (const n of [1, 4, 5, 9]) {
          for (const chunked of [false, true]) {
            b.view("s0").set(x);
            b.view("gy").set(gy);
            b.view("gw").set(before.w);
            b.view("gb").set(before.b);
            if (!chunked) kernels.partials(n, a("s0"), a("gy"), a("s3"));
            else {
              // As the threads run it: chunks of whole blocks, each at its first sample's addresses.
              for (let first = 0; first < n; first += PARTIAL_SAMPLES) {
                const count = Math.min(PARTIAL_SAMPLES, n - first);
                kernels.partials(count, a("s0") + first * rows * g.patch * 4, a("gy") + first * rows * g.filters * 4, a("s3") + (first / PARTIAL_SAMPLES) * blockFloats * 4);
              }
            }
            kernels.combine(n, a("s3"), a("gw"), a("gb"));
            const want = reference(n, rows, g.patch, g.filters, x, gy);
            const base = store === "accumulate" ? before : { w: new Float32Array(want.dw.length), b: new Float32Array(want.db.length) };
            const what = `batch ${n}${chunked ? ", in chunks" : ""}`;
            // float32 products summed over at most 9 x rows terms of magnitude below 1.
            expectNear(b.view("gw"), Float64Array.from(want.dw, (v, i) => v + base.w[i]!), 1e-4 * n * rows, `dW, ${what}`);
            // db sums in float64: within an ulp or two of the float32 result (sums below about 30).
            expectNear(b.view("gb"), Float64Array.from(want.db, (v, i) => v + base.b[i]!), 1e-5, `db, ${what}`);
            expect(b.outsideUntouched(), what).toBe(true);
          }
        }
      });
    }
  }

  it("gives the same bytes whether the batch's blocks are run in one call or one call each", async () => {
    const g = convGeometry([5, 7, 3], { filters: 6, kh: 3, kw: 3, sh: 1, sw: 1, padding: "same" });
    const shape: ConvKernelShape = { geometry: g, bias: true, activation: "identity" };
    const grads = { x: null, w: "assign" as const, b: "assign" as const };
    const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
    convWeightPartials(m, "partials", shape, grads);
    convWeightCombine(m, "combine", shape, grads);
    const n = 11;
    const rows = g.oh * g.ow;
    const blockFloats = convPartialFloats(g);
    const x = sequence(n * rows * g.patch, 3);
    const gy = sequence(n * rows * g.filters, 5);
    const buffers = layout({ s0: x.length, gy: gy.length, s3: Math.ceil(n / PARTIAL_SAMPLES) * blockFloats, gw: g.filters * g.patch, gb: g.filters }, { s0: x, gy });
    const { kernels, memory } = await load(m, ["partials", "combine"], buffers.bytes);
    const b = buffers.place(memory);
    const a = (name: string) => b.address(name);
    kernels.partials(n, a("s0"), a("gy"), a("s3"));
    kernels.combine(n, a("s3"), a("gw"), a("gb"));
    const whole = [b.view("gw").slice(), b.view("gb").slice()];
    for (let first = 0; first < n; first += PARTIAL_SAMPLES) {
      kernels.partials(Math.min(PARTIAL_SAMPLES, n - first), a("s0") + first * rows * g.patch * 4, a("gy") + first * rows * g.filters * 4, a("s3") + (first / PARTIAL_SAMPLES) * blockFloats * 4);
    }
    kernels.combine(n, a("s3"), a("gw"), a("gb"));
    expect(new Uint8Array(b.view("gw").slice().buffer)).toEqual(new Uint8Array(whole[0]!.buffer));
    expect(new Uint8Array(b.view("gb").slice().buffer)).toEqual(new Uint8Array(whole[1]!.buffer));
  });
});
