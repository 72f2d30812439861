// Loops over the batch a chunk of samples at a time, and the blocks of samples that reductions
// over the batch sum separately. A reduction that crosses threads (the weight gradients of
// weight-blocks.ts, batch_norm's sums) sums each block of samples (PARTIAL_SAMPLES, or dense's
// 16: a multiple of the threads' chunk alignment) into partial sums of its own,
// in a kernel split by samples, so a block is summed by the thread that holds its rows; a
// second kernel adds the blocks up in block order. Neither the blocks nor their order depend on
// the threads, so the bytes are the same on any number of them.

import { CHUNK_ALIGN } from "../../runtime/threads.js";
import type { FunctionBuilder, Local } from "./function.js";

/** Samples per block of partial sums: the threads' chunks start at multiples of this, so a chunk holds whole blocks. */
export const PARTIAL_SAMPLES = CHUNK_ALIGN;

/**
 * Runs `body(count)` over the batch in chunks of `chunk` samples (the last one shorter), with
 * each `pointers` local at the chunk's first sample (`bytes`: a sample's bytes in its buffer).
 */
export function overChunks(f: FunctionBuilder, chunk: number, pointers: readonly { local: Local; from: Local; bytes: number }[], body: (count: Local) => void): void {
  const first = f.local("chunk_first", "i32");
  const count = f.local("chunk_count", "i32");
  for (const p of pointers) f.get(p.from).set(p.local);
  f.forLoop(first, () => f.i32Const(0), () => f.get(f.ref("n")), chunk, "chunks", () => {
    f.get(f.ref("n")).get(first).op("i32.sub").set(count);
    f.get(count).i32Const(chunk).op("i32.gt_u").if(() => f.i32Const(chunk).set(count));
    body(count);
    for (const p of pointers) f.get(p.local).i32Const(chunk * p.bytes).op("i32.add").set(p.local);
  });
}

/** Sets `end` to the byte just past the batch's blocks, ceil(n / samples) of `blockBytes` each from `first`. */
export function blocksEnd(f: FunctionBuilder, first: Local, blockBytes: number, end: Local, samples: number = PARTIAL_SAMPLES): void {
  f.get(f.ref("n")).i32Const(samples - 1).op("i32.add").i32Const(samples).op("i32.div_u");
  f.i32Const(blockBytes).op("i32.mul").get(first).op("i32.add").set(end);
}

/** The batch's blocks of partial sums: the first block's address, the byte past the last one's start (blocksEnd), and a block's bytes. */
export interface Blocks {
  first: Local;
  end: Local;
  bytes: number;
}

const ADD = { f64: "f64.add", f32: "f32.add", v128: "f32x4.add" } as const;

/** Sets `acc` to the blocks' values at byte `at` of each (a float64, a float32 or four), added up in block order from zero. */
export function addBlocks(f: FunctionBuilder, type: "f64" | "f32" | "v128", acc: Local, blocks: Blocks, at: Local): void {
  if (type === "v128") f.f32x4Const([0, 0, 0, 0]);
  else if (type === "f32") f.f32Const(0);
  else f.f64Const(0);
  f.set(acc);
  const p = f.reuse("block", "i32");
  const stop = f.reuse("block_end", "i32");
  f.get(blocks.end).get(at).op("i32.add").set(stop);
  f.forLoop(p, () => f.get(blocks.first).get(at).op("i32.add"), () => f.get(stop), blocks.bytes, `blocks_${type}`, () => {
    f.get(acc).get(p).load(type).op(ADD[type]).set(acc);
  });
}
