// The matrix product for a left operand that is mostly exact zeros: pixels (MNIST's are
// four-fifths zeros), relu outputs, and the gradient behind a fused relu, which is zero
// wherever the unit was off.
//
// C[i, j] = sum over k with A(i, k) != 0 of A(i, k) * B(k, j), one row of C at a time: first
// the nonzero A(i, k) of the row are gathered (their values and where B's row k starts),
// then eight columns of C at a time sum over that list with eight accumulators in locals.
// Per multiply-add this loads more than the register block of matmul.ts (an offset and a
// value per eight multiply-adds besides B), so it pays only where at least half of A is
// zero, which the kernels check at run time (dense.ts). Skipping zeros changes nothing in the
// result but the order of the sums.

import { plus, times, type Dim, type Operand } from "./matmul.js";

export interface SparseMatmulSpec {
  /** Rows of C (and of A). */
  M: Dim;
  /** Columns of C (and of B): a compile-time constant. */
  N: number;
  /** The summed dimension: columns of A, rows of B. */
  K: Dim;
  /** A(i, k), mostly zeros. */
  a: Operand;
  /** B(k, j). */
  b: Operand;
  /** The statement that consumes one finished sum, as in MatmulSpec. */
  store(i: Dim, j: Dim, acc: string): string;
  /** Scratch of at least K elements: an Int32Array for offsets into B, a float array for values. */
  offsets: string;
  values: string;
}

/** Columns of C summed together over one pass of the gathered list. */
const BLOCK_COLS = 8;

function column(j: string, c: number): string {
  return c === 0 ? j : `(${j} + ${c})`;
}

/** The product as a block statement; it declares nothing outside its braces. */
export function sparseMatmul(spec: SparseMatmulSpec): string {
  const { M, N, K, a, b, offsets, values } = spec;
  const blocked = N - (N % BLOCK_COLS);
  const cols = Array.from({ length: BLOCK_COLS }, (_, c) => c);
  const at = (c: number): string => {
    const offset = times(c, b.colStride);
    return offset === 0 ? `${b.buf}[q]` : `${b.buf}[q + ${offset}]`;
  };
  const lines = [
    "{",
    `for (let i = 0; i < ${M}; i++) {`,
    "// The nonzero A(i, k) of this row, and where their rows of B start.",
    "let nz = 0;",
    `for (let k = 0, pa = ${plus(a.offset, times("i", a.rowStride))}; k < ${K}; k++, ${a.colStride === 1 ? "pa++" : `pa += ${a.colStride}`}) {`,
    `const v = ${a.buf}[pa];`,
    `if (v !== 0) { ${offsets}[nz] = ${plus(b.offset, times("k", b.rowStride))}; ${values}[nz] = v; nz++; }`,
    "}",
  ];
  if (blocked > 0) {
    lines.push(
      `for (let j = 0; j < ${blocked}; j += ${BLOCK_COLS}) {`,
      `const pj = ${times("j", b.colStride)};`,
      `let ${cols.map((c) => `c${c} = 0`).join(", ")};`,
      "for (let e = 0; e < nz; e++) {",
      `const q = ${offsets}[e] + pj, v = ${values}[e];`,
      cols.map((c) => `c${c} += v * ${at(c)};`).join(" "),
      "}",
      ...cols.map((c) => spec.store("i", column("j", c), `c${c}`)),
      "}",
    );
  }
  if (blocked < N) {
    lines.push(
      `for (let j = ${blocked}; j < ${N}; j++) {`,
      `const pj = ${times("j", b.colStride)};`,
      "let c = 0;",
      `for (let e = 0; e < nz; e++) c += ${values}[e] * ${b.buf}[${offsets}[e] + pj];`,
      spec.store("i", "j", "c"),
      "}",
    );
  }
  lines.push("}", "}");
  return lines.join("\n");
}
