// The register-blocked f32x4 matrix products the dense-like kernels are built from, in the
// two forms WebAssembly SIMD allows without transposing an operand:
//
// - broadcast: C[i, j..j+3] += A(i, t) * B[t, j..j+3], B's rows contiguous along j. One
//   float of A is splat to four lanes and multiplies a vector of B: a block of rows x
//   vectors of C stays in registers over the whole summed dimension (dx = gy W, dW = gy^T x).
// - dot: C[i, j] = sum_t A[i, t] B[j, t], both rows contiguous along t (the forward product,
//   with W in PyTorch's [out, in] layout). Each accumulator holds four partial sums of one
//   output, added together once at the end; the summed length's remainder (t mod 4) is
//   finished in scalar code.
//
// Addresses are byte addresses into the one memory; strides are compile-time constants, and
// the offsets of the rows and columns inside a block are folded into the load's constant
// offset, so the inner loop advances two pointers only. The number of rows may be a run-time
// value (it grows with the batch): rows left over after the full blocks get one-row blocks
// (wider, see widthFor), columns left over get a narrower block (whole vectors, then
// scalars), so any shape works.

import type { FunctionBuilder, Local } from "./function.js";

const F32 = 4;
const LANES = 4;

/** A count known when the kernel is generated, or held in a local at run time. */
export type Count = number | Local;

function pushCount(f: FunctionBuilder, c: Count): void {
  if (typeof c === "number") f.i32Const(c);
  else f.get(c);
}

/** C is written (`=`), or added to (`+=`, a gradient with another writer before it). */
export type Store = "assign" | "accumulate";

export interface BroadcastProduct {
  /** Rows of C and of A. */
  rows: Count;
  /** Columns of C and of B (a compile-time constant). */
  cols: number;
  /** The summed dimension. */
  depth: Count;
  /** A(i, t) is the float at a + i * rowStride + t * depthStride (bytes). */
  a: { base: Local; rowStride: number; depthStride: number };
  /** B[t, j] is the float at b + t * depthStride + 4 j. */
  b: { base: Local; depthStride: number };
  /** C[i, j] is the float at c + i * rowStride + 4 j. */
  c: { base: Local; rowStride: number };
  store: Store;
  /** Register block: rows of C and f32x4 vectors per row (4 x 2 holds 8 accumulators). */
  blockRows: number;
  blockVectors: number;
}

/** A column piece of a block: four columns in a vector, or one in a scalar. */
interface Piece {
  col: number;
  vector: boolean;
}

function pieces(from: number, vectors: number, scalars: number): Piece[] {
  return [
    ...Array.from({ length: vectors }, (_, v) => ({ col: from + v * LANES, vector: true })),
    ...Array.from({ length: scalars }, (_, s) => ({ col: from + vectors * LANES + s, vector: false })),
  ];
}

/**
 * Loops over row blocks then left-over rows; `body(blockRows)` emits one row block with the
 * row pointers at its first row, and the pointers step past it afterwards.
 */
function rowBlocks(
  f: FunctionBuilder,
  prefix: string,
  rows: Count,
  blockRows: number,
  pointers: readonly { local: Local; from: Local; rowStride: number }[],
  body: (blockRows: number) => void,
): void {
  const i = f.reuse(`${prefix}_i`, "i32");
  const blocked = f.reuse(`${prefix}_rows_blocked`, "i32");
  pushCount(f, rows);
  pushCount(f, rows);
  f.i32Const(blockRows).op("i32.rem_u").op("i32.sub").set(blocked);
  for (const p of pointers) f.get(p.from).set(p.local);
  const step = (n: number) => {
    for (const p of pointers) f.get(p.local).i32Const(n * p.rowStride).op("i32.add").set(p.local);
  };
  f.forLoop(i, () => f.i32Const(0), () => f.get(blocked), blockRows, `${prefix}_row_blocks`, () => {
    body(blockRows);
    step(blockRows);
  });
  if (blockRows > 1) {
    f.forLoop(i, () => f.get(blocked), () => pushCount(f, rows), 1, `${prefix}_rows_left`, () => {
      body(1);
      step(1);
    });
  }
}

/**
 * Columns (or vectors) per block: one-row blocks (batch 1, left-over rows) take as many as
 * the full block has accumulators, up to 8, since one row alone reloads B for every few
 * multiply-adds; wider blocks share each load of A across more of them.
 */
function widthFor(rowsHere: number, blockRows: number, width: number): number {
  return rowsHere === 1 ? Math.max(width, Math.min(8, blockRows * width)) : width;
}

export function broadcastProduct(f: FunctionBuilder, prefix: string, spec: BroadcastProduct): void {
  const { a, b, c, blockRows, blockVectors } = spec;
  const pa = f.reuse(`${prefix}_pa`, "i32");
  const pc = f.reuse(`${prefix}_pc`, "i32");
  const pb = f.reuse(`${prefix}_pb`, "i32");
  const pcj = f.reuse(`${prefix}_pcj`, "i32");
  const j = f.reuse(`${prefix}_j`, "i32");

  const block = (rowsHere: number, ps: readonly Piece[]): void => {
    const acc = (r: number, p: number): Local =>
      ps[p]!.vector ? f.reuse(`${prefix}_acc${r}_${p}`, "v128") : f.reuse(`${prefix}_sum${r}_${p}`, "f32");
    ps.forEach((piece, p) => {
      for (let r = 0; r < rowsHere; r++) {
        if (piece.vector) f.i32x4Const([0, 0, 0, 0]);
        else f.f32Const(0);
        f.set(acc(r, p));
      }
    });
    const pat = f.reuse(`${prefix}_pat`, "i32");
    const pbt = f.reuse(`${prefix}_pbt`, "i32");
    const end = f.reuse(`${prefix}_end`, "i32");
    const av = f.reuse(`${prefix}_av`, "v128");
    f.get(pa);
    pushCount(f, spec.depth);
    f.i32Const(a.depthStride).op("i32.mul").op("i32.add").set(end);
    f.get(pb).set(pbt);
    // A's pointer is the loop counter: one increment and one compare per step.
    f.forLoop(pat, () => f.get(pa), () => f.get(end), a.depthStride, `${prefix}_depth`, () => {
      // With several rows each load of B is kept in a register for all of them; a single row
      // uses it at once, which leaves room for the wider block of widthFor.
      const loadB = (piece: Piece) => f.get(pbt).load(piece.vector ? "v128" : "f32", piece.col * F32);
      const bv = rowsHere === 1
        ? null
        : ps.map((piece, p) => {
            const local = piece.vector ? f.reuse(`${prefix}_bv${p}`, "v128") : f.reuse(`${prefix}_bs${p}`, "f32");
            loadB(piece).set(local);
            return local;
          });
      for (let r = 0; r < rowsHere; r++) {
        f.get(pat).loadSplat32(r * a.rowStride).set(av);
        ps.forEach((piece, p) => {
          f.get(acc(r, p)).get(av);
          if (!piece.vector) f.f32x4ExtractLane(0);
          if (bv) f.get(bv[p]!);
          else loadB(piece);
          f.op(piece.vector ? "f32x4.mul" : "f32.mul").op(piece.vector ? "f32x4.add" : "f32.add").set(acc(r, p));
        });
      }
      f.get(pbt).i32Const(b.depthStride).op("i32.add").set(pbt);
    });
    for (let r = 0; r < rowsHere; r++) {
      ps.forEach((piece, p) => {
        const type = piece.vector ? "v128" : "f32";
        const offset = r * c.rowStride + piece.col * F32;
        f.get(pcj);
        if (spec.store === "accumulate") {
          f.get(pcj).load(type, offset).get(acc(r, p)).op(piece.vector ? "f32x4.add" : "f32.add");
        } else {
          f.get(acc(r, p));
        }
        f.store(type, offset);
      });
    }
  };

  rowBlocks(f, prefix, spec.rows, blockRows, [
    { local: pa, from: a.base, rowStride: a.rowStride },
    { local: pc, from: c.base, rowStride: c.rowStride },
  ], (rowsHere) => {
    f.get(b.base).set(pb);
    f.get(pc).set(pcj);
    const vectors = widthFor(rowsHere, blockRows, blockVectors);
    const blockCols = vectors * LANES;
    const fullBlocks = Math.floor(spec.cols / blockCols);
    const left = spec.cols - fullBlocks * blockCols;
    if (fullBlocks > 0) {
      f.forLoop(j, () => f.i32Const(0), () => f.i32Const(fullBlocks), 1, `${prefix}_col_blocks${rowsHere}`, () => {
        block(rowsHere, pieces(0, vectors, 0));
        f.get(pb).i32Const(blockCols * F32).op("i32.add").set(pb);
        f.get(pcj).i32Const(blockCols * F32).op("i32.add").set(pcj);
      });
    }
    if (left > 0) block(rowsHere, pieces(0, Math.floor(left / LANES), left % LANES));
  });
}

export interface DotProduct {
  /** Rows of C and of A. */
  rows: Count;
  /** Rows of B, columns of C (a compile-time constant). */
  cols: number;
  /** The summed length: A and B rows are this many contiguous floats. */
  depth: number;
  a: Local;
  b: Local;
  /** C[i, j] is the float at c + i * cols * 4 + 4 j. */
  c: Local;
  /** Added to every row of C: bias[j] is the float at bias + 4 j. */
  bias: Local | null;
  /** Each finished value v stored as (v > 0 ? v : 0), as the JavaScript kernels' fused relu. */
  relu: boolean;
  blockRows: number;
  blockCols: number;
}

/** C = A B^T (+ bias, relu), each finished sum stored once. */
export function dotProduct(f: FunctionBuilder, prefix: string, spec: DotProduct): void {
  const bias = spec.bias;
  const { depth, blockRows, blockCols } = spec;
  const rowBytes = depth * F32;
  const outRowBytes = spec.cols * F32;
  const vectorDepth = depth - (depth % LANES);
  const pa = f.reuse(`${prefix}_pa`, "i32");
  const pc = f.reuse(`${prefix}_pc`, "i32");
  const pb = f.reuse(`${prefix}_pb`, "i32");
  const pcj = f.reuse(`${prefix}_pcj`, "i32");
  const pbias = f.reuse(`${prefix}_pbias`, "i32");
  const j = f.reuse(`${prefix}_j`, "i32");
  const block = (rowsHere: number, colsHere: number): void => {
    const acc = (r: number, cIndex: number): Local => f.reuse(`${prefix}_acc${r}_${cIndex}`, "v128");
    for (let r = 0; r < rowsHere; r++) for (let k = 0; k < colsHere; k++) f.i32x4Const([0, 0, 0, 0]).set(acc(r, k));
    if (vectorDepth > 0) {
      const pat = f.reuse(`${prefix}_pat`, "i32");
      const pbt = f.reuse(`${prefix}_pbt`, "i32");
      const end = f.reuse(`${prefix}_end`, "i32");
      const wv = f.reuse(`${prefix}_wv`, "v128");
      const xv = Array.from({ length: rowsHere }, (_, r) => f.reuse(`${prefix}_xv${r}`, "v128"));
      f.get(pa).i32Const(vectorDepth * F32).op("i32.add").set(end);
      f.get(pb).set(pbt);
      f.forLoop(pat, () => f.get(pa), () => f.get(end), LANES * F32, `${prefix}_depth`, () => {
        xv.forEach((x, r) => f.get(pat).load("v128", r * rowBytes).set(x));
        for (let k = 0; k < colsHere; k++) {
          f.get(pbt).load("v128", k * rowBytes).set(wv);
          xv.forEach((x, r) => f.get(acc(r, k)).get(x).get(wv).op("f32x4.mul").op("f32x4.add").set(acc(r, k)));
        }
        f.get(pbt).i32Const(LANES * F32).op("i32.add").set(pbt);
      });
    }
    for (let r = 0; r < rowsHere; r++) {
      for (let k = 0; k < colsHere; k++) {
        f.get(pcj);
        const sum = acc(r, k);
        f.get(sum).f32x4ExtractLane(0).get(sum).f32x4ExtractLane(1).op("f32.add");
        f.get(sum).f32x4ExtractLane(2).get(sum).f32x4ExtractLane(3).op("f32.add");
        f.op("f32.add");
        for (let t = vectorDepth; t < depth; t++) {
          f.get(pa).load("f32", r * rowBytes + t * F32);
          f.get(pb).load("f32", k * rowBytes + t * F32);
          f.op("f32.mul").op("f32.add");
        }
        if (bias) f.get(pbias).load("f32", k * F32).op("f32.add");
        if (spec.relu) {
          const v = f.reuse(`${prefix}_v`, "f32");
          // select(v, 0, v > 0): NaN becomes 0 as in the JavaScript kernels, where f32.max would keep it.
          f.tee(v).f32Const(0).get(v).f32Const(0).op("f32.gt").select();
        }
        f.store("f32", r * outRowBytes + k * F32);
      }
    }
  };

  rowBlocks(f, prefix, spec.rows, blockRows, [
    { local: pa, from: spec.a, rowStride: rowBytes },
    { local: pc, from: spec.c, rowStride: outRowBytes },
  ], (rowsHere) => {
    f.get(spec.b).set(pb);
    f.get(pc).set(pcj);
    if (bias) f.get(bias).set(pbias);
    const step = (cols: number) => {
      f.get(pb).i32Const(cols * rowBytes).op("i32.add").set(pb);
      f.get(pcj).i32Const(cols * F32).op("i32.add").set(pcj);
      if (bias) f.get(pbias).i32Const(cols * F32).op("i32.add").set(pbias);
    };
    const cols = widthFor(rowsHere, blockRows, blockCols);
    const fullBlocks = Math.floor(spec.cols / cols);
    const left = spec.cols - fullBlocks * cols;
    if (fullBlocks > 0) {
      f.forLoop(j, () => f.i32Const(0), () => f.i32Const(fullBlocks), 1, `${prefix}_col_blocks${rowsHere}`, () => {
        block(rowsHere, cols);
        step(cols);
      });
    }
    if (left > 0) block(rowsHere, left);
  });
}
