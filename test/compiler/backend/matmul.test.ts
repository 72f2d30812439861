// The register-blocked product generator against a naive triple loop: every remainder of the
// 4x3 blocks, run-time and constant bounds, transposed operands, unrolled and tiled k.

import { describe, expect, it } from "vitest";
import { matmul, type Dim } from "../../../compiler/ir/ops/matmul.js";
import { lcg } from "./gradcheck.js";

interface Case {
  m: number;
  n: number;
  k: number;
  runtimeM?: boolean;
  runtimeK?: boolean;
  transposeA?: boolean;
  kTile?: number;
}

/** C = A B with A stored [m, k] (or [k, m] transposed) and B stored [n, k] (as dense weights). */
function run({ m, n, k, runtimeM, runtimeK, transposeA, kTile }: Case): { got: Float64Array; want: Float64Array } {
  const next = lcg(m * 100 + n * 10 + k);
  const a = Float64Array.from({ length: m * k }, () => next() - 0.5);
  const b = Float64Array.from({ length: n * k }, () => next() - 0.5);
  const at = (i: number, kk: number) => (transposeA ? a[kk * m + i]! : a[i * k + kk]!);
  const want = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let kk = 0; kk < k; kk++) want[i * n + j]! += at(i, kk) * b[j * k + kk]!;
  const M: Dim = runtimeM ? "m" : m;
  const K: Dim = runtimeK ? "kk" : k;
  const body = matmul({
    M,
    N: n,
    K,
    a: transposeA ? { buf: "a", offset: 0, rowStride: 1, colStride: m } : { buf: "a", offset: 0, rowStride: k, colStride: 1 },
    b: { buf: "b", offset: 0, rowStride: 1, colStride: k },
    store: (i, j, acc) => `out[${i} * ${n} + ${j}] ${kTile ? "+=" : "="} ${acc};`,
    ...(kTile ? { kTile } : {}),
  });
  const got = new Float64Array(m * n);
  new Function("a", "b", "out", "m", "kk", body)(a, b, got, m, k);
  return { got, want };
}

describe("matmul", () => {
  const cases: Case[] = [];
  for (const m of [1, 3, 4, 5, 8]) for (const n of [1, 2, 3, 4, 6, 7]) for (const k of [1, 3, 4, 9]) cases.push({ m, n, k });
  cases.push({ m: 6, n: 5, k: 13, runtimeM: true }, { m: 9, n: 6, k: 11, runtimeM: true, runtimeK: true, transposeA: true });
  cases.push({ m: 7, n: 9, k: 50, kTile: 16 }, { m: 5, n: 6, k: 37, runtimeK: true, kTile: 8, transposeA: true });

  it.each(cases)("$m x $n with k = $k (runtime M $runtimeM, runtime K $runtimeK, transposed A $transposeA, tile $kTile)", (c) => {
    const { got, want } = run(c);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 12);
  });
});
