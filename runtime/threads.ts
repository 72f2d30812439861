// Running a model's WebAssembly kernels on several threads (issue 11), browser-safe: the
// threads are made by a factory the host registers (runtime/node/threads.ts for Node's
// worker_threads, runtime/browser-threads.ts for Web Workers); without one a model runs on
// one thread. Every thread instantiates the same kernel module against the one shared memory;
// a kernel call is split by samples of the batch (or by output units) into chunks, each run
// by one thread on its own rows (the kernels' addresses are offset by the chunk's first
// sample). A row's arithmetic does not depend on which rows share its call, so the results are
// bit-identical for any number of threads and any assignment of chunks to them.
//
// Synchronisation is a few control words in the memory: a generation counter the workers
// wait on, the job (kernel index, arguments as float64s, so the optimizer's scalars pass too,
// chunk size and count), a ticket counter per thread's share of the chunks, from which every
// thread, the main one included, claims chunks (its own share first, then the others') until
// none is left, and a count of the workers that joined the job
// and of those done with it. A worker joins only while the job is open: the main thread closes
// it once it finds no chunk left, and then waits only for the workers that joined, so a worker
// that is asleep, still starting, or descheduled on a loaded machine never holds a call up;
// its chunks are run by the threads that are there.
// Claiming rather than a fixed share per thread matters on shared hardware: one core of a VM
// can run memory-bound kernels a third slower than the other for seconds at a time, and a
// fixed half would wait for it. Taking its own share first keeps a thread on the same samples
// from one call to the next, so their rows stay in its core's cache. Waiting is a bounded spin, then Atomics.wait. A split call
// allocates nothing: the arguments go through arrays made once and the chunks are computed.
//
// Starting workers is asynchronous, and in browsers it needs this thread's help: a Web Worker
// (runtime/browser-threads.ts) only starts, and only gets its init message, once the thread
// that made it returns to its event loop, so blocking on it right away would wait forever. A
// factory says so (`startsAsync`), and the pool then runs every call on this thread alone
// until all its workers have counted themselves ready (one load of the READY word per call
// until then): a training loop that never yields trains on one thread, one that does (train()
// yields every 50 ms) gets its workers within its first steps. All or none, not each worker as
// it comes. Which thread runs a chunk never changes the results, so the switch cannot show in
// them. worker_threads start on their own, so Node's pool posts jobs from the first call and a
// worker joins them once it is up. And a browser's main thread may not Atomics.wait
// (it throws): there, found once by a probe, the pool runs its own chunks, then only spins on
// the count, with a clock for the time-out instead of the waits.

import type { WasmKernel, WasmMemory } from "./wasm.js";

/** What a worker needs to run kernels: the compiled module, the memory, and where the control words are. */
export interface KernelWorkerInit {
  /** A WebAssembly.Module (structured-cloneable to workers). */
  module: object;
  memory: WasmMemory;
  names: readonly string[];
  /** How each kernel (as `names`) splits: a worker works out its chunks' arguments itself. */
  splits: readonly (KernelSplit | null)[];
  /** Byte offset of the control words in the memory. */
  control: number;
  /** This worker's number, from 1 (the main thread is 0): its name, and which chunks are its own. */
  index: number;
  /** How many threads share the calls, the main one included. */
  threads: number;
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
  /** The index of the first float parameter (Adam's scalars); absent: every parameter is an i32. */
  floatsFrom?: number;
  /** Chunks of units start at multiples of this (default CHUNK_ALIGN; 1 for batch_norm's groups of channels). */
  align?: number;
  /**
   * The kernel writes only parameter gradients, which no other kernel of a pass reads: held,
   * it runs after the list's other calls (in the order held), so the threads do not wait for
   * each other around it mid-pass. With `work` 0 it never splits.
   */
  late?: boolean;
}

// The control words (Int32 indices from `control`): a job posted by the main thread, claimed
// chunk by chunk by every thread. The job's arguments are float64s (the optimizer's scalars
// pass too), from an even word so that they are 8-byte aligned.
/** Bumped for each job; workers wait on it. */
export const GENERATION_WORD = 0;
/** Workers that joined the current job and are done with it. */
export const FINISHED_WORD = 1;
export const STOP_WORD = 2;
/** Set by a worker whose kernels failed to load or threw. */
export const FAILED_WORD = 3;
/** The control word each worker adds 1 to once it has instantiated its kernels (or failed to). */
export const READY_WORD = 4;
/** The job: kernel index, argument count, chunk size, samples or units to split, chunks. */
export const JOB_WORD = 6;
/** Workers that joined the current job, or -1 once the main thread has closed it. */
export const JOINED_WORD = 11;
/** Chunks the workers have run, since the pool started (for tests and tools: do they take part?). */
export const WORKER_CHUNKS_WORD = 12;
/** The job's arguments, as float64s from this Int32 word. */
export const ARGS_WORD = 14;
/** At most this many arguments pass to a split kernel. */
export const MAX_SPLIT_ARGS = 15;
/**
 * From this word, one per thread: the next chunk to claim of that thread's share of the job
 * (Atomics.add, so each chunk is run by exactly one thread; see shareStart).
 */
export const TICKETS_WORD = ARGS_WORD + 2 * MAX_SPLIT_ARGS;
/**
 * Spins before Atomics.wait (about 1 ms): a worker stays awake across a step's calls, and a
 * sleeping one costs nobody but itself (the main thread runs what it has not claimed), so a
 * longer spin would only burn a core that a loaded machine needs.
 */
export const SPIN_LIMIT = 1 << 16;
/**
 * Below this many multiply-adds per thread a call runs on the main thread alone: waking a
 * worker costs a few microseconds, the time of about this much work. Not more: a call left to
 * the main thread reads the rows the worker wrote in the calls before, from the other core
 * (at 2^17, mnist_cnn's second batch_norm and pooling ran unsplit and slower on two threads
 * than on one, and its step 1.74x as fast on two threads as on one, against 1.81x at 2^16:
 * 24 alternated rounds in one process).
 */
export const MIN_WORK_PER_THREAD = 1 << 16;
/**
 * A call splits into this many chunks per thread (where its work allows), claimed one at a
 * time, so that a thread slowed by its core's other tenants takes fewer of them rather than
 * holding the call up; kernels split by units re-read their inputs per chunk, so fewer there.
 */
const CHUNKS_PER_THREAD = 4;
const UNIT_CHUNKS_PER_THREAD = 2;
/** Loads of an unclaimed share's word the main thread makes, once per list, before it takes the share (a few microseconds). */
const CLAIM_GRACE_SPINS = 1 << 12;
/** How long the main thread waits for a kernel call's workers before it gives up on them. */
const WORKER_TIMEOUT_SECONDS = 120;
/** Chunks start at multiples of this many samples (a register block of rows). */
export const CHUNK_ALIGN = 4;

/** 0 while the job is one call; else the job is a list of held calls, this many (KernelThreads.hold). */
export const LIST_WORD = 13;
/** At most this many calls (and as many late ones) are held in one list; the next one runs the list first. */
export const MAX_HELD_CALLS = 64;
/** Int32 words of one held call: kernel index, kind (HELD_*), arity, a spare word, then its arguments as float64s. */
export const HELD_CALL_WORDS = 4 + 2 * MAX_SPLIT_ARGS;
/** A held call split by samples: each thread runs its own share of the batch. */
export const HELD_SAMPLES = 0;
/** A held call split by output units: it reads the whole batch, so every share waits for the others before and after it. */
export const HELD_UNITS = 1;
/** A held call that does not split: the calling thread runs it whole, between waits for every share. */
export const HELD_WHOLE = 2;

/**
 * Where a list job's words are (Int32 indices from the control words' start) for a pool of
 * `threads`: each share's progress (calls done) on a cache line of its own, since its thread
 * writes it after every call while the others read it; which shares are claimed; the abort
 * flag; the held calls. The worker script works this out the same way.
 */
export function listWords(threads: number): { progress: number; owners: number; abort: number; calls: number; end: number } {
  const progress = Math.ceil((TICKETS_WORD + threads) / 16) * 16;
  const owners = progress + 16 * threads;
  const abort = owners + threads;
  const calls = Math.ceil((abort + 1) / 2) * 2;
  // Two lists' worth of calls: the late ones wait in the second half until sync().
  return { progress, owners, abort, calls, end: calls + 2 * MAX_HELD_CALLS * HELD_CALL_WORDS };
}

/** The control words' bytes for a pool of `threads` threads. */
export function controlBytes(threads: number): number {
  return listWords(threads).end * 4;
}

/**
 * Where share `share` of `shares` of `count` samples (or units) starts, in whole blocks of
 * `align`: share s runs [shareBound(s), shareBound(s + 1)). A list's by-samples calls all
 * use the same shares, so each thread reads only the rows it wrote itself in the calls before.
 */
export function shareBound(count: number, align: number, shares: number, share: number): number {
  return Math.min(count, Math.floor((share * Math.ceil(count / align)) / shares) * align);
}

/**
 * The first chunk of thread `thread`'s share of a job's `chunks` (its share runs to the next
 * thread's first; thread `threads`' is `chunks`): the threads split the chunks in order, the
 * main thread (0) the first ones. Each claims its own share first, then what is left
 * of the others' (the next thread's first), so that a sample's rows are written and read again
 * by one core from one call to the next while the threads keep pace, instead of the call's
 * chunks going to whichever thread comes first and a row's cache lines moving between cores
 * at every call.
 */
export function shareStart(chunks: number, threads: number, thread: number): number {
  return Math.floor((thread * chunks) / threads);
}

/**
 * Whether held call `i` of a list (its words from `calls`) waits for every share to have run
 * the calls before it: one that reads the whole batch or runs whole, and the call after one.
 */
export function heldWaits(ctl: Int32Array, calls: number, i: number): boolean {
  const kind = ctl[calls + i * HELD_CALL_WORDS + 1];
  return kind !== HELD_SAMPLES || (i > 0 && ctl[calls + (i - 1) * HELD_CALL_WORDS + 1] !== HELD_SAMPLES);
}

interface Atomic {
  load(a: Int32Array, i: number): number;
  compareExchange(a: Int32Array, i: number, expected: number, value: number): number;
  store(a: Int32Array, i: number, v: number): number;
  add(a: Int32Array, i: number, v: number): number;
  exchange(a: Int32Array, i: number, v: number): number;
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
 * The size of each chunk of `count` samples or units (split by units where `how` has them) for
 * `threads` threads, `work` multiply-adds in all (aligned; the last chunk may be shorter).
 * `count` or more: the call runs on one thread.
 */
export function chunkSize(count: number, threads: number, work: number, how: Pick<KernelSplit, "units" | "align"> = {}): number {
  const align = how.align ?? CHUNK_ALIGN;
  const useful = Math.max(1, Math.min(threads, Math.floor(work / MIN_WORK_PER_THREAD), Math.ceil(count / align)));
  if (useful === 1) return count;
  const perThread = how.units !== undefined ? UNIT_CHUNKS_PER_THREAD : CHUNKS_PER_THREAD;
  const chunks = Math.max(useful, Math.min(useful * perThread, Math.floor((work * perThread) / MIN_WORK_PER_THREAD), Math.ceil(count / align)));
  return Math.ceil(count / chunks / align) * align;
}

/** The chunks chunkSize describes, as [start, count] pairs in order (for tests and tools). */
export function chunksOf(count: number, threads: number, work: number, how: Pick<KernelSplit, "units" | "align"> = {}): [number, number][] {
  const size = chunkSize(count, threads, work, how);
  const chunks: [number, number][] = [];
  for (let start = 0; start < count; start += size) chunks.push([start, Math.min(size, count - start)]);
  return chunks;
}

/**
 * Calls `kernel` with the first `arity` of `args` (at most MAX_SPLIT_ARGS): a call of fixed
 * shape, without spreading, so nothing is allocated. Extra arguments to a WebAssembly export
 * are ignored. The arguments go as int32s (`| 0`) unless the kernel takes floats: a float64
 * read from the array and passed to a call site that sees many kernels is boxed, a heap number
 * per argument per call, where an int32 passes as a small integer.
 */
export function callWith(kernel: WasmKernel, args: Float64Array, split: KernelSplit | null = null): void {
  if (split?.floatsFrom !== undefined) {
    kernel(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, args[6]!, args[7]!, args[8]!, args[9]!, args[10]!, args[11]!, args[12]!, args[13]!, args[14]!);
    return;
  }
  kernel(args[0]! | 0, args[1]! | 0, args[2]! | 0, args[3]! | 0, args[4]! | 0, args[5]! | 0, args[6]! | 0, args[7]! | 0, args[8]! | 0, args[9]! | 0, args[10]! | 0, args[11]! | 0, args[12]! | 0, args[13]! | 0, args[14]! | 0);
}

/**
 * Sets `args` to chunk [start, end) of a split call whose whole arguments are `whole`: by
 * samples, the count becomes the chunk's and each batched address moves to its first sample;
 * by units, `from` and `to` (after n) become the chunk's bounds. `whole` from index `from`. The worker script does the same.
 */
export function chunkArgs(args: Float64Array, whole: Float64Array, arity: number, split: KernelSplit, start: number, end: number, from = 0): void {
  if (split.units !== undefined) {
    for (let i = 0; i < arity; i++) args[i] = whole[from + i]!;
    args[1] = start;
    args[2] = end;
    return;
  }
  const at = split.count ?? 0;
  for (let i = 0; i < arity; i++) args[i] = i === at ? end - start : whole[from + i]! + start * split.strides[i]!;
}

export class KernelThreads {
  private readonly ctl: Int32Array;
  /** The job's arguments (the whole call's, while `args` takes each chunk's). */
  private readonly jobArgs: Float64Array;
  private readonly workers: KernelWorker[] = [];
  private disposed = false;
  /** Whether the workers may be given calls: at once for workers that start on their own, else once all are ready. */
  private started: boolean;
  private readonly canBlock: boolean;
  /** The threads calls are split among (useThreads): at most `threads`. */
  private active: number;
  /** Whether calls that can wait are held (hold, until release). */
  private holding = false;
  /** The held calls: how many, their samples (-1: none split by samples yet), the samples' block, multiply-adds in all. */
  private held = 0;
  private heldSamples = -1;
  private heldAlign = CHUNK_ALIGN;
  private heldWork = 0;
  /** Of the held calls, those that may run last (KernelSplit.late), kept apart until sync(). */
  private late = 0;
  private readonly heldKernels: WasmKernel[] = [];
  private readonly heldSplits: (KernelSplit | null)[] = [];
  private readonly words: ReturnType<typeof listWords>;
  /** The control words as float64s (the held calls' arguments). */
  private readonly floats: Float64Array;
  /** One held call's arguments, for its run on this thread. */
  private readonly heldArgs = new Float64Array(MAX_SPLIT_ARGS);
  /** Which shares of the running list this thread runs (share 0 always, others nobody claimed). */
  private readonly mine: Uint8Array;
  /** Spins left, in the running list, to wait for workers to claim their shares (catchUp). */
  private grace = 0;

  constructor(
    init: Omit<KernelWorkerInit, "index" | "threads">,
    readonly threads: number,
    factory: KernelWorkerFactory,
  ) {
    this.ctl = new Int32Array(init.memory.buffer, init.control, controlBytes(threads) / 4);
    this.floats = new Float64Array(init.memory.buffer, init.control, controlBytes(threads) / 8);
    this.words = listWords(threads);
    this.mine = new Uint8Array(threads);
    this.ctl.fill(0);
    this.jobArgs = new Float64Array(init.memory.buffer, init.control + ARGS_WORD * 4, MAX_SPLIT_ARGS);
    for (let w = 1; w < threads; w++) this.workers.push(factory({ ...init, index: w, threads }));
    this.started = !this.workers.some((w) => w.startsAsync === true);
    this.canBlock = threadCanBlock(this.ctl);
    this.active = threads;
  }

  /**
   * Splits later calls among at most `threads` threads (from 1, the calling thread alone, to
   * the pool's), and returns that number. Which threads run a call never changes its results.
   */
  useThreads(threads: number): number {
    this.active = Math.max(1, Math.min(this.threads, Math.floor(threads)));
    return this.active;
  }

  /** Whether the workers may be given calls (started); checks once more while they are not. */
  private workersStarted(): boolean {
    if (!this.started) {
      this.started = this.ready;
      // A Web Worker that could not load counted itself ready and failed; it will never count down.
      if (this.started && atomics.load(this.ctl, FAILED_WORD) !== 0) this.fail("failed");
    }
    return this.started;
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
    const n = args[split.count ?? 0]!;
    const count = split.units ?? n;
    const size = this.disposed ? count : chunkSize(count, this.active, n * split.work, split);
    if (size >= count || !this.workersStarted()) {
      callWith(kernel, args, split);
      return;
    }
    const ctl = this.ctl;
    const whole = this.jobArgs;
    const chunks = Math.ceil(count / size);
    ctl[JOB_WORD] = index;
    ctl[JOB_WORD + 1] = arity;
    ctl[JOB_WORD + 2] = size;
    ctl[JOB_WORD + 3] = count;
    ctl[JOB_WORD + 4] = chunks;
    for (let i = 0; i < arity; i++) whole[i] = args[i]!;
    for (let t = 0; t < this.threads; t++) atomics.store(ctl, TICKETS_WORD + t, 0);
    this.openJob();
    // This thread claims chunks too, its own share first, while the workers wake.
    for (let t = 0; t < this.threads; t++) {
      // Two numbers rather than a [from, to] pair: a split call allocates nothing.
      const from = shareStart(chunks, this.threads, t);
      const to = shareStart(chunks, this.threads, t + 1);
      for (let c = from + atomics.add(ctl, TICKETS_WORD + t, 1); c < to; c = from + atomics.add(ctl, TICKETS_WORD + t, 1)) {
        chunkArgs(args, whole, arity, split, c * size, Math.min(c * size + size, count));
        callWith(kernel, args, split);
      }
    }
    this.closeJob();
    if (atomics.load(ctl, FAILED_WORD) !== 0) this.fail("failed");
  }

  /** Opens the job whose words are written: workers may join it from now on. */
  private openJob(): void {
    const ctl = this.ctl;
    // The job's words are all written before it opens (JOINED 0), and it opens before the
    // generation moves, so a worker that joins reads this job's words, whichever generation
    // it saw.
    atomics.store(ctl, FINISHED_WORD, 0);
    atomics.store(ctl, JOINED_WORD, 0);
    atomics.add(ctl, GENERATION_WORD, 1);
    atomics.notify(ctl, GENERATION_WORD);
  }

  /** Closes the job (no worker joins it any more), then waits for the workers that joined it. */
  private closeJob(): void {
    const ctl = this.ctl;
    const joined = atomics.exchange(ctl, JOINED_WORD, -1);
    const patience = this.patience();
    for (let done = atomics.load(ctl, FINISHED_WORD); done !== joined; done = atomics.load(ctl, FINISHED_WORD)) {
      this.waitOn(FINISHED_WORD, done, patience);
    }
  }

  /** A wait's spins and time so far (waitOn), made once per wait and reset by patience(). */
  private readonly waited = { spins: 0, seconds: 0, deadline: 0 };

  private patience(): { spins: number; seconds: number; deadline: number } {
    const w = this.waited;
    w.spins = 0;
    w.seconds = 0;
    w.deadline = 0;
    return w;
  }

  /**
   * One round of waiting for control word `word` to move from `value`: a bounded spin, then
   * Atomics.wait (whoever moves a word someone may wait on notifies it), or on a browser's main
   * thread a clock. A worker that died without counting down (killed, out of
   * memory) would make a wait last forever; no kernel call takes anywhere near WORKER_TIMEOUT_SECONDS.
   */
  private waitOn(word: number, value: number, w: { spins: number; seconds: number; deadline: number }): void {
    if (++w.spins <= SPIN_LIMIT) return;
    if (this.canBlock) {
      if (atomics.wait(this.ctl, word, value, 1000) === "timed-out" && ++w.seconds >= WORKER_TIMEOUT_SECONDS) this.fail("stopped answering");
    } else if (w.spins % SPIN_LIMIT === 0) {
      if (w.deadline === 0) w.deadline = Date.now() + WORKER_TIMEOUT_SECONDS * 1000;
      else if (Date.now() > w.deadline) this.fail("stopped answering");
    }
  }

  /**
   * From now until release(), the calls that can wait are held, and run together as one job
   * when something needs their results: the next call that cannot be held, a full list, sync()
   * or release(). A thread runs the same share of the batch in every by-samples call of a list,
   * one call after another, without waiting for the others: each reads only rows it wrote
   * itself. The threads wait for each other only around a call that reads the whole batch (split
   * by units) or runs whole. So a training step's twenty-odd calls cost one post and a few waits,
   * where each call on its own costs a post, a wake and a wait for the slowest thread. The caller
   * must sync() before JavaScript reads what held calls write.
   */
  hold(): void {
    this.holding = true;
  }

  /** Stops holding calls, and runs those held. */
  release(): void {
    this.holding = false;
    this.sync();
  }

  /**
   * `kernel(args)` as run() does, or held for later (hold()); `split` null: it runs whole on
   * this thread. `args` is the caller's own array, overwritten here.
   */
  call(index: number, kernel: WasmKernel, args: Float64Array, arity: number, split: KernelSplit | null): void {
    if (this.holding && this.canHold(split, arity)) {
      const samples = split !== null && split.units === undefined;
      if (this.held === MAX_HELD_CALLS || this.late === MAX_HELD_CALLS || (samples && this.heldSamples >= 0 && args[0] !== this.heldSamples)) this.sync();
      this.holdCall(index, kernel, args, arity, split);
      return;
    }
    this.sync();
    if (split === null) callWith(kernel, args, null);
    else this.run(index, kernel, args, arity, split);
  }

  /** Whether a call may be held: not the optimizer's (its floats, its count elsewhere), and only where the workers run calls. */
  private canHold(split: KernelSplit | null, arity: number): boolean {
    if (this.disposed || this.active === 1 || arity > MAX_SPLIT_ARGS) return false;
    if (split !== null && (split.floatsFrom !== undefined || split.count !== undefined)) return false;
    return this.workersStarted();
  }

  private holdCall(index: number, kernel: WasmKernel, args: Float64Array, arity: number, split: KernelSplit | null): void {
    // Late calls wait in the slots after MAX_HELD_CALLS; sync() moves them after the others.
    const slot = split?.late === true ? MAX_HELD_CALLS + this.late++ : this.held;
    const at = this.words.calls + slot * HELD_CALL_WORDS;
    const kind = split === null || split.work === 0 ? HELD_WHOLE : split.units !== undefined ? HELD_UNITS : HELD_SAMPLES;
    this.ctl[at] = index;
    this.ctl[at + 1] = kind;
    this.ctl[at + 2] = arity;
    const floats = this.floats;
    const from = (at + 4) / 2;
    for (let i = 0; i < arity; i++) floats[from + i] = args[i]!;
    if (kind === HELD_SAMPLES) {
      this.heldSamples = args[0]!;
      this.heldAlign = Math.max(this.heldAlign, split!.align ?? CHUNK_ALIGN);
    }
    if (split !== null) this.heldWork += args[0]! * split.work;
    this.heldKernels[slot] = kernel;
    this.heldSplits[slot] = split;
    if (slot === this.held) this.held++;
  }

  /** Moves the late calls (holdCall) to follow the others, in the order they were held; returns how many calls there are in all. */
  private placeLate(): number {
    const ctl = this.ctl;
    for (let j = 0; j < this.late; j++) {
      const from = MAX_HELD_CALLS + j;
      const to = this.held + j;
      ctl.copyWithin(this.words.calls + to * HELD_CALL_WORDS, this.words.calls + from * HELD_CALL_WORDS, this.words.calls + (from + 1) * HELD_CALL_WORDS);
      this.heldKernels[to] = this.heldKernels[from]!;
      this.heldSplits[to] = this.heldSplits[from]!;
    }
    const count = this.held + this.late;
    this.late = 0;
    return count;
  }

  /**
   * Runs the held calls, if any: as one job across the threads, or here where their work is too
   * little to share. The threads take fixed shares of the batch (of the units, for a call split
   * by units), the same in every call, and this thread runs the shares no worker has claimed by
   * the time it would wait for them.
   */
  sync(): void {
    if (this.held + this.late === 0) return;
    const count = this.placeLate();
    const samples = this.heldSamples;
    const align = this.heldAlign;
    const work = this.heldWork;
    this.held = 0;
    this.heldSamples = -1;
    this.heldAlign = CHUNK_ALIGN;
    this.heldWork = 0;
    const shares = samples < 0 ? this.active : Math.min(this.active, Math.ceil(samples / align));
    if (this.disposed || shares <= 1 || work < MIN_WORK_PER_THREAD * shares) {
      for (let i = 0; i < count; i++) this.runHeld(0, 1, i, samples, align);
      return;
    }
    const ctl = this.ctl;
    const { progress, owners, abort } = this.words;
    ctl[JOB_WORD] = shares;
    ctl[JOB_WORD + 1] = samples;
    ctl[JOB_WORD + 2] = align;
    ctl[LIST_WORD] = count;
    for (let s = 0; s < shares; s++) atomics.store(ctl, progress + 16 * s, 0);
    for (let s = 0; s < this.threads; s++) atomics.store(ctl, owners + s, s === 0 ? 1 : 0);
    atomics.store(ctl, abort, 0);
    this.mine.fill(0);
    this.mine[0] = 1;
    this.grace = CLAIM_GRACE_SPINS;
    this.openJob();
    let error: unknown = null;
    try {
      for (let i = 0; i < count; i++) {
        if (heldWaits(ctl, this.words.calls, i)) this.catchUp(i, shares, samples, align);
        this.runHeld(0, shares, i, samples, align);
        atomics.store(ctl, progress, i + 1);
        // A worker that waits for this share before the next call may be asleep (Atomics.wait).
        if (i + 1 < count && heldWaits(ctl, this.words.calls, i + 1)) atomics.notify(ctl, progress);
      }
      this.catchUp(count, shares, samples, align);
    } catch (e) {
      // The workers stop at their next call instead of waiting for shares nobody will run.
      atomics.store(ctl, abort, 1);
      error = e;
    }
    ctl[LIST_WORD] = 0;
    this.closeJob();
    if (error !== null) throw error;
    if (atomics.load(ctl, FAILED_WORD) !== 0) this.fail("failed");
  }

  /**
   * Brings every share of the running list to `upTo` calls done: the shares no worker has
   * claimed become this thread's (all of them claimed first, so that no worker waits on a share
   * nobody runs while this thread waits on it), this thread runs its own up to there, then waits
   * for the workers' shares.
   */
  private catchUp(upTo: number, shares: number, samples: number, align: number): void {
    const ctl = this.ctl;
    const { progress, owners } = this.words;
    for (let s = 1; s < shares; s++) {
      // A worker that is awake claims its share within a microsecond of the post: give it that
      // long (once per list) before taking the share, else a list whose first call waits (runs
      // whole, or splits by units) would be taken whole by this thread every time.
      while (this.mine[s] === 0 && atomics.load(ctl, owners + s) === 0 && this.grace > 0) this.grace--;
      if (this.mine[s] === 0 && atomics.compareExchange(ctl, owners + s, 0, 1) === 0) this.mine[s] = 1;
    }
    for (let s = 1; s < shares; s++) {
      if (this.mine[s] === 0) continue;
      for (let i = atomics.load(ctl, progress + 16 * s); i < upTo; i++) this.runHeld(s, shares, i, samples, align);
      atomics.store(ctl, progress + 16 * s, upTo);
      atomics.notify(ctl, progress + 16 * s);
    }
    for (let s = 1; s < shares; s++) {
      if (this.mine[s] !== 0) continue;
      const patience = this.patience();
      for (let done = atomics.load(ctl, progress + 16 * s); done < upTo; done = atomics.load(ctl, progress + 16 * s)) {
        this.waitOn(progress + 16 * s, done, patience);
      }
    }
  }

  /** Share `share` of `shares` of held call `i` (the worker script's runList does the same). */
  private runHeld(share: number, shares: number, i: number, samples: number, align: number): void {
    const at = this.words.calls + i * HELD_CALL_WORDS;
    const kind = this.ctl[at + 1]!;
    const arity = this.ctl[at + 2]!;
    const split = this.heldSplits[i]!;
    const args = this.heldArgs;
    const from = (at + 4) / 2;
    if (kind === HELD_WHOLE || shares === 1) {
      if (share !== 0) return;
      for (let a = 0; a < arity; a++) args[a] = this.floats[from + a]!;
      callWith(this.heldKernels[i]!, args, kind === HELD_WHOLE ? null : split);
      return;
    }
    const count = kind === HELD_UNITS ? split.units! : samples;
    const unit = kind === HELD_UNITS ? (split.align ?? CHUNK_ALIGN) : align;
    const start = shareBound(count, unit, shares, share);
    const end = shareBound(count, unit, shares, share + 1);
    if (start >= end) return;
    chunkArgs(args, this.floats, arity, split, start, end, from);
    callWith(this.heldKernels[i]!, args, split);
  }

  private fail(what: string): never {
    this.dispose();
    throw new Error(`a kernel worker thread ${what}; run with one thread (--threads 1, or create({ threads: 1 }))`);
  }

  /** Stops the workers; later calls run on the main thread. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    atomics.store(this.ctl, STOP_WORD, 1);
    atomics.add(this.ctl, GENERATION_WORD, 1);
    atomics.notify(this.ctl, GENERATION_WORD);
    for (const w of this.workers) w.terminate();
  }
}
