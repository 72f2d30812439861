// A product layer's db and dW by blocks of samples (chunks.ts says why blocks): the partials
// kernel, split by samples, sums each block's db (float64) and dW (gy^T x over the block's
// rows) into the block's own floats of a scratch; the combine kernel, on the calling thread,
// adds the blocks up in block order and stores db and dW as the gradients' targets say. Split
// by output units instead, every thread reads the whole batch's x and gy, half of them
// written by the other core in the passes before. conv2d's blocks are of 4 samples (an im2col
// row per output position: hundreds of rows a block); dense's of 16 (a few rows a sample).

import { addBlocks, blocksEnd, overChunks, type Blocks } from "./chunks.js";
import { biasGradient, defaultDenseBlocks, weightGradient, type DenseKernelShape } from "./dense.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";
import type { ScratchSpec } from "../ir/ops/op.js";

const F32 = 4;

/** How a layer's weight gradient goes by blocks: samples a block, and its parameters' names. */
export interface WeightBlocks {
  samples: number;
  /** The rows gy is summed against (dense's x0, conv2d's im2col s0). */
  x: string;
  /** The scratch of the blocks' partial sums. */
  partials: string;
}

/** Which gradients there are, and how each is stored. */
export interface WeightGradients {
  w: Store | null;
  b: Store | null;
}

/**
 * Floats of one block's partial sums: db's float64 sums (two floats a unit), then dW, in whole
 * vectors, and a whole number of floats a sample (the scratch's size per sample).
 */
export function weightPartialFloats(shape: Pick<DenseKernelShape, "inWidth" | "out">, samples: number): number {
  const unit = samples % 4 === 0 ? samples : 4 * samples;
  return Math.ceil((2 * shape.out + shape.out * shape.inWidth) / unit) * unit;
}

/** The op's scratch the blocks' partial sums go to (backward only: the JavaScript kernels are passed it unread). */
export function weightBlocksScratch(shape: Pick<DenseKernelShape, "inWidth" | "out">, samples: number): ScratchSpec {
  const floats = weightPartialFloats(shape, samples);
  return { perSample: floats / samples, fixed: floats, name: "partials", what: "partial weight gradients by blocks of samples", backwardOnly: true };
}

/** The partials kernel's parameters. */
export function weightPartialsParams(grads: WeightGradients, blocks: WeightBlocks): string[] {
  return ["n", ...(grads.w ? [blocks.x] : []), "gy", blocks.partials];
}

/** `name(n[, x], gy, partials)`: each block of samples' db (float64) and dW (assigned) into its own floats. */
export function weightPartials(m: ModuleBuilder, name: string, shape: DenseKernelShape, grads: WeightGradients, blocks: WeightBlocks): string[] {
  const params = weightPartialsParams(grads, blocks);
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { rowsPerSample, inWidth, out } = shape;
  const units = f.local("units", "i32");
  const rows = f.local("rows", "i32");
  const gw = f.local("gw_block", "i32");
  const [x, gy, sums] = [f.local("x_block", "i32"), f.local("gy_block", "i32"), f.local("sums_block", "i32")];
  f.i32Const(out).set(units);
  const pointers = [
    ...(grads.w ? [{ local: x, from: f.ref(blocks.x), bytes: rowsPerSample * inWidth * F32 }] : []),
    { local: gy, from: f.ref("gy"), bytes: rowsPerSample * out * F32 },
    { local: sums, from: f.ref(blocks.partials), bytes: (weightPartialFloats(shape, blocks.samples) / blocks.samples) * F32 },
  ];
  overChunks(f, blocks.samples, pointers, (count) => {
    f.get(count).i32Const(rowsPerSample).op("i32.mul").set(rows);
    // db's sums are float64 whatever the rows: the combine adds them up without rounding each to float32.
    biasGradient(f, rows, units, out, gy, sums, "float64");
    if (grads.w) {
      f.get(sums).i32Const(2 * out * F32).op("i32.add").set(gw);
      weightGradient(f, shape, rows, units, gy, x, gw, "assign", defaultDenseBlocks);
    }
  });
  return params;
}

/** The combine kernel's parameters. */
export function weightCombineParams(grads: WeightGradients, blocks: WeightBlocks): string[] {
  return ["n", blocks.partials, ...(grads.w ? ["gx1"] : []), ...(grads.b ? ["gx2"] : [])];
}

/** `name(n, partials[, gx1][, gx2])`: dW and db as the blocks' partial sums added up in block order, stored as `grads` says. */
export function weightCombine(m: ModuleBuilder, name: string, shape: DenseKernelShape, grads: WeightGradients, blocks: WeightBlocks): string[] {
  const params = weightCombineParams(grads, blocks);
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { inWidth, out } = shape;
  const blockBytes = weightPartialFloats(shape, blocks.samples) * F32;
  const first = f.ref(blocks.partials);
  // The byte just past the last block's first: the blocks are first, first + blockBytes, ... below it.
  const end = f.local("blocks_end", "i32");
  blocksEnd(f, first, blockBytes, end, blocks.samples);
  const at = f.local("at", "i32");
  const sums: Blocks = { first, end, bytes: blockBytes };
  const gb = grads.b;
  if (gb) {
    const total = f.local("db_total", "f64");
    const target = f.local("db_target", "i32");
    f.forLoop(at, () => f.i32Const(0), () => f.i32Const(out * 8), 8, "db_units", () => {
      addBlocks(f, "f64", total, sums, at);
      f.get(at).i32Const(1).op("i32.shr_u").get(f.ref("gx2")).op("i32.add").set(target);
      f.get(target);
      if (gb === "accumulate") f.get(target).load("f32").op("f64.promote_f32").get(total).op("f64.add");
      else f.get(total);
      f.op("f32.demote_f64").store("f32");
    });
  }
  const gw = grads.w;
  if (gw) {
    const floats = out * inWidth;
    const vectors = floats - (floats % 4);
    const dw = 2 * out * F32;
    const target = f.local("dw_target", "i32");
    const lanes = (type: "v128" | "f32", from: number, to: number, step: number) => {
      const acc = f.local(`dw_${type}`, type);
      const add = type === "v128" ? "f32x4.add" : "f32.add";
      f.forLoop(at, () => f.i32Const(dw + from * F32), () => f.i32Const(dw + to * F32), step, `dw_${type}_lanes`, () => {
        addBlocks(f, type, acc, sums, at);
        f.get(at).i32Const(dw).op("i32.sub").get(f.ref("gx1")).op("i32.add").set(target);
        f.get(target);
        if (gw === "accumulate") f.get(target).load(type).get(acc).op(add);
        else f.get(acc);
        f.store(type);
      });
    };
    if (vectors > 0) lanes("v128", 0, vectors, 16);
    if (vectors < floats) lanes("f32", vectors, floats, F32);
  }
  return params;
}

/** dense's blocks: of 16 samples (a few rows each), summing gy against x0 into the scratch `partials`. */
export const DENSE_BLOCK_SAMPLES = 16;

/**
 * Whether dense's weight gradient goes by blocks: not where it may skip zeros (its own dW^T
 * product), and where a block's partial sums are at most a quarter of the block's rows of x
 * and gy, so that adding them up costs little beside the product (reverse's layers, not
 * mnist_mlp's 784 -> 128 at one row a sample).
 */
export function denseWeightByBlocks(shape: Pick<DenseKernelShape, "rowsPerSample" | "inWidth" | "out" | "sparseInput">): boolean {
  const { rowsPerSample, inWidth, out } = shape;
  return shape.sparseInput !== true && 4 * out * inWidth <= DENSE_BLOCK_SAMPLES * rowsPerSample * (inWidth + out);
}
