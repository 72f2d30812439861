// Zero-skipping dense products in WebAssembly, for the layers ../ir/sparsity.ts marks
// `sparseInput` (model inputs such as MNIST's pixels, four-fifths zeros; relu outputs):
// y = x W^T + b and dW = gy^T x skip the exact zeros of x when a count over the whole batch
// finds at least half of x zeros (the JavaScript kernels' rule, ../ir/ops/dense.ts) and the
// batch has at least SPARSE_MIN_ROWS rows (below that, transposing W costs more than the
// zeros save: a single sample's prediction keeps the dense product).
//
// Both products go four output units a lane, which needs the units contiguous: W^T, [in, out],
// for the forward and dW^T for the weight gradient. The op's scratch `transposed` holds either
// (the layout every other kernel, the optimizer and checkpoints see stays W's [out, in]):
// - forward: a first kernel, on the calling thread, counts x's zeros once for the call,
//   writes the decision after the matrix, and transposes W when it is sparse; the product then
//   splits by samples, each row gathering its nonzero x (offset of the row of W^T, value) into
//   the chunk's slot of `gathered` and adding value x W^T row over eight f32x4 accumulators;
// - weight gradient (the backward's units part, split by output units): every call counts x's
//   zeros over the whole batch itself (the same count on every thread), zeroes its columns of
//   dW^T, adds x[r, t] gy[r, units] into dW^T's row t for every nonzero x[r, t], rows in
//   batch order, and transposes its columns into dW's rows with the gradient's store. Each
//   element of dW sums its nonzero terms in row order whatever the thread count or the block
//   its unit falls in, so the results are the same bytes on any number of threads.
// Skipping a zero term changes nothing but the order of the sums (and the sign of an exact
// zero result).

import type { FunctionBuilder, Local } from "./function.js";
import { f32x4Relu } from "./elementwise.js";
import type { Count, Store } from "./products.js";

const F32 = 4;
const LANES = 4;
/** Bytes of one gathered term: the byte offset of its row of W^T (or dW^T), then its value. */
const TERM = 8;
/** f32x4 accumulators of one block of output units (32 units: half the 16 vector registers). */
const BLOCK_VECTORS = 8;

/** Below this many rows in a call the products stay dense (transposing W would cost more). */
export const SPARSE_MIN_ROWS = 16;

/**
 * Above this many weights a layer keeps the dense products on the wasm back end: the
 * zero-skipping ones need W^T and the gathered terms besides W, one and a half times its
 * memory again (a 46000 x 23000 layer would need 6 GiB more), where the JavaScript kernels
 * need none. 2^22 weights is 16 MiB of W^T; mnist_mlp's and mnist_cnn's layers have 100,352.
 */
export const SPARSE_MAX_WEIGHTS = 1 << 22;

/** Whether the wasm back end skips zeros in a dense layer that sparsity.ts marks `sparseInput`. */
export function wasmSkipsZeros(inWidth: number, out: number): boolean {
  return inWidth * out <= SPARSE_MAX_WEIGHTS;
}

/** The `transposed` scratch: W^T or dW^T ([in, out] floats), then the forward's decision (an i32). */
export function transposedFloats(inWidth: number, out: number): number {
  return inWidth * out + LANES;
}

/** Per sample and fixed floats of the `gathered` scratch: a slot of inWidth terms per sample (forward chunks) and per four units (weight-gradient chunks). */
export function gatheredFloats(inWidth: number, out: number): { perSample: number; fixed: number } {
  return { perSample: (TERM / F32) * inWidth, fixed: Math.ceil(out / LANES) * (TERM / F32) * inWidth };
}

/** Byte offset of the forward's decision in the `transposed` scratch. */
export function decisionOffset(inWidth: number, out: number): number {
  return inWidth * out * F32;
}

function pushCount(f: FunctionBuilder, c: Count): void {
  if (typeof c === "number") f.i32Const(c);
  else f.get(c);
}

/**
 * `flag` = 1 where the rows x rows of x, inWidth floats each, are at least half exact zeros
 * and there are at least SPARSE_MIN_ROWS rows, else 0.
 */
export function halfZeros(f: FunctionBuilder, x: Local, rows: Local, inWidth: number, flag: Local): void {
  const count = f.reuse("hz_count", "i32");
  const p = f.reuse("hz_p", "i32");
  const end = f.reuse("hz_end", "i32");
  const vectorEnd = f.reuse("hz_vector_end", "i32");
  const zeros = f.reuse("hz_zeros", "v128");
  const total = f.reuse("hz_total", "i32");
  f.get(rows).i32Const(inWidth).op("i32.mul").set(count);
  f.get(count).i32Const(F32).op("i32.mul").get(x).op("i32.add").set(end);
  f.get(count).i32Const(-LANES).op("i32.and").i32Const(F32).op("i32.mul").get(x).op("i32.add").set(vectorEnd);
  f.i32x4Const([0, 0, 0, 0]).set(zeros);
  // f32x4.eq gives -1 in each lane that is zero: subtracting it counts them.
  f.forLoop(p, () => f.get(x), () => f.get(vectorEnd), LANES * F32, "hz_vectors", () => {
    f.get(zeros).get(p).load("v128").f32x4Const([0, 0, 0, 0]).op("f32x4.eq").op("i32x4.sub").set(zeros);
  });
  f.get(zeros).i32x4ExtractLane(0).get(zeros).i32x4ExtractLane(1).op("i32.add");
  f.get(zeros).i32x4ExtractLane(2).get(zeros).i32x4ExtractLane(3).op("i32.add").op("i32.add").set(total);
  f.forLoop(p, () => f.get(vectorEnd), () => f.get(end), F32, "hz_scalars", () => {
    f.get(total).get(p).load("f32").f32Const(0).op("f32.eq").op("i32.add").set(total);
  });
  // 2 zeros >= count, and enough rows.
  f.get(total).i32Const(1).op("i32.shl").get(count).op("i32.ge_u");
  f.get(rows).i32Const(SPARSE_MIN_ROWS).op("i32.ge_u").op("i32.and").set(flag);
}

/**
 * dst[j, i] (=, +=) src[i, j] for i < rows, j < cols (strides in bytes): 4 x 4 blocks through
 * shuffles, the edges in scalar code.
 */
export function transpose(
  f: FunctionBuilder,
  prefix: string,
  spec: { src: Local; dst: Local; rows: Count; cols: Count; srcStride: number; dstStride: number; store: Store },
): void {
  const { src, dst, srcStride, dstStride, store } = spec;
  const i = f.reuse(`${prefix}_i`, "i32");
  const j = f.reuse(`${prefix}_j`, "i32");
  const rows4 = f.reuse(`${prefix}_rows4`, "i32");
  const cols4 = f.reuse(`${prefix}_cols4`, "i32");
  const ps = f.reuse(`${prefix}_ps`, "i32");
  const pd = f.reuse(`${prefix}_pd`, "i32");
  const v = [0, 1, 2, 3].map((k) => f.reuse(`${prefix}_v${k}`, "v128"));
  const t = [0, 1, 2, 3].map((k) => f.reuse(`${prefix}_t${k}`, "v128"));
  pushCount(f, spec.rows);
  f.i32Const(-LANES).op("i32.and").set(rows4);
  pushCount(f, spec.cols);
  f.i32Const(-LANES).op("i32.and").set(cols4);
  // Bytes of lane k of the first (k < 4) or second (k >= 4) operand.
  const lanes = (ks: readonly number[]): number[] => ks.flatMap((k) => [0, 1, 2, 3].map((b) => 4 * k + b));
  const at = (base: Local, row: Local, rowStride: number, col: Local) =>
    f.get(row).i32Const(rowStride).op("i32.mul").get(base).op("i32.add").get(col).i32Const(F32).op("i32.mul").op("i32.add");
  const put = (address: () => void, type: "f32" | "v128", value: () => void) => {
    address();
    if (store === "accumulate") {
      address();
      f.load(type);
      value();
      f.op(type === "v128" ? "f32x4.add" : "f32.add");
    } else {
      value();
    }
    f.store(type);
  };
  const scalar = (iFrom: () => void, iTo: () => void, jFrom: () => void, jTo: () => void, label: string) => {
    f.forLoop(i, iFrom, iTo, 1, `${label}_i`, () => {
      f.forLoop(j, jFrom, jTo, 1, `${label}_j`, () => {
        put(() => at(dst, j, dstStride, i), "f32", () => at(src, i, srcStride, j).load("f32"));
      });
    });
  };
  // Down the source's columns four at a time: the four rows of dst being written stay in cache
  // and are written whole, where row by row each of their lines would be written in pieces.
  f.forLoop(j, () => f.i32Const(0), () => f.get(cols4), LANES, `${prefix}_col_blocks`, () => {
    f.forLoop(i, () => f.i32Const(0), () => f.get(rows4), LANES, `${prefix}_row_blocks`, () => {
      at(src, i, srcStride, j).set(ps);
      at(dst, j, dstStride, i).set(pd);
      v.forEach((vk, k) => f.get(ps).load("v128", k * srcStride).set(vk));
      // Rows a, b, c, d: t0 = a0 b0 a1 b1, t1 = a2 b2 a3 b3, t2 = c0 d0 c1 d1, t3 = c2 d2 c3 d3.
      f.get(v[0]!).get(v[1]!).i8x16Shuffle(lanes([0, 4, 1, 5])).set(t[0]!);
      f.get(v[0]!).get(v[1]!).i8x16Shuffle(lanes([2, 6, 3, 7])).set(t[1]!);
      f.get(v[2]!).get(v[3]!).i8x16Shuffle(lanes([0, 4, 1, 5])).set(t[2]!);
      f.get(v[2]!).get(v[3]!).i8x16Shuffle(lanes([2, 6, 3, 7])).set(t[3]!);
      // Column k of the block: a_k b_k c_k d_k.
      const columns: [Local, Local, number[]][] = [
        [t[0]!, t[2]!, [0, 1, 4, 5]],
        [t[0]!, t[2]!, [2, 3, 6, 7]],
        [t[1]!, t[3]!, [0, 1, 4, 5]],
        [t[1]!, t[3]!, [2, 3, 6, 7]],
      ];
      columns.forEach(([lo, hi, ks], k) => {
        put(
          () => f.get(pd).i32Const(k * dstStride).op("i32.add"),
          "v128",
          () => f.get(lo).get(hi).i8x16Shuffle(lanes(ks)),
        );
      });
    });
  });
  // The columns past the last block of the blocked rows, then every column of the rows left.
  scalar(() => f.i32Const(0), () => f.get(rows4), () => f.get(cols4), () => pushCount(f, spec.cols), `${prefix}_right`);
  scalar(() => f.get(rows4), () => pushCount(f, spec.rows), () => f.i32Const(0), () => pushCount(f, spec.cols), `${prefix}_bottom`);
}

/**
 * Gathers the nonzero floats of one row of x (inWidth floats at px) into the list at `list`:
 * per term the byte offset t * rowBytes of its row of the transposed matrix, then its value.
 * Four floats at a time, skipping a vector with no nonzero lane; the stores are branchless
 * (written always, kept by advancing the end). Leaves the list's end address in `end`.
 */
function gatherRow(f: FunctionBuilder, prefix: string, px: Local, inWidth: number, rowBytes: number, list: Local, end: Local): void {
  const p = f.reuse(`${prefix}_gp`, "i32");
  const offset = f.reuse(`${prefix}_goffset`, "i32");
  const vectorEnd = f.reuse(`${prefix}_gvector_end`, "i32");
  const vectors = inWidth - (inWidth % LANES);
  f.get(list).set(end);
  f.i32Const(0).set(offset);
  const term = (lane: number) => {
    f.get(end).get(offset);
    if (lane > 0) f.i32Const(lane * rowBytes).op("i32.add");
    f.store("i32");
    f.get(end).get(p).load("f32", lane * F32).store("f32", F32);
    f.get(end).get(p).load("f32", lane * F32).f32Const(0).op("f32.ne").i32Const(3).op("i32.shl").op("i32.add").set(end);
  };
  f.get(px).i32Const(vectors * F32).op("i32.add").set(vectorEnd);
  f.forLoop(p, () => f.get(px), () => f.get(vectorEnd), LANES * F32, `${prefix}_gather`, () => {
    f.get(p).load("v128").f32x4Const([0, 0, 0, 0]).op("f32x4.ne").op("v128.any_true");
    f.if(() => {
      for (let lane = 0; lane < LANES; lane++) term(lane);
    });
    f.get(offset).i32Const(LANES * rowBytes).op("i32.add").set(offset);
  });
  f.forLoop(p, () => f.get(vectorEnd), () => f.get(px).i32Const(inWidth * F32).op("i32.add"), F32, `${prefix}_gather_left`, () => {
    term(0);
    f.get(offset).i32Const(rowBytes).op("i32.add").set(offset);
  });
}

/** The sizes and addresses of the zero-skipping forward product. */
export interface SparseForward {
  rows: Local;
  inWidth: number;
  out: number;
  x: Local;
  /** W^T, [in, out]. */
  wt: Local;
  bias: Local | null;
  relu: boolean;
  y: Local;
  /** This call's slot of the `gathered` scratch (inWidth terms). */
  list: Local;
}

/** y = x W^T + b (relu), each row over its nonzero x only. */
export function sparseForwardProduct(f: FunctionBuilder, spec: SparseForward): void {
  const { rows, inWidth, out, bias } = spec;
  const rowBytes = out * F32;
  const r = f.reuse("sf_r", "i32");
  const px = f.reuse("sf_px", "i32");
  const py = f.reuse("sf_py", "i32");
  const end = f.reuse("sf_end", "i32");
  const q = f.reuse("sf_q", "i32");
  const pw = f.reuse("sf_pw", "i32");
  const col = f.reuse("sf_col", "i32");
  const wtCol = f.reuse("sf_wt_col", "i32");
  const value = f.reuse("sf_value", "v128");
  const relu = f.reuse("sf_relu", "v128");
  // Units [col, col + 4 vectors + scalars), col a byte offset into a row of y (and of W^T).
  const block = (vectors: number, scalars: number, label: string) => {
    const acc = Array.from({ length: vectors }, (_, k) => f.reuse(`sf_acc${k}`, "v128"));
    const sums = Array.from({ length: scalars }, (_, s) => f.reuse(`sf_sum${s}`, "f32"));
    for (const a of acc) f.i32x4Const([0, 0, 0, 0]).set(a);
    for (const s of sums) f.f32Const(0).set(s);
    f.get(spec.wt).get(col).op("i32.add").set(wtCol);
    f.forLoop(q, () => f.get(spec.list), () => f.get(end), TERM, label, () => {
      f.get(q).load("i32").get(wtCol).op("i32.add").set(pw);
      f.get(q).loadSplat32(F32).set(value);
      acc.forEach((a, k) => f.get(a).get(value).get(pw).load("v128", k * LANES * F32).op("f32x4.mul").op("f32x4.add").set(a));
      sums.forEach((s, k) => {
        f.get(s).get(value).f32x4ExtractLane(0).get(pw).load("f32", (vectors * LANES + k) * F32).op("f32.mul").op("f32.add").set(s);
      });
    });
    const address = () => f.get(py).get(col).op("i32.add");
    acc.forEach((a, k) => {
      address();
      f.get(a);
      if (bias) f.get(bias).get(col).op("i32.add").load("v128", k * LANES * F32).op("f32x4.add");
      if (spec.relu) f32x4Relu(f, relu);
      f.store("v128", k * LANES * F32);
    });
    sums.forEach((s, k) => {
      const at = (vectors * LANES + k) * F32;
      address();
      f.get(s);
      if (bias) f.get(bias).get(col).op("i32.add").load("f32", at).op("f32.add");
      if (spec.relu) {
        // select(v, 0, v > 0): NaN becomes 0, as the dense product's store.
        const v = f.reuse("sf_v", "f32");
        f.tee(v).f32Const(0).get(v).f32Const(0).op("f32.gt").select();
      }
      f.store("f32", at);
    });
  };
  const blockBytes = BLOCK_VECTORS * LANES * F32;
  const fullBlocks = Math.floor(out / (BLOCK_VECTORS * LANES));
  const leftVectors = Math.floor((out % (BLOCK_VECTORS * LANES)) / LANES);
  const leftScalars = out % LANES;
  f.get(spec.x).set(px);
  f.get(spec.y).set(py);
  f.forLoop(r, () => f.i32Const(0), () => f.get(rows), 1, "sf_rows", () => {
    gatherRow(f, "sf", px, inWidth, rowBytes, spec.list, end);
    if (fullBlocks > 0) {
      f.forLoop(col, () => f.i32Const(0), () => f.i32Const(fullBlocks * blockBytes), blockBytes, "sf_blocks", () => {
        block(BLOCK_VECTORS, 0, "sf_terms");
      });
    }
    if (leftVectors + leftScalars > 0) {
      f.i32Const(fullBlocks * blockBytes).set(col);
      block(leftVectors, leftScalars, "sf_terms_left");
    }
    f.get(px).i32Const(inWidth * F32).op("i32.add").set(px);
    f.get(py).i32Const(rowBytes).op("i32.add").set(py);
  });
}

/** The sizes and addresses of the zero-skipping weight gradient over the units from..to. */
export interface SparseWeightGradient {
  rows: Local;
  inWidth: number;
  out: number;
  x: Local;
  /** gy's column `from`: gy + 4 from. */
  gy: Local;
  /** dW's row `from`: dW + 4 from inWidth. */
  gw: Local;
  from: Local | number;
  units: Local;
  /** The `transposed` scratch (dW^T, [in, out]). */
  scratch: Local;
  /** The `gathered` scratch (this call's slot is at its from / 4). */
  gathered: Local;
  store: Store;
}

/** dW[from..to, :] (=, +=) sum over rows of gy[r, u] x[r, :], over the nonzero x only. */
export function sparseWeightGradient(f: FunctionBuilder, spec: SparseWeightGradient): void {
  const { rows, inWidth, out, units } = spec;
  const rowBytes = out * F32;
  const dwt = f.reuse("sw_dwt", "i32");
  const list = f.reuse("sw_list", "i32");
  const end = f.reuse("sw_end", "i32");
  const unitBytes = f.reuse("sw_unit_bytes", "i32");
  const p = f.reuse("sw_p", "i32");
  const rowEnd = f.reuse("sw_row_end", "i32");
  const col = f.reuse("sw_col", "i32");
  const dwtCol = f.reuse("sw_dwt_col", "i32");
  const r = f.reuse("sw_r", "i32");
  const px = f.reuse("sw_px", "i32");
  const pg = f.reuse("sw_pg", "i32");
  const q = f.reuse("sw_q", "i32");
  const pw = f.reuse("sw_pw", "i32");
  const value = f.reuse("sw_value", "v128");
  pushCount(f, spec.from);
  f.i32Const(F32).op("i32.mul").get(spec.scratch).op("i32.add").set(dwt);
  pushCount(f, spec.from);
  f.i32Const(2).op("i32.shr_u").i32Const(TERM * inWidth).op("i32.mul").get(spec.gathered).op("i32.add").set(list);
  f.get(units).i32Const(F32).op("i32.mul").set(unitBytes);
  // dW^T[:, from..to) = 0, whole vectors then the last few floats of each row.
  f.forLoop(r, () => f.i32Const(0), () => f.i32Const(inWidth), 1, "sw_zero_rows", () => {
    f.get(r).i32Const(rowBytes).op("i32.mul").get(dwt).op("i32.add").set(p);
    f.get(p).get(unitBytes).i32Const(-LANES * F32).op("i32.and").op("i32.add").set(rowEnd);
    f.forLoop(q, () => f.get(p), () => f.get(rowEnd), LANES * F32, "sw_zero_vectors", () => {
      f.get(q).i32x4Const([0, 0, 0, 0]).store("v128");
    });
    f.forLoop(q, () => f.get(rowEnd), () => f.get(p).get(unitBytes).op("i32.add"), F32, "sw_zero_scalars", () => {
      f.get(q).f32Const(0).store("f32");
    });
  });
  // Units [col, col + 4 vectors + scalars) of dW^T's rows, one term of row r each.
  const block = (vectors: number, scalars: number, label: string) => {
    const g = Array.from({ length: vectors }, (_, k) => f.reuse(`sw_g${k}`, "v128"));
    const gs = Array.from({ length: scalars }, (_, k) => f.reuse(`sw_gs${k}`, "f32"));
    g.forEach((gk, k) => f.get(pg).get(col).op("i32.add").load("v128", k * LANES * F32).set(gk));
    gs.forEach((gk, k) => f.get(pg).get(col).op("i32.add").load("f32", (vectors * LANES + k) * F32).set(gk));
    f.get(dwt).get(col).op("i32.add").set(dwtCol);
    f.forLoop(q, () => f.get(list), () => f.get(end), TERM, label, () => {
      f.get(q).load("i32").get(dwtCol).op("i32.add").set(pw);
      f.get(q).loadSplat32(F32).set(value);
      g.forEach((gk, k) => {
        const at = k * LANES * F32;
        f.get(pw).get(pw).load("v128", at).get(value).get(gk).op("f32x4.mul").op("f32x4.add").store("v128", at);
      });
      gs.forEach((gk, k) => {
        const at = (vectors * LANES + k) * F32;
        f.get(pw).get(pw).load("f32", at).get(value).f32x4ExtractLane(0).get(gk).op("f32.mul").op("f32.add").store("f32", at);
      });
    });
  };
  f.get(spec.x).set(px);
  f.get(spec.gy).set(pg);
  f.forLoop(r, () => f.i32Const(0), () => f.get(rows), 1, "sw_rows", () => {
    gatherRow(f, "sw", px, inWidth, rowBytes, list, end);
    // Blocks of eight vectors, then one of four, then single vectors, then single floats.
    f.i32Const(0).set(col);
    const run = (vectors: number, scalars: number, label: string) => {
      const bytes = (vectors * LANES + scalars) * F32;
      f.block(`${label}_exit`, () => {
        f.loop(label, () => {
          f.get(col).i32Const(bytes).op("i32.add").get(unitBytes).op("i32.gt_u").brIf(`${label}_exit`);
          block(vectors, scalars, `${label}_terms`);
          f.get(col).i32Const(bytes).op("i32.add").set(col);
          f.br(label);
        });
      });
    };
    run(BLOCK_VECTORS, 0, "sw_blocks8");
    run(4, 0, "sw_blocks4");
    run(1, 0, "sw_blocks1");
    run(0, 1, "sw_scalars");
    f.get(px).i32Const(inWidth * F32).op("i32.add").set(px);
    f.get(pg).i32Const(rowBytes).op("i32.add").set(pg);
  });
  transpose(f, "sw_tr", { src: dwt, dst: spec.gw, rows: inWidth, cols: units, srcStride: rowBytes, dstStride: inWidth * F32, store: spec.store });
}
