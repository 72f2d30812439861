// The zero-skipping product: against a naive triple loop on operands with many exact zeros
// (widths around its block of eight columns, rows with no nonzero at all, transposed operands,
// overwrite and accumulate), then in place: the gradients of dense layers behind a relu and
// of dense layers whose input is mostly zeros.

import { describe, expect, it } from "vitest";
import { emitModule } from "../../../compiler/compile.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import type { ModelGraph } from "../../../compiler/graph.js";
import { sparseMatmul } from "../../../compiler/ir/ops/matmul_sparse.js";
import { gradCheck, lcg, randomBatch } from "./gradcheck.js";
import { GraphBuilder } from "./graphs.js";

interface Case {
  m: number;
  n: number;
  k: number;
  /** Fraction of A that is exactly zero. */
  zeros: number;
  /** A stored [k, m] (as gy for a weight gradient) instead of [m, k]. */
  transposeA?: boolean;
  /** B stored [n, k] (as dense weights) instead of [k, n]. */
  transposeB?: boolean;
  accumulate?: boolean;
}

function run({ m, n, k, zeros, transposeA, transposeB, accumulate }: Case): { got: Float64Array; want: Float64Array } {
  const next = lcg(m * 1000 + n * 10 + k);
  const a = Float64Array.from({ length: m * k }, () => (next() < zeros ? 0 : next() - 0.5));
  const b = Float64Array.from({ length: k * n }, () => next() - 0.5);
  const start = Float64Array.from({ length: m * n }, () => next() - 0.5);
  const atA = (i: number, kk: number) => (transposeA ? a[kk * m + i]! : a[i * k + kk]!);
  const atB = (kk: number, j: number) => (transposeB ? b[j * k + kk]! : b[kk * n + j]!);
  const want = accumulate ? start.slice() : new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let kk = 0; kk < k; kk++) want[i * n + j]! += atA(i, kk) * atB(kk, j);
  const body = sparseMatmul({
    M: "m",
    N: n,
    K: "kk",
    a: transposeA ? { buf: "a", offset: 0, rowStride: 1, colStride: m } : { buf: "a", offset: 0, rowStride: "kk", colStride: 1 },
    b: transposeB ? { buf: "b", offset: 0, rowStride: 1, colStride: "kk" } : { buf: "b", offset: 0, rowStride: n, colStride: 1 },
    store: (i, j, acc) => `out[${i} * ${n} + ${j}] ${accumulate ? "+=" : "="} ${acc};`,
    offsets: "offsets",
    values: "values",
  });
  // Stale values in C and in the scratch must not leak into the result.
  const got = accumulate ? start.slice() : Float64Array.from({ length: m * n }, () => 99);
  const offsets = new Int32Array(k).fill(-7);
  const values = new Float64Array(k).fill(3);
  new Function("a", "b", "out", "m", "kk", "offsets", "values", body)(a, b, got, m, k, offsets, values);
  return { got, want };
}

describe("sparseMatmul", () => {
  const cases: Case[] = [];
  // Widths around the block of eight columns, rows with no nonzero at all (zeros 1) or no zero.
  for (const n of [1, 7, 8, 9, 17]) for (const zeros of [0, 0.6, 1]) cases.push({ m: 5, n, k: 11, zeros });
  cases.push({ m: 7, n: 10, k: 20, zeros: 0.6, transposeA: true }, { m: 4, n: 9, k: 19, zeros: 0.4, accumulate: true });
  cases.push({ m: 6, n: 16, k: 31, zeros: 0.7, transposeA: true, transposeB: true, accumulate: true }, { m: 3, n: 12, k: 5, zeros: 0.5, transposeB: true });

  it.each(cases)("$m x $n with k = $k, $zeros zeros (transposed A $transposeA, B $transposeB, accumulate $accumulate)", (c) => {
    const { got, want } = run(c);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 12);
  });
});

/** x -> dense + relu -> dense + relu -> dense -> softmax_cross_entropy: both relu layers' products skip zeros. */
function stackedRelu(): ModelGraph {
  const g = new GraphBuilder();
  const x = g.input("x", [3, 5]);
  const h1 = g.unary("h1", "relu", g.dense("h1", x, 9));
  const h2 = g.unary("h2", "relu", g.dense("h2", h1, 10));
  const logits = g.dense("logits", h2, 4);
  g.output("logits", logits);
  g.loss("softmax_cross_entropy", logits, g.target("y", [3], 4));
  return g.build();
}

describe("dense with a fused relu", () => {
  it("uses the zero-skipping products for both the weight and the input gradient", () => {
    const source = emitModule(stackedRelu(), { language: "javascript" });
    expect(source.match(/gW = gy\^T x, skipping the zeros of gy/g)).toHaveLength(2);
    expect(source.match(/gx = gy W, skipping the zeros of gy/g)).toHaveLength(1);
  });

  it("has the gradients of central finite differences (weights shared over T, batch 1, 2, 5)", async () => {
    for (const size of [1, 2, 5]) {
      const result = await gradCheck(stackedRelu(), size, { perParam: 40 });
      expect(result.checked).toBeGreaterThan(0);
      expect(result.worst, `batch ${size}: ${result.where}`).toBeLessThan(1e-6);
    }
  });
});

/** x [3, 40] -> dense(32) + relu -> dense(36) -> dense(4): wide enough for the run-time zero check of x. */
function wideLayers(): ModelGraph {
  const g = new GraphBuilder();
  const x = g.input("x", [3, 40]);
  const h1 = g.unary("h1", "relu", g.dense("h1", x, 32));
  const h2 = g.dense("h2", h1, 36);
  const logits = g.dense("logits", h2, 4);
  g.output("logits", logits);
  g.loss("softmax_cross_entropy", logits, g.target("y", [3], 4));
  return g.build();
}

describe("dense on an input that is mostly zeros", () => {
  it("checks x for zeros in the forward pass and the weight gradient of wide layers only", () => {
    const source = emitModule(wideLayers(), { language: "javascript" });
    expect(source.match(/y = x W\^T \+ b, skipping the zeros of x/g)).toHaveLength(2);
    expect(source.match(/gW\^T = x\^T gy, skipping the zeros of x/g)).toHaveLength(2);
  });

  it("overwrites the weight gradients of the previous step (the same batch twice gives the same gradients)", async () => {
    const graph = wideLayers();
    const batch = randomBatch(graph, 6, 5);
    const x = batch.inputs["x"]!;
    for (let i = 0; i < x.length; i += 3) x[i] = x[i + 1] = 0;
    const { module } = await loadModelFromGraph(graph, { dtype: "float64" });
    const model = module.create({ seed: 3, maxBatch: 6 });
    model.forwardBackward(batch);
    const first = model.getGradients!();
    model.forwardBackward(batch);
    for (const [name, grad] of model.getGradients!()) expect(Array.from(grad), name).toEqual(Array.from(first.get(name)!));
  });

  it("has the gradients of central finite differences with 70% and with no zeros in x", async () => {
    const graph = wideLayers();
    for (const [size, zeros] of [[1, 0.7], [6, 0.7], [7, 0.9], [6, 0]] as const) {
      const batch = randomBatch(graph, size, 5);
      const next = lcg(size);
      const x = batch.inputs["x"]!;
      for (let i = 0; i < x.length; i++) if (next() < zeros) x[i] = 0;
      const result = await gradCheck(graph, size, { perParam: 40, batch });
      expect(result.checked).toBeGreaterThan(0);
      expect(result.worst, `batch ${size}, ${zeros} zeros: ${result.where}`).toBeLessThan(1e-6);
    }
  });
});
