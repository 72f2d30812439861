// The thread pool's chunks (runtime/threads.ts): every chunk of a split call runs exactly
// once, by whichever thread claims it, and a thread that is held up takes fewer chunks
// rather than holding the call up. The main thread runs its chunks through a JavaScript
// stand-in for the kernel that marks them 1 and can be made slow; the worker runs the real
// WebAssembly export, which marks its chunks 2.

import { afterEach, describe, expect, it } from "vitest";
import { ModuleBuilder } from "../../compiler/wasm/module.js";
import { nodeKernelWorkerFactory } from "../../runtime/node/threads.js";
import { chunkSize, chunksOf, KernelThreads, MAX_SPLIT_ARGS, READY_WORD, shareStart, type KernelSplit } from "../../runtime/threads.js";
import { createWasmMemory, WASM_PAGE_BYTES } from "../../runtime/wasm.js";

const PAGES = 4;
const CONTROL = 3 * WASM_PAGE_BYTES;

/** `by_samples(n, a)` stores 2 in the n int32s from a; `by_units(n, from, to, a)` in [from, to) of a. */
function markingModule(): object {
  const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: PAGES, maximumPages: PAGES, shared: true });
  const samples = m.function("by_samples", [["n", "i32"], ["a", "i32"]]);
  const i = samples.local("i", "i32");
  samples.forLoop(i, () => samples.i32Const(0), () => samples.get(samples.ref("n")), 1, "marks", () => {
    samples.get(i).i32Const(4).op("i32.mul").get(samples.ref("a")).op("i32.add").i32Const(2).store("i32", 0);
  });
  const units = m.function("by_units", [["n", "i32"], ["from", "i32"], ["to", "i32"], ["a", "i32"]]);
  const u = units.local("u", "i32");
  units.forLoop(u, () => units.get(units.ref("from")), () => units.get(units.ref("to")), 1, "marks", () => {
    units.get(u).i32Const(4).op("i32.mul").get(units.ref("a")).op("i32.add").i32Const(2).store("i32", 0);
  });
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
  return new wasm.Module(m.toBytes());
}

let pool: KernelThreads | null = null;
afterEach(() => pool?.dispose());

/** A pool of two threads over the marking kernels, once its worker is up, and the marks as int32s. */
async function setUp(splits: KernelSplit[]) {
  const memory = createWasmMemory(PAGES * WASM_PAGE_BYTES, { shared: true });
  pool = new KernelThreads({ module: markingModule(), memory, names: ["by_samples", "by_units"], splits, control: CONTROL }, 2, nodeKernelWorkerFactory);
  // A worker joins only the calls made once it is up (till then the main thread runs them all).
  const ready = new Int32Array(memory.buffer, CONTROL, READY_WORD + 1);
  for (let i = 0; i < 500 && Atomics.load(ready, READY_WORD) < 1; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return { pool, marks: new Int32Array(memory.buffer, 0, 4096) };
}

/** The main thread's stand-in: marks its chunk 1, first waiting `delayMs` (a thread held up). */
function mainKernel(marks: Int32Array, delayMs: number, byUnits: boolean) {
  const calls: number[] = [];
  const kernel = (...args: number[]) => {
    const until = performance.now() + delayMs;
    while (performance.now() < until);
    const [from, to] = byUnits ? [args[1]!, args[2]!] : [args[1]! / 4, args[1]! / 4 + args[0]!];
    calls.push(from);
    for (let k = from; k < to; k++) marks[k] = 1;
    return undefined;
  };
  return { kernel, calls };
}

function argsOf(...values: number[]): Float64Array {
  const args = new Float64Array(MAX_SPLIT_ARGS);
  args.set(values);
  return args;
}

describe("splitting a call into chunks claimed by the threads", () => {
  const bySamples: KernelSplit = { work: 1 << 16, strides: [0, 4] };
  const byUnits: KernelSplit = { work: 1 << 16, strides: [], units: 1000 };

  it("chunks are aligned, cover the count once, and are several per thread where the work allows", () => {
    for (const [count, threads, work, units] of [[32, 2, 32 << 20, undefined], [1000, 2, 1000 << 16, 1000], [33, 3, 33 << 20, undefined], [6, 2, 6 << 20, undefined]] as const) {
      const chunks = chunksOf(count, threads, work, { units });
      expect(chunks[0]![0]).toBe(0);
      chunks.forEach(([start], i) => {
        expect(start % 4).toBe(0);
        if (i > 0) expect(start).toBe(chunks[i - 1]![0] + chunks[i - 1]![1]);
      });
      expect(chunks.at(-1)![0] + chunks.at(-1)![1]).toBe(count);
      expect(chunks.length).toBeGreaterThanOrEqual(Math.min(threads, Math.ceil(count / 4)));
    }
    expect(chunksOf(32, 2, 32 << 20).length).toBe(8);
    expect(chunksOf(1000, 2, 1000 << 16, { units: 1000 }).length).toBe(4);
    // Too little work for a second thread: one chunk, on the calling thread.
    expect(chunkSize(32, 2, 1000)).toBe(32);
  });

  it("each thread's share is a run of chunks in thread order, and the shares cover every chunk once", () => {
    for (const [chunks, threads] of [[8, 2], [7, 2], [12, 3], [2, 3], [1, 2], [16, 16], [5, 256]] as const) {
      let next = 0;
      for (let t = 0; t < threads; t++) {
        const [from, to] = [shareStart(chunks, threads, t), shareStart(chunks, threads, t + 1)];
        expect(from).toBe(next);
        expect(to).toBeGreaterThanOrEqual(from);
        next = to;
      }
      expect(next).toBe(chunks);
    }
    // Two threads: the main thread's share is the first half, so it keeps the same samples from one call to the next.
    expect([shareStart(8, 2, 0), shareStart(8, 2, 1), shareStart(8, 2, 2)]).toEqual([0, 4, 8]);
  });

  it("by samples: every sample is marked once, and a held-up main thread leaves the rest to the worker", async () => {
    const { pool, marks } = await setUp([bySamples, byUnits]);
    const main = mainKernel(marks, 50, false);
    marks.fill(0);
    pool.run(0, main.kernel, argsOf(1024, 0), 2, bySamples);
    expect([...marks.subarray(0, 1024)].every((v) => v === 1 || v === 2)).toBe(true);
    expect(marks[1024]).toBe(0);
    // Eight chunks of 128: the main thread's are the ones it marked; the worker, awake,
    // claimed the rest while the main thread was held up 50 ms in each of its own.
    const chunks = chunksOf(1024, 2, 1024 << 16);
    expect(chunks.length).toBe(8);
    expect(marks.subarray(0, 1024).filter((v) => v === 1).length).toBe(128 * main.calls.length);
    expect(main.calls.length).toBeLessThan(4);
  });

  it("by units: every unit in [0, units) is marked once, by one thread or the other", async () => {
    const { pool, marks } = await setUp([bySamples, byUnits]);
    for (const delay of [0, 20]) {
      const main = mainKernel(marks, delay, true);
      marks.fill(0);
      pool.run(1, main.kernel, argsOf(64, 0, 0, 0), 4, byUnits);
      expect([...marks.subarray(0, 1000)].every((v) => v === 1 || v === 2)).toBe(true);
      expect(marks[1000]).toBe(0);
      if (delay > 0) expect(marks.subarray(0, 1000).filter((v) => v === 2).length).toBeGreaterThan(500);
    }
  });
});
