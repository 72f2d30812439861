// The dense op's WebAssembly kernels (../ir/ops/dense.ts is the JavaScript twin and defines
// the layout): y = x W^T + b with W in PyTorch's [out, in] layout, an optional relu fused
// into the store, and the backward pass: gy through the relu in place, db = sum of gy's rows,
// dx = gy W, dW = gy^T x, each gradient written (`=`) or added (`+=`) as the JavaScript
// kernels' GradTarget says. Shapes are compile-time constants except the batch n.
//
// Parameters are byte addresses into the one memory, named as the JavaScript kernels'
// convention (../ir/ops/op.ts): n, x0 (x), x1 (W), x2 (b), y, gy, gx0, gx1, gx2. A kernel
// takes only the ones it uses; the generators return the list, in order.

import type { FunctionBuilder, Local } from "./function.js";
import { mapLanes } from "./elementwise.js";
import type { ModuleBuilder } from "./module.js";
import { broadcastProduct, dotProduct, type Count, type Store } from "./products.js";
import { decisionOffset, halfZeros, sparseForwardProduct, sparseWeightGradient, transpose, wasmSkipsZeros } from "./sparse.js";
import type { IrValue } from "../ir/ir.js";
import type { DenseAttrs } from "../ir/ops/dense.js";
import type { OpContext } from "../ir/ops/op.js";

const F32 = 4;

export interface DenseKernelShape {
  /** Rows of x per sample: 1 for an input [in], T for [T, in] (the weights are shared over T). */
  rowsPerSample: number;
  inWidth: number;
  out: number;
  bias: boolean;
  activation: "identity" | "relu";
  /**
   * Skip the zeros of x where a call's x is at least half zeros (../ir/sparsity.ts's
   * `sparseInput`; sparse.ts): the forward kernel and the units part then take the op's
   * scratch s3 (transposed) and s4 (gathered), and the forward needs denseSparsePrep first.
   */
  sparseInput?: boolean;
}

/** The op's scratch the zero-skipping kernels use (../ir/ops/dense.ts numbers them). */
const TRANSPOSED = "s3";
const GATHERED = "s4";

/** Register blocks, rows x columns (forward) and rows x f32x4 vectors (backward products). */
export interface DenseBlocks {
  forward: { rows: number; cols: number };
  backward: { rows: number; vectors: number };
}

/** Chosen by bench/wasm-dense.ts on this project's machine (see docs/wasm-backend.md). */
export const defaultDenseBlocks: DenseBlocks = { forward: { rows: 4, cols: 2 }, backward: { rows: 4, vectors: 2 } };

/**
 * The kernels' shape for a dense layer, or null where its fused activation keeps the
 * JavaScript kernels (tanh, sigmoid); zero-skipping only up to SPARSE_MAX_WEIGHTS (sparse.ts).
 * The IR op asks it too, for the scratch these kernels need.
 */
export function denseKernelShape(ctx: OpContext): DenseKernelShape | null {
  const attrs = ctx.attrs as DenseAttrs;
  const activation = attrs.activation ?? "identity";
  if (activation !== "identity" && activation !== "relu") return null;
  const [x, w] = ctx.inputs as [IrValue, IrValue];
  const [out, inWidth] = w.shape as [number, number];
  const shape: DenseKernelShape = { rowsPerSample: x.size / inWidth, inWidth, out, bias: ctx.inputs.length > 2, activation };
  return attrs.sparseInput === true && wasmSkipsZeros(inWidth, out) ? { ...shape, sparseInput: true } : shape;
}

function rowsLocal(f: FunctionBuilder, shape: DenseKernelShape): Local {
  // Reused: the whole backward kernel writes both of its parts into one function.
  const rows = f.reuse("rows", "i32");
  f.get(f.ref("n")).i32Const(shape.rowsPerSample).op("i32.mul").set(rows);
  return rows;
}

function checkShape(shape: DenseKernelShape): void {
  for (const d of [shape.rowsPerSample, shape.inWidth, shape.out]) {
    if (!Number.isInteger(d) || d < 1) throw new Error(`internal error: dense kernel of shape ${JSON.stringify(shape)}`);
  }
}

/** `name(n, x0, x1[, x2], y)`: the forward kernel; returns its parameter names. */
export function denseForward(m: ModuleBuilder, name: string, shape: DenseKernelShape, blocks = defaultDenseBlocks): string[] {
  checkShape(shape);
  const sparse = shape.sparseInput === true;
  const params = ["n", "x0", "x1", ...(shape.bias ? ["x2"] : []), "y", ...(sparse ? [TRANSPOSED, GATHERED] : [])];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const rows = rowsLocal(f, shape);
  const bias = shape.bias ? f.ref("x2") : null;
  const relu = shape.activation === "relu";
  const dense = () =>
    dotProduct(f, "fw", {
      rows,
      cols: shape.out,
      depth: shape.inWidth,
      a: f.ref("x0"),
      b: f.ref("x1"),
      c: f.ref("y"),
      bias,
      relu,
      blockRows: blocks.forward.rows,
      blockCols: blocks.forward.cols,
    });
  if (!sparse) {
    dense();
    return params;
  }
  // denseSparsePrep decided for the whole call (this one may be a chunk of its samples).
  const wt = f.ref(TRANSPOSED);
  f.get(wt).load("i32", decisionOffset(shape.inWidth, shape.out));
  f.if(
    () => sparseForwardProduct(f, { rows, inWidth: shape.inWidth, out: shape.out, x: f.ref("x0"), wt, bias, relu, y: f.ref("y"), list: f.ref(GATHERED) }),
    dense,
  );
  return params;
}

/**
 * `name(n, x0, x1, s3)`: before a zero-skipping forward kernel, on the calling thread: counts
 * the zeros of the whole batch's x once, writes the decision after the transposed matrix, and
 * where it is sparse writes W^T there.
 */
export function denseSparsePrep(m: ModuleBuilder, name: string, shape: DenseKernelShape): string[] {
  checkShape(shape);
  const params = ["n", "x0", "x1", TRANSPOSED];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const flag = f.local("sparse", "i32");
  const wt = f.ref(TRANSPOSED);
  halfZeros(f, f.ref("x0"), rowsLocal(f, shape), shape.inWidth, flag);
  f.get(wt).get(flag).store("i32", decisionOffset(shape.inWidth, shape.out));
  f.get(flag).if(() => {
    transpose(f, "wt", { src: f.ref("x1"), dst: wt, rows: shape.out, cols: shape.inWidth, srcStride: shape.inWidth * F32, dstStride: shape.out * F32, store: "assign" });
  });
  return params;
}

/** Which input gradients the backward kernel writes, and how (null: nobody needs it). */
export interface DenseGradients {
  x: Store | null;
  w: Store | null;
  b: Store | null;
}

/**
 * The backward pass is two kernels, so that each splits across threads without a barrier
 * inside: the rows part (relu in place on gy, then dx = gy W, each row of the batch on its
 * own) splits by samples; the units part (db and dW = gy^T x, each output unit summing over
 * the whole batch in one fixed order) by output units, and runs after the rows part.
 */
export type BackwardPart = "rows" | "units";

/** `name(n, x0?, x1?, y?, gy, gx0?, gx1?, gx2?)`: the whole backward kernel, both parts in one thread; returns its parameter names. */
export function denseBackward(m: ModuleBuilder, name: string, shape: DenseKernelShape, grads: DenseGradients, blocks = defaultDenseBlocks): string[] {
  checkShape(shape);
  if (grads.b && !shape.bias) throw new Error("internal error: a bias gradient for a dense layer without bias");
  const relu = shape.activation === "relu";
  const params = [
    "n",
    ...(grads.w ? ["x0"] : []),
    ...(grads.x ? ["x1"] : []),
    ...(relu ? ["y"] : []),
    "gy",
    ...(grads.x ? ["gx0"] : []),
    ...(grads.w ? ["gx1"] : []),
    ...(grads.b ? ["gx2"] : []),
    ...sparseParams(shape, grads),
  ];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const ref = (p: string): Local | null => (params.includes(p) ? f.ref(p) : null);
  const refs = { x: ref("x0"), w: ref("x1"), y: ref("y"), gy: f.ref("gy"), gx: ref("gx0"), gw: ref("gx1"), gb: ref("gx2"), transposed: ref(TRANSPOSED), gathered: ref(GATHERED) };
  denseBackwardBody(f, shape, grads, refs, "rows", blocks);
  denseBackwardBody(f, shape, grads, refs, { from: 0, to: shape.out }, blocks);
  return params;
}

/** The parameters of one part of the backward kernel, in order (`from`, `to`: the units part's range of output units). */
export function denseBackwardParams(shape: DenseKernelShape, grads: DenseGradients, part: BackwardPart): string[] {
  const relu = shape.activation === "relu";
  return part === "rows"
    ? ["n", ...(grads.x ? ["x1"] : []), ...(relu ? ["y"] : []), "gy", ...(grads.x ? ["gx0"] : [])]
    : ["n", "from", "to", ...(grads.w ? ["x0"] : []), "gy", ...(grads.w ? ["gx1"] : []), ...(grads.b ? ["gx2"] : []), ...sparseParams(shape, grads)];
}

/** The scratch a zero-skipping weight gradient takes (the units part's last parameters). */
function sparseParams(shape: DenseKernelShape, grads: DenseGradients): string[] {
  return shape.sparseInput === true && grads.w ? [TRANSPOSED, GATHERED] : [];
}

/** `name(...)`: one part of the backward kernel (denseBackwardParams); returns its parameter names. */
export function denseBackwardPart(
  m: ModuleBuilder,
  name: string,
  shape: DenseKernelShape,
  grads: DenseGradients,
  part: BackwardPart,
  blocks = defaultDenseBlocks,
): string[] {
  checkShape(shape);
  if (grads.b && !shape.bias) throw new Error("internal error: a bias gradient for a dense layer without bias");
  const params = denseBackwardParams(shape, grads, part);
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const ref = (p: string): Local | null => (params.includes(p) ? f.ref(p) : null);
  const units = part === "rows" ? part : { from: f.ref("from"), to: f.ref("to") };
  const refs = { x: ref("x0"), w: ref("x1"), y: ref("y"), gy: f.ref("gy"), gx: ref("gx0"), gw: ref("gx1"), gb: ref("gx2"), transposed: ref(TRANSPOSED), gathered: ref(GATHERED) };
  denseBackwardBody(f, shape, grads, refs, units, blocks);
  return params;
}

/** The byte addresses the backward pass reads and writes (null where a gradient is not wanted). */
export interface DenseBackwardRefs {
  x: Local | null;
  w: Local | null;
  y: Local | null;
  gy: Local;
  gx: Local | null;
  gw: Local | null;
  gb: Local | null;
  /** The zero-skipping weight gradient's scratch (sparse.ts), where shape.sparseInput. */
  transposed?: Local | null;
  gathered?: Local | null;
}

/**
 * One part of the backward pass into an open function: rows (relu in place, dx = gy W) or
 * units (db, dW = gy^T x over the output units from..to, locals or constants). Shared with
 * conv2d, whose products are dense's over its im2col rows.
 */
export function denseBackwardBody(
  f: FunctionBuilder,
  shape: DenseKernelShape,
  grads: DenseGradients,
  refs: DenseBackwardRefs,
  part: "rows" | { from: Local | number; to: Local | number },
  blocks = defaultDenseBlocks,
  /** The rows to do, where not all of the batch's (n x rowsPerSample): conv2d's chunks of samples. */
  rowCount?: Local,
): void {
  const need = (l: Local | null, what: string): Local => {
    if (l === null) throw new Error(`internal error: dense backward without ${what}`);
    return l;
  };
  const rows = rowCount ?? rowsLocal(f, shape);
  const { inWidth, out } = shape;
  const gy = refs.gy;
  if (part === "rows") {
    if (shape.activation === "relu") {
      // gy = gy * (y > 0 ? 1 : 0), in place: the units part reads gy after this kernel, nothing else.
      const count = f.local("outputs", "i32");
      f.get(rows).i32Const(out).op("i32.mul").set(count);
      const y = f.local("yv", "v128");
      mapLanes(f, "relu", count, [gy, need(refs.y, "y")], gy, () => {
        f.set(y).get(y).i32x4Const([0, 0, 0, 0]).op("f32x4.gt").f32x4Const([1, 1, 1, 1]).op("v128.and").op("f32x4.mul");
      });
    }
    if (grads.x) {
      broadcastProduct(f, "dx", {
        rows,
        cols: inWidth,
        depth: out,
        a: { base: gy, rowStride: out * F32, depthStride: F32 },
        b: { base: need(refs.w, "W"), depthStride: inWidth * F32 },
        c: { base: need(refs.gx, "gx"), rowStride: inWidth * F32 },
        store: grads.x,
        blockRows: blocks.backward.rows,
        blockVectors: blocks.backward.vectors,
      });
    }
    return;
  }
  // The units from..to: gy's columns and dW's rows (and db's entries) of those units.
  const push = (c: Local | number) => (typeof c === "number" ? f.i32Const(c) : f.get(c));
  const from = () => push(part.from);
  const units = f.local("units", "i32");
  const gyUnits = f.local("gy_units", "i32");
  push(part.to);
  from().op("i32.sub").set(units);
  from().i32Const(F32).op("i32.mul").get(gy).op("i32.add").set(gyUnits);
  if (grads.b) {
    const gb = f.local("gb_units", "i32");
    from().i32Const(F32).op("i32.mul").get(need(refs.gb, "gb")).op("i32.add").set(gb);
    biasGradient(f, rows, units, out, gyUnits, gb, grads.b);
  }
  if (grads.w) {
    const gw = f.local("gw_units", "i32");
    from().i32Const(inWidth * F32).op("i32.mul").get(need(refs.gw, "gW")).op("i32.add").set(gw);
    const x = need(refs.x, "x");
    const store = grads.w;
    const dense = () => weightGradient(f, shape, rows, units, gyUnits, x, gw, store, blocks);
    if (shape.sparseInput !== true) {
      dense();
      return;
    }
    // Every call counts the whole batch's zeros: the same decision on every thread.
    const flag = f.local("sparse", "i32");
    halfZeros(f, x, rows, inWidth, flag);
    f.get(flag).if(
      () =>
        sparseWeightGradient(f, {
          rows,
          inWidth,
          out,
          x,
          gy: gyUnits,
          gw,
          from: part.from,
          units,
          scratch: need(refs.transposed ?? null, "its transposed scratch"),
          gathered: need(refs.gathered ?? null, "its gathered scratch"),
          store,
        }),
      dense,
    );
  }
}

/**
 * Rows of x and gy that one pass of dW's blocks walks: as many as stay in a 512 KB L2 cache
 * beside dW's block, and at least 128, so that reloading dW once per chunk costs at most a
 * sixteenth of a byte per multiply-add. A long batch of rows (a convolution's, 6,272 at batch
 * 32 for mnist_cnn's second layer) is cut into such chunks; most dense layers need one.
 */
export function weightGradientChunk(inWidth: number, out: number): number {
  return Math.max(128, Math.floor((384 * 1024) / ((inWidth + out) * F32)));
}

/**
 * dW[u, :] (+)= sum over rows r of gy[r, u] x[r, :] for the units of gw's block: each block of
 * dW walks the rows chunk by chunk (weightGradientChunk), adding each chunk's sum into dW (an
 * assigned dW is zeroed first). Every unit still sums its rows in order, the same on any
 * thread, so the split by units stays bit-identical.
 */
export function weightGradient(
  f: FunctionBuilder,
  shape: DenseKernelShape,
  rows: Local,
  units: Local,
  gy: Local,
  x: Local,
  gw: Local,
  store: Store,
  blocks: DenseBlocks,
): void {
  const { inWidth, out } = shape;
  const chunk = weightGradientChunk(inWidth, out);
  const product = (depth: Count, gyBase: Local, xBase: Local, how: Store) =>
    broadcastProduct(f, "dw", {
      rows: units,
      cols: inWidth,
      depth,
      a: { base: gyBase, rowStride: F32, depthStride: out * F32 },
      b: { base: xBase, depthStride: inWidth * F32 },
      c: { base: gw, rowStride: inWidth * F32 },
      store: how,
      blockRows: blocks.backward.rows,
      blockVectors: blocks.backward.vectors,
    });
  const r0 = f.local("dw_chunk", "i32");
  const depth = f.local("dw_chunk_rows", "i32");
  const gyChunk = f.local("dw_gy_chunk", "i32");
  const xChunk = f.local("dw_x_chunk", "i32");
  // One chunk holds every row: the plain product, with dW's own store.
  f.get(rows).i32Const(chunk).op("i32.le_u");
  f.if(
    () => product(rows, gy, x, store),
    () => {
      if (store === "assign") {
        const count = f.local("dw_floats", "i32");
        f.get(units).i32Const(inWidth).op("i32.mul").set(count);
        mapLanes(f, "dw_zero", count, [], gw, () => f.i32x4Const([0, 0, 0, 0]));
      }
      f.forLoop(r0, () => f.i32Const(0), () => f.get(rows), chunk, "dw_chunks", () => {
        f.get(rows).get(r0).op("i32.sub").set(depth);
        f.get(depth).i32Const(chunk).op("i32.gt_u").if(() => f.i32Const(chunk).set(depth));
        f.get(r0).i32Const(out * F32).op("i32.mul").get(gy).op("i32.add").set(gyChunk);
        f.get(r0).i32Const(inWidth * F32).op("i32.mul").get(x).op("i32.add").set(xChunk);
        product(depth, gyChunk, xChunk, "accumulate");
      });
    },
  );
}

/**
 * db[o] = sum over rows of gy[r, o], summed in float64 as the JavaScript kernels do, so a
 * long batch does not round every partial sum to float32. Eight units at a time (then four)
 * walk the rows once in f64x2 lanes, each unit's sum in the same order as the scalar loop
 * that takes the last few, so the sums are the JavaScript kernels' to the bit; walking gy
 * once per unit instead (a convolution's rows are tens of thousands) cost more than dW.
 * `float64` writes the float64 sums themselves (8 bytes a unit): one block's partial sums,
 * which conv2d's weight-gradient kernels add up in a fixed order.
 */
export function biasGradient(f: FunctionBuilder, rows: Local, units: Local, out: number, gy: Local, gb: Local, store: Store | "float64"): void {
  const targetBytes = store === "float64" ? 8 : F32;
  const u = f.local("db_u", "i32");
  const grouped = f.local("db_grouped", "i32");
  const p = f.local("db_p", "i32");
  const end = f.local("db_end", "i32");
  const v = f.local("db_v", "v128");
  const target = f.local("db_target", "i32");
  const accs = Array.from({ length: 4 }, (_, i) => f.local(`db_acc${i}`, "v128"));
  // Lanes 2 and 3 of a vector moved to 0 and 1, for promote_low.
  const high = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
  const group = (width: 4 | 8) => {
    const vectors = width / 4;
    for (let a = 0; a < 2 * vectors; a++) f.f64Const(0).op("f64x2.splat").set(accs[a]!);
    f.get(u).i32Const(F32).op("i32.mul").get(gy).op("i32.add").set(p);
    f.get(rows).i32Const(out * F32).op("i32.mul").get(p).op("i32.add").set(end);
    f.forLoop(p, () => f.get(p), () => f.get(end), out * F32, `db_rows${width}`, () => {
      for (let g = 0; g < vectors; g++) {
        f.get(p).load("v128", g * 16).set(v);
        f.get(accs[2 * g]!).get(v).op("f64x2.promote_low_f32x4").op("f64x2.add").set(accs[2 * g]!);
        f.get(accs[2 * g + 1]!).get(v).get(v).i8x16Shuffle(high).op("f64x2.promote_low_f32x4").op("f64x2.add").set(accs[2 * g + 1]!);
      }
    });
    f.get(u).i32Const(targetBytes).op("i32.mul").get(gb).op("i32.add").set(target);
    for (let g = 0; g < vectors; g++) {
      const [lo, hi] = [accs[2 * g]!, accs[2 * g + 1]!];
      if (store === "float64") {
        f.get(target).get(lo).store("v128", g * 32);
        f.get(target).get(hi).store("v128", g * 32 + 16);
        continue;
      }
      if (store === "accumulate") {
        f.get(target).load("v128", g * 16).set(v);
        f.get(lo).get(v).op("f64x2.promote_low_f32x4").op("f64x2.add").set(lo);
        f.get(hi).get(v).get(v).i8x16Shuffle(high).op("f64x2.promote_low_f32x4").op("f64x2.add").set(hi);
      }
      f.get(target);
      f.get(lo).op("f32x4.demote_f64x2_zero").get(hi).op("f32x4.demote_f64x2_zero");
      f.i8x16Shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
      f.store("v128", g * 16);
    }
  };
  f.get(units).i32Const(-8).op("i32.and").set(grouped);
  f.forLoop(u, () => f.i32Const(0), () => f.get(grouped), 8, "db_groups", () => group(8));
  f.get(grouped).set(u);
  f.get(units).get(u).op("i32.sub").i32Const(4).op("i32.ge_u").if(() => {
    group(4);
    f.get(u).i32Const(4).op("i32.add").set(u);
  });
  const o = f.local("db_o", "i32");
  const sum = f.local("db_sum", "f64");
  f.get(u).i32Const(targetBytes).op("i32.mul").get(gb).op("i32.add").set(target);
  f.forLoop(o, () => f.get(u).i32Const(F32).op("i32.mul").get(gy).op("i32.add"), () => f.get(units).i32Const(F32).op("i32.mul").get(gy).op("i32.add"), F32, "db_units", () => {
    f.f64Const(0).set(sum);
    f.get(o).get(rows).i32Const(out * F32).op("i32.mul").op("i32.add").set(end);
    f.forLoop(p, () => f.get(o), () => f.get(end), out * F32, "db_rows", () => {
      f.get(sum).get(p).load("f32").op("f64.promote_f32").op("f64.add").set(sum);
    });
    f.get(target);
    if (store === "float64") f.get(sum).store("f64");
    else {
      if (store === "accumulate") f.get(target).load("f32").op("f64.promote_f32").get(sum).op("f64.add");
      else f.get(sum);
      f.op("f32.demote_f64").store("f32");
    }
    f.get(target).i32Const(targetBytes).op("i32.add").set(target);
  });
}
