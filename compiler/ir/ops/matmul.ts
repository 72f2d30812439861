// The register-blocked matrix product every dense-like kernel is built from (dense, conv2d
// through im2col, their backward products).
//
// C[i, j] = sum_k A(i, k) * B(k, j), computed a 4x3 block of the output at a time with twelve
// accumulators held in locals: each step of the k loop loads four values of A and three of B
// and does twelve multiply-adds. Measured on this project's machine this is the fastest
// plain-JavaScript form, about 3x a naive triple loop and 8-15% ahead of a 4x4 block (19 live
// values instead of 24 for V8's sixteen floating-point registers; 3x4 is about equal, other
// shapes slower). Rows and columns left over when M is not a multiple of 4 or N of 3 get
// narrower loops. Strides are constants wherever the shape allows, so V8 sees plain
// `buf[p + 784]` accesses.
//
// A product with at most SMALL multiply-adds per step of its run-time dimension (xor's
// layers, a one-unit output) gets a plain loop per output element instead: blocking buys
// nothing there and would write four variants of the loop. Each sum still adds its terms in
// order from zero, as the blocked form does. Loops that would run once are not written.

/** Rows and columns of the block of C held in locals. */
const BLOCK_ROWS = 4;
const BLOCK_COLS = 3;

/** Summed dimensions up to this length are unrolled rather than looped over. */
const UNROLL_K = 4;

/** The most multiply-adds per run-time step for which a product is written as plain loops. */
const SMALL = 16;

/** A compile-time constant or a JavaScript expression evaluated at run time (`n * 8`). */
export type Dim = number | string;

/** element (r, c) of an operand is `buf[offset + r * rowStride + c * colStride]`. */
export interface Operand {
  buf: string;
  offset: Dim;
  rowStride: Dim;
  colStride: Dim;
}

export interface MatmulSpec {
  /** Rows of C (and of A). */
  M: Dim;
  /** Columns of C (and of B). */
  N: Dim;
  /** The summed dimension: columns of A, rows of B. */
  K: Dim;
  /** A(i, k). */
  a: Operand;
  /** B(k, j). */
  b: Operand;
  /**
   * The statement that consumes one finished sum: e.g. `y[i * 10 + j] = acc + b[j]`. `i` and
   * `j` are numbers where the loop over them is not written, else names or parenthesised
   * (`(i + 1)`), so text may put them anywhere; `acc` may be a sum of products,
   * so it may appear only where `+` binds as tightly as it needs (an assignment's right side,
   * the left of a `+`).
   */
  store(i: Dim, j: Dim, acc: string): string;
  /**
   * Split a long summed dimension into tiles of this many steps, so that the rows of A and B
   * a tile reads stay in cache while every output block is computed (weight gradients sum
   * over every row of the batch, far more than fits). Each tile's partial sums go through
   * `store`, which must then add (`+=`) into an output the caller has cleared.
   */
  kTile?: number;
}

/** A tile length whose rows of A and B (M + N elements each) fill about 128 KB of float32. */
export function cacheTile(m: number, n: number): number {
  return Math.max(16, Math.floor(32768 / (m + n)));
}

/** Parenthesised unless it is a number, a name or already in parentheses. */
function atom(d: Dim): string {
  return typeof d === "number" || /^[A-Za-z_$][\w$]*$/.test(d) || enclosed(d) ? String(d) : `(${d})`;
}

/** Whether the whole of `d` is one parenthesised expression, `(i + 1)` (not `(a) + (b)`). */
function enclosed(d: string): boolean {
  if (!d.startsWith("(")) return false;
  let depth = 0;
  for (let i = 0; i < d.length; i++) {
    if (d[i] === "(") depth++;
    else if (d[i] === ")" && --depth === 0) return i === d.length - 1;
  }
  return false;
}

/** `v + offset` as an index a caller may put anywhere: a number, a name, or in parentheses. */
function offsetBy(v: Dim, offset: number): Dim {
  const d = plus(v, offset);
  return typeof d === "number" ? d : atom(d);
}

export function times(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a * b;
  if (a === 0 || b === 0) return 0;
  if (a === 1) return b;
  if (b === 1) return a;
  return `${atom(a)} * ${atom(b)}`;
}

export function plus(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return `${a} + ${b}`;
}

/** The index of element (i, j) of a row-major matrix `width` wide, folded. */
export function rowMajor(i: Dim, width: Dim, j: Dim): Dim {
  return plus(times(i, width), j);
}

/** An element of `buf` at a folded index. */
export function element(buf: string, index: Dim): string {
  return `${buf}[${index}]`;
}

/**
 * `for (let v = from; v < to; v += step)` around the body, or the body alone, with v a number,
 * when the loop would run once: in braces if it declares locals (`declares`), which keeps
 * them its own.
 */
function loop(v: string, from: Dim, to: Dim, step: number, body: (v: Dim) => string[], declares = true): string[] {
  if (typeof from === "number" && typeof to === "number") {
    if (to <= from) return [];
    if (to - from <= step) return declares ? ["{", ...body(from), "}"] : body(from);
  }
  return [`for (let ${v} = ${from}; ${v} < ${to}; ${v}${step === 1 ? "++" : ` += ${step}`}) {`, ...body(v), "}"];
}

/** Whether a product has few multiply-adds per step of its run-time dimension (see the top). */
function isSmall({ M, N, K }: MatmulSpec): boolean {
  return [M, N, K].reduce<number>((work, d) => work * (typeof d === "number" ? d : 1), 1) <= SMALL;
}

/** C one element at a time: the sum of a short K written out, a longer one looped over. */
function smallMatmul(spec: MatmulSpec): string {
  const { M, N, K, a, b } = spec;
  const A = (i: Dim, k: Dim) => element(a.buf, plus(plus(a.offset, times(i, a.rowStride)), times(k, a.colStride)));
  const B = (k: Dim, j: Dim) => element(b.buf, plus(plus(b.offset, times(j, b.colStride)), times(k, b.rowStride)));
  const unrolled = typeof K === "number" && K <= UNROLL_K;
  const sum = (i: Dim, j: Dim): string[] =>
    unrolled
      ? [spec.store(i, j, Array.from({ length: K }, (_, k) => `${A(i, k)} * ${B(k, j)}`).join(" + ") || "0")]
      : ["let c = 0;", `for (let k = 0; k < ${K}; k++) c += ${A(i, "k")} * ${B("k", j)};`, spec.store(i, j, "c")];
  // Only a written-out sum leaves a local (`c`) at the top of a loop body that is not written.
  const jOnce = N === 1;
  return loop("i", 0, M, 1, (i) => loop("j", 0, N, 1, (j) => sum(i, j), !unrolled), !unrolled && jOnce).join("\n");
}

function at(buf: string, base: string, offset: Dim): string {
  return offset === 0 ? `${buf}[${base}]` : `${buf}[${base} + ${offset}]`;
}

function step(pointer: string, stride: Dim): string {
  return stride === 1 ? `${pointer}++` : `${pointer} += ${stride}`;
}

/** 0, 1, ..., count - 1. */
function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** The product as a block statement; it declares nothing outside its braces. */
export function matmul(spec: MatmulSpec): string {
  if (isSmall(spec)) return smallMatmul(spec);
  const { M, N, K, a, b } = spec;
  const lines: string[] = ["{"];
  // The last row and column where full blocks start; the rest is left over.
  const mBlocked: Dim = typeof M === "number" ? M - (M % BLOCK_ROWS) : "MB";
  const nBlocked: Dim = typeof N === "number" ? N - (N % BLOCK_COLS) : "NB";
  if (typeof M !== "number") lines.push(`const MB = ${M} - ${atom(M)} % ${BLOCK_ROWS};`);
  if (typeof N !== "number") lines.push(`const NB = ${N} - ${atom(N)} % ${BLOCK_COLS};`);
  const aRow = (r: number): Dim => times(r, a.rowStride);
  const bCol = (c: number): Dim => times(c, b.colStride);
  const rowsBlocked = mBlocked !== 0;
  const rowsLeft = typeof M !== "number" || M % BLOCK_ROWS !== 0;
  const colsBlocked = nBlocked !== 0;
  const colsLeft = typeof N !== "number" || N % BLOCK_COLS !== 0;
  const rows = range(BLOCK_ROWS);
  const cols = range(BLOCK_COLS);
  // A short summed dimension (xor's two inputs) is unrolled completely.
  const tiled = spec.kTile !== undefined && (typeof K !== "number" || K > spec.kTile);
  // Within a tile, k runs over `kn` steps from `k0`; pa and pb start k0 steps in.
  const kBound: Dim = tiled ? "kn" : K;
  const kLoop = (body: string[]): string[] =>
    typeof kBound === "number" && kBound <= UNROLL_K
      ? Array.from({ length: kBound }, (_, k) => [
          "{",
          ...body,
          "}",
          ...(k < kBound - 1 ? [`${step("pa", a.colStride)}; ${step("pb", b.rowStride)};`] : []),
        ]).flat()
      : [`for (let k = 0; k < ${kBound}; k++, ${step("pa", a.colStride)}, ${step("pb", b.rowStride)}) {`, ...body, "}"];
  const aStart = (i: Dim): string =>
    String(plus(plus(a.offset, times(i, a.rowStride)), tiled ? times("k0", a.colStride) : 0));
  const bStart = (j: Dim): string =>
    String(plus(plus(b.offset, times(j, b.colStride)), tiled ? times("k0", b.rowStride) : 0));
  if (tiled) {
    lines.push(`for (let k0 = 0; k0 < ${K}; k0 += ${spec.kTile}) {`);
    lines.push(`const kn = Math.min(${spec.kTile}, ${K} - k0);`);
  }

  if (rowsBlocked) {
    lines.push(
      ...loop("i", 0, mBlocked, BLOCK_ROWS, (i) => [
        ...(colsBlocked
          ? loop("j", 0, nBlocked, BLOCK_COLS, (j) => {
              const body: string[] = [];
              body.push(`const ${rows.map((r) => `a${r} = ${at(a.buf, "pa", aRow(r))}`).join(", ")};`);
              body.push(`const ${cols.map((c) => `b${c} = ${at(b.buf, "pb", bCol(c))}`).join(", ")};`);
              for (const r of rows) body.push(cols.map((c) => `c${r}${c} += a${r} * b${c};`).join(" "));
              return [
                ...rows.map((r) => `let ${cols.map((c) => `c${r}${c} = 0`).join(", ")};`),
                `let pa = ${aStart(i)}, pb = ${bStart(j)};`,
                ...kLoop(body),
                ...rows.flatMap((r) => cols.map((c) => spec.store(offsetBy(i, r), offsetBy(j, c), `c${r}${c}`))),
              ];
            })
          : []),
        ...(colsLeft
          ? loop("j", nBlocked, N, 1, (j) => [
              `let ${rows.map((r) => `c${r} = 0`).join(", ")};`,
              `let pa = ${aStart(i)}, pb = ${bStart(j)};`,
              ...kLoop([`const bk = ${b.buf}[pb];`, rows.map((r) => `c${r} += ${at(a.buf, "pa", aRow(r))} * bk;`).join(" ")]),
              ...rows.map((r) => spec.store(offsetBy(i, r), j, `c${r}`)),
            ])
          : []),
      ]),
    );
  }
  if (rowsLeft) {
    lines.push(
      ...loop("i", mBlocked, M, 1, (i) => [
        ...(colsBlocked
          ? loop("j", 0, nBlocked, BLOCK_COLS, (j) => [
              `let ${cols.map((c) => `c${c} = 0`).join(", ")};`,
              `let pa = ${aStart(i)}, pb = ${bStart(j)};`,
              ...kLoop([`const ak = ${a.buf}[pa];`, cols.map((c) => `c${c} += ak * ${at(b.buf, "pb", bCol(c))};`).join(" ")]),
              ...cols.map((c) => spec.store(i, offsetBy(j, c), `c${c}`)),
            ])
          : []),
        ...(colsLeft
          ? loop("j", nBlocked, N, 1, (j) => [
              "let c = 0;",
              `let pa = ${aStart(i)}, pb = ${bStart(j)};`,
              ...kLoop([`c += ${a.buf}[pa] * ${b.buf}[pb];`]),
              spec.store(i, j, "c"),
            ])
          : []),
      ]),
    );
  }
  if (tiled) lines.push("}");
  lines.push("}");
  return lines.join("\n");
}
