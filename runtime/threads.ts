// Running a model's WebAssembly kernels on several threads (issue 11), browser-safe: the
// threads are made by a factory the host registers (runtime/node/threads.ts for Node's
// worker_threads, runtime/browser-threads.ts for Web Workers); without one a model runs on
// one thread. Every thread instantiates the same kernel module against the one shared memory;
// a kernel call is split by samples of the batch into chunks, each run by one thread on its
// own rows (the kernels' addresses are offset by the chunk's first sample), the main thread
// taking the first chunk itself. A row's arithmetic does not depend on which rows share its
// call, so the results are bit-identical for any number of threads.
//
// Synchronisation is a few control words in the memory: a generation counter the workers
// wait on, a count of workers still running, and one slot per worker (kernel index, argument
// count, then the arguments as float64s, so the optimizer's scalars pass too). Waiting is a
// short bounded spin, then Atomics.wait. A split call allocates nothing: the arguments go
// through one array per kernel and the chunks are computed, not listed.
//
// Starting workers is asynchronous, and in browsers it needs this thread's help: a Web Worker
// (runtime/browser-threads.ts) only starts, and only gets its init message, once the thread
// that made it returns to its event loop, so blocking on it right away would wait forever. A
// factory says so (`startsAsync`), and the pool then runs every call on this thread alone
// until all its workers have counted themselves ready (one load of the READY word per call
// until then): a training loop that never yields trains on one thread, one that does (train()
// yields every 50 ms) gets its workers within its first steps. All or none, not each worker as
// it comes: a worker that started after the generation moved would run its slot and count
// down for a call it was not given. Which thread runs a chunk never changes the results, so
// the switch cannot show in them.
// worker_threads start on their own, so Node's pool splits from the first call and a booting
// worker picks up the job already posted. And a browser's main thread may not Atomics.wait
// (it throws): there, found once by a probe, the pool runs its own chunk, then only spins on
// the count, with a clock for the time-out instead of the waits.

import type { WasmKernel, WasmMemory } from "./wasm.js";

/** What a worker needs to run kernels: the compiled module, the memory, and where its slot is. */
export interface KernelWorkerInit {
  /** A WebAssembly.Module (structured-cloneable to workers). */
  module: object;
  memory: WasmMemory;
  names: readonly string[];
  /** Byte offset of the control words in the memory. */
  control: number;
  /** Index (in Int32 words from `control`) of this worker's slot. */
  slot: number;
}

/** A started worker: it must not keep its host alive (unref) and stops on terminate. */
export interface KernelWorker {
  terminate(): void;
  /** The worker starts only once this thread returns to its event loop (a Web Worker); see above. */
  startsAsync?: boolean;
}

export type KernelWorkerFactory = (init: KernelWorkerInit) => KernelWorker;

let workerFactory: KernelWorkerFactory | null = null;

/** Registers how this host starts worker threads (runtime/node/threads.ts: `useNodeThreads()`). */
export function setKernelWorkerFactory(factory: KernelWorkerFactory | null): void {
  workerFactory = factory;
}

export function kernelWorkerFactory(): KernelWorkerFactory | null {
  return workerFactory;
}

/**
 * How a kernel splits: multiply-adds per sample (or element), and either bytes per sample of
 * each parameter (by index; 0: not batched), to split by samples, or `units`, to split by
 * output units (its parameters after n are the range from, to). `count` is the index of the
 * parameter holding the number of samples or elements (0 when absent: `n` comes first).
 */
export interface KernelSplit {
  work: number;
  strides: readonly number[];
  units?: number;
  count?: number;
}

/**
 * Words of control: generation, workers running, stop, a worker failed, workers ready, and one
 * unused so that every slot starts on an even word (its float64 arguments 8-byte aligned); then
 * one slot per worker.
 */
export const CONTROL_HEADER = 6;
/** The control word each worker adds 1 to once it has instantiated its kernels (or failed to). */
export const READY_WORD = 4;
/** A slot: kernel index, argument count, then up to MAX_SPLIT_ARGS float64 arguments (from word 2). */
export const SLOT_WORDS = 32;
export const MAX_SPLIT_ARGS = (SLOT_WORDS - 2) / 2;
/** Spins before Atomics.wait: about the time of a small kernel, so back-to-back calls do not sleep. */
export const SPIN_LIMIT = 20000;
/**
 * Below this many multiply-adds per thread a call runs on the main thread alone: waking a
 * worker costs a few microseconds, the time of about this much work.
 */
export const MIN_WORK_PER_THREAD = 1 << 17;
/** How long the main thread waits for a kernel call's workers before it gives up on them. */
const WORKER_TIMEOUT_SECONDS = 120;
/** Chunks start at multiples of this many samples (a register block of rows). */
const CHUNK_ALIGN = 4;

export function controlBytes(threads: number): number {
  return (CONTROL_HEADER + threads * SLOT_WORDS) * 4;
}

interface Atomic {
  load(a: Int32Array, i: number): number;
  store(a: Int32Array, i: number, v: number): number;
  add(a: Int32Array, i: number, v: number): number;
  wait(a: Int32Array, i: number, v: number, timeout?: number): string;
  notify(a: Int32Array, i: number, count?: number): number;
}

const atomics = (globalThis as unknown as { Atomics: Atomic }).Atomics;

/** Whether this thread may Atomics.wait: not a browser's main thread, where it throws whatever the value. */
function threadCanBlock(ctl: Int32Array): boolean {
  try {
    atomics.wait(ctl, 0, atomics.load(ctl, 0) + 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The size of each chunk of `count` samples or units for `threads` threads (aligned; the last
 * one may be shorter): thread t takes [t size, min((t + 1) size, count)), when t size < count.
 */
export function chunkSize(count: number, threads: number, work: number): number {
  const useful = Math.max(1, Math.min(threads, Math.floor(work / MIN_WORK_PER_THREAD), Math.ceil(count / CHUNK_ALIGN)));
  return Math.ceil(count / useful / CHUNK_ALIGN) * CHUNK_ALIGN;
}

/** The chunks chunkSize describes, as [start, count] pairs in order (for tests and tools). */
export function chunksOf(count: number, threads: number, work: number): [number, number][] {
  const size = chunkSize(count, threads, work);
  const chunks: [number, number][] = [];
  for (let start = 0; start < count; start += size) chunks.push([start, Math.min(size, count - start)]);
  return chunks;
}

/**
 * Calls `kernel` with the first `arity` of `args` (at most MAX_SPLIT_ARGS): a call of fixed
 * shape, without spreading, so nothing is allocated. Extra arguments to a WebAssembly export
 * are ignored.
 */
export function callWith(kernel: WasmKernel, args: ArrayLike<number>): void {
  kernel(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, args[6]!, args[7]!, args[8]!, args[9]!, args[10]!, args[11]!, args[12]!, args[13]!, args[14]!);
}

export class KernelThreads {
  private readonly ctl: Int32Array;
  /** The same control words as float64s: the slots' arguments. */
  private readonly ctl64: Float64Array;
  private readonly workers: KernelWorker[] = [];
  private disposed = false;
  /** Whether the workers may be given calls: at once for workers that start on their own, else once all are ready. */
  private started: boolean;
  private readonly canBlock: boolean;

  constructor(
    init: Omit<KernelWorkerInit, "slot">,
    readonly threads: number,
    factory: KernelWorkerFactory,
  ) {
    this.ctl = new Int32Array(init.memory.buffer, init.control, CONTROL_HEADER + threads * SLOT_WORDS);
    this.ctl.fill(0);
    this.ctl64 = new Float64Array(init.memory.buffer, init.control, this.ctl.length / 2);
    for (let w = 1; w < threads; w++) this.workers.push(factory({ ...init, slot: CONTROL_HEADER + w * SLOT_WORDS }));
    this.started = !this.workers.some((w) => w.startsAsync === true);
    this.canBlock = threadCanBlock(this.ctl);
  }

  /** Whether every worker has started (instantiated its kernels, or failed to). */
  private get ready(): boolean {
    return atomics.load(this.ctl, READY_WORD) >= this.threads - 1;
  }

  /**
   * `kernel(args)` (its first `arity` arguments; args[split.count ?? 0] the batch n or the
   * element count), split by samples, elements or units across the threads. `args` is the
   * caller's own array, overwritten here.
   */
  run(index: number, kernel: WasmKernel, args: Float64Array, arity: number, split: KernelSplit): void {
    const at = split.count ?? 0;
    const n = args[at]!;
    const units = split.units;
    const count = units ?? n;
    const size = this.disposed ? count : chunkSize(count, this.threads, n * split.work);
    if (size < count && !this.started) {
      this.started = this.ready;
      // A Web Worker that could not load counted itself ready and failed; it will never count down.
      if (this.started && atomics.load(this.ctl, 3) !== 0) this.fail("failed");
    }
    if (size >= count || !this.started) {
      callWith(kernel, args);
      return;
    }
    const ctl = this.ctl;
    const ctl64 = this.ctl64;
    for (let w = 1; w < this.threads; w++) {
      const slot = CONTROL_HEADER + w * SLOT_WORDS;
      const start = w * size;
      if (start >= count) {
        ctl[slot] = -1;
        continue;
      }
      const end = Math.min(start + size, count);
      ctl[slot] = index;
      ctl[slot + 1] = arity;
      const base = (slot + 2) / 2;
      if (units === undefined) {
        for (let i = 0; i < arity; i++) ctl64[base + i] = i === at ? end - start : args[i]! + start * split.strides[i]!;
      } else {
        for (let i = 0; i < arity; i++) ctl64[base + i] = args[i]!;
        ctl64[base + 1] = start;
        ctl64[base + 2] = end;
      }
    }
    atomics.store(ctl, 1, this.threads - 1);
    atomics.add(ctl, 0, 1);
    atomics.notify(ctl, 0);
    if (units === undefined) args[at] = size;
    else args[2] = size;
    callWith(kernel, args);
    let spins = 0;
    let waited = 0;
    let deadline = 0;
    for (let left = atomics.load(ctl, 1); left !== 0; left = atomics.load(ctl, 1)) {
      if (++spins <= SPIN_LIMIT) continue;
      // A worker that died without counting down (killed, out of memory) would hold this loop
      // forever; no kernel chunk takes anywhere near this long.
      if (this.canBlock) {
        if (atomics.wait(ctl, 1, left, 1000) === "timed-out" && ++waited >= WORKER_TIMEOUT_SECONDS) this.fail("stopped answering");
      } else if (spins % SPIN_LIMIT === 0) {
        if (deadline === 0) deadline = Date.now() + WORKER_TIMEOUT_SECONDS * 1000;
        else if (Date.now() > deadline) this.fail("stopped answering");
      }
    }
    if (atomics.load(ctl, 3) !== 0) this.fail("failed");
  }

  private fail(what: string): never {
    this.dispose();
    throw new Error(`a kernel worker thread ${what}; run with one thread (--threads 1, or create({ threads: 1 }))`);
  }

  /** Stops the workers; later calls run on the main thread. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    atomics.store(this.ctl, 2, 1);
    atomics.add(this.ctl, 0, 1);
    atomics.notify(this.ctl, 0);
    for (const w of this.workers) w.terminate();
  }
}
