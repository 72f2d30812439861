// Loading WebAssembly kernels, in Node and in browsers: feature detection, one memory that
// every buffer is a view of, and synchronous instantiation (a model is created synchronously,
// and kernel modules are small). The WebAssembly API is typed here, to the part we use,
// because the project's `lib` (ES2022, no DOM) does not declare it and an emitted module must
// type-check under its users' settings whatever their `lib`.

import { controlBytes, KernelThreads, MAX_SPLIT_ARGS, kernelWorkerFactory, type KernelSplit } from "./threads.js";

/** A WebAssembly.Memory: its buffer is replaced (and views go stale) when it grows. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

export interface WasmMemoryDescriptor {
  /** In 64 KiB pages. */
  initial: number;
  maximum?: number;
  shared?: boolean;
}

/** An exported kernel: i32 byte addresses and counts in, nothing or a number out. */
export type WasmKernel = (...args: number[]) => number | undefined;

interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: WasmMemoryDescriptor) => WasmMemory;
}

/** One WebAssembly page. */
export const WASM_PAGE_BYTES = 65536;

function api(): WasmApi | null {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly ?? null;
}

/**
 * `(module (func (result v128) v128.const i32x4 0 0 0 0))`: valid exactly where the engine has
 * 128-bit SIMD (Node 16.4+, every current browser; not Safari before 16.4).
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b, // code: v128.const 0
]);

/** The probe module, for the test that checks it against the encoder. */
export function simdProbeBytes(): Uint8Array {
  return SIMD_PROBE.slice();
}

/** Whether this engine would compile these bytes (WebAssembly.validate). */
export function isValidWasm(bytes: Uint8Array): boolean {
  const wasm = api();
  return wasm !== null && wasm.validate(bytes);
}

/** Whether this engine runs WebAssembly with 128-bit SIMD. */
export function hasWasmSimd(): boolean {
  return isValidWasm(SIMD_PROBE);
}

/**
 * Whether a shared memory can be made (worker threads may then share it): in browsers only
 * under cross-origin isolation.
 */
export function hasSharedWasmMemory(): boolean {
  const wasm = api();
  if (wasm === null || typeof SharedArrayBuffer === "undefined") return false;
  try {
    return new wasm.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

export function createWasmMemory(bytes: number, options: { shared?: boolean; maximumBytes?: number } = {}): WasmMemory {
  const wasm = api();
  if (wasm === null) throw new Error("this JavaScript engine has no WebAssembly: compile the model with --backend js");
  const initial = Math.max(1, Math.ceil(bytes / WASM_PAGE_BYTES));
  const maximum = Math.max(initial, Math.ceil((options.maximumBytes ?? bytes) / WASM_PAGE_BYTES));
  return options.shared ? new wasm.Memory({ initial, maximum, shared: true }) : new wasm.Memory({ initial, maximum });
}

/**
 * Compiles and instantiates kernel bytes against `memory` (imported as env.memory, plus any
 * other imports), and returns the kernels asked for by name. Synchronous: browsers allow it
 * on the main thread for modules up to a few megabytes, far above a model's kernels.
 */
export function instantiateKernels<Name extends string>(
  bytes: Uint8Array,
  memory: WasmMemory,
  names: readonly Name[],
  imports: Record<string, Record<string, unknown>> = {},
): Record<Name, WasmKernel> {
  const wasm = api();
  if (wasm === null) throw new Error("this JavaScript engine has no WebAssembly: compile the model with --backend js");
  const instance = new wasm.Instance(new wasm.Module(bytes), { ...imports, env: { ...imports["env"], memory } });
  const kernels = {} as Record<Name, WasmKernel>;
  for (const name of names) {
    const fn = instance.exports[name];
    if (typeof fn !== "function") throw new Error(`internal error: the WebAssembly module exports no kernel '${name}'`);
    kernels[name] = fn as WasmKernel;
  }
  return kernels;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 (with `=` padding) to bytes; no atob, which some runtimes lack or type as DOM-only. */
export function bytesFromBase64(text: string): Uint8Array {
  const values = new Int16Array(128).fill(-1);
  for (let i = 0; i < BASE64.length; i++) values[BASE64.charCodeAt(i)] = i;
  const clean = text.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let count = 0;
  let at = 0;
  for (let i = 0; i < clean.length; i++) {
    const code = clean.charCodeAt(i);
    const v = code < 128 ? values[code]! : -1;
    if (v < 0) throw new Error(`internal error: invalid base64 at ${i}`);
    bits = (bits << 6) | v;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[at++] = (bits >> count) & 0xff;
    }
  }
  return out;
}

/** Bytes to standard base64, for the emitter (the inverse of bytesFromBase64). */
export function base64FromBytes(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const triple = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += BASE64[(triple >> 18) & 63]! + BASE64[(triple >> 12) & 63]!;
    out += b === undefined ? "=" : BASE64[(triple >> 6) & 63]!;
    out += c === undefined ? "=" : BASE64[triple & 63]!;
  }
  return out;
}

/**
 * An emitted module's kernels: its bytes (base64, decoded and compiled once, at the first
 * model created), the names of the kernels the model class calls, and how each splits across
 * threads (null: it runs on the calling thread). The bytes import a shared memory; `sharedFlag`
 * is the byte offset of the import's limits flag, cleared for a plain memory.
 */
export class WasmKernelModule<Name extends string> {
  private readonly compiled: { shared: object | null; plain: object | null } = { shared: null, plain: null };

  constructor(
    private readonly base64: string,
    readonly names: readonly Name[],
    readonly splits: readonly (KernelSplit | null)[] = [],
    private readonly sharedFlag = -1,
  ) {}

  /** The compiled module, for a shared memory or a plain one. */
  compile(shared: boolean): object {
    const wasm = api();
    if (wasm === null) throw new Error("this JavaScript engine has no WebAssembly: compile the model with --backend js");
    const key = shared ? "shared" : "plain";
    const done = this.compiled[key];
    if (done !== null) return done;
    const bytes = bytesFromBase64(this.base64);
    if (this.sharedFlag >= 0) {
      if (bytes[this.sharedFlag] !== 0x03) throw new Error("internal error: the kernel module's memory import is not where the emitter said");
      if (!shared) bytes[this.sharedFlag] = 0x01;
    }
    const module = new wasm.Module(bytes);
    this.compiled[key] = module;
    return module;
  }

  /** The kernels, run against `memory` (shared when this module was emitted so). */
  instantiate(memory: WasmMemory): Record<Name, WasmKernel> {
    const wasm = api();
    if (wasm === null) throw new Error("this JavaScript engine has no WebAssembly: compile the model with --backend js");
    const shared = this.sharedFlag >= 0 && typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    const instance = new wasm.Instance(this.compile(shared), { env: { memory } });
    const kernels = {} as Record<Name, WasmKernel>;
    for (const name of this.names) {
      const fn = instance.exports[name];
      if (typeof fn !== "function") throw new Error(`internal error: the WebAssembly module exports no kernel '${name}'`);
      kernels[name] = fn as WasmKernel;
    }
    return kernels;
  }
}

/** Where each buffer of a model lives: offsets into one buffer, and the kernels (null: run the JavaScript ones). */
export interface ModelMemory<Name extends string> {
  readonly buffer: ArrayBuffer;
  /** Byte offset of each buffer, in the order of the lengths given; every one on a cache line of its own (CACHE_LINE). */
  readonly offsets: readonly number[];
  readonly kernels: Record<Name, WasmKernel> | null;
  /** The threads the kernels may run on (1 where there are no workers). */
  readonly threads: number;
  /** Splits later calls among at most `threads` of them (1: the calling thread alone), and returns how many that is. */
  useThreads(threads: number): number;
  /** Stops the worker threads, if any; the kernels then run on the calling thread. */
  dispose(): void;
  /** Holding calls to run them together (KernelThreads.hold); does nothing without worker threads. */
  readonly calls: HeldCalls;
}

/**
 * A model's pass brackets its kernel calls with hold() and release(), and calls sync() before
 * JavaScript reads what the kernels wrote (runtime/threads.ts's KernelThreads.hold).
 */
export interface HeldCalls {
  hold(): void;
  sync(): void;
  release(): void;
}

const NOT_HELD: HeldCalls = { hold() {}, sync() {}, release() {} };

/** WebAssembly's 32-bit addresses: a memory of at most 65536 pages (4 GiB). */
const MAX_WASM_BYTES = 65536 * WASM_PAGE_BYTES;

let fallbackNoted = false;

/** `threads` of create(): a whole number from 1 to MAX_THREADS. */
export const MAX_THREADS = 256;

/** Bytes of a cache line: where each buffer of the memory starts. */
export const CACHE_LINE = 64;

export function checkThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`threads must be a whole number from 1 to ${MAX_THREADS}, got ${threads}`);
  }
  return threads;
}

/**
 * One memory for every buffer of a model (`byteLengths`, each given its own 64-byte-aligned
 * region), sized once and never grown, since growing would detach every view. A
 * WebAssembly.Memory running `kernels` where the engine has SIMD and `backend` is not "js";
 * else a plain ArrayBuffer that the JavaScript kernels run on, with a one-line note (once
 * per process) when SIMD was wanted but is missing. With `threads` above 1, a host that
 * registered a worker factory (runtime/threads.ts) and an engine with shared memory, the
 * memory is shared and the splittable kernels run on that many threads.
 */
export function createModelMemory<Name extends string>(
  kernels: WasmKernelModule<Name>,
  byteLengths: readonly number[],
  backend: "wasm" | "js" = "wasm",
  threads = 1,
): ModelMemory<Name> {
  checkThreads(threads);
  const offsets: number[] = [];
  let end = 0;
  for (const length of byteLengths) {
    offsets.push(end);
    // Every buffer on a cache line of its own (64 bytes): threads writing neighbouring buffers,
    // or the chunks of one whose split falls on a line, would otherwise write the same lines.
    end += Math.ceil(length / CACHE_LINE) * CACHE_LINE;
  }
  const simd = backend === "wasm" && hasWasmSimd();
  if (backend === "wasm" && !simd && !fallbackNoted) {
    fallbackNoted = true;
    // console is typed by the DOM and Node libraries, neither of which an emitted module may assume.
    (globalThis as { console?: { warn(message: string): void } }).console?.warn("note: this engine has no WebAssembly SIMD; running the JavaScript kernels");
  }
  const none = (): void => {};
  const one = (): number => 1;
  if (!simd) return { buffer: new ArrayBuffer(Math.max(end, 16)), offsets, kernels: null, threads: 1, useThreads: one, dispose: none, calls: NOT_HELD };
  const factory = kernelWorkerFactory();
  const parallel = threads > 1 && factory !== null && kernels.splits.some((s) => s !== null) && hasSharedWasmMemory();
  const control = end;
  const total = parallel ? end + controlBytes(threads) : end;
  if (total > MAX_WASM_BYTES) {
    throw new RangeError(
      `the model's buffers need ${total} bytes at this maxBatch, over WebAssembly's 4 GiB: use a smaller batch or create the model with backend "js"`,
    );
  }
  if (!parallel || factory === null) {
    const memory = createWasmMemory(end);
    return { buffer: memory.buffer as ArrayBuffer, offsets, kernels: kernels.instantiate(memory), threads: 1, useThreads: one, dispose: none, calls: NOT_HELD };
  }
  const memory = createWasmMemory(total, { shared: true });
  const direct = kernels.instantiate(memory);
  const pool = new KernelThreads({ module: kernels.compile(true), memory, names: kernels.names, splits: kernels.splits, control }, threads, factory);
  const split = {} as Record<Name, WasmKernel>;
  kernels.names.forEach((name, index) => {
    const kernel = direct[name];
    const how = kernels.splits[index] ?? null;
    // An export's length is its parameter count. A kernel with more arguments than a job holds runs here, after the held calls.
    const arity = kernel.length;
    if (arity > MAX_SPLIT_ARGS) {
      split[name] = (...args: number[]) => {
        pool.sync();
        kernel(...args);
      };
      return;
    }
    // Named parameters and one array per kernel, not rest parameters: a split call allocates nothing.
    const args = new Float64Array(MAX_SPLIT_ARGS);
    split[name] = (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14) => {
      args[0] = a0!, args[1] = a1!, args[2] = a2!, args[3] = a3!, args[4] = a4!, args[5] = a5!, args[6] = a6!, args[7] = a7!;
      args[8] = a8!, args[9] = a9!, args[10] = a10!, args[11] = a11!, args[12] = a12!, args[13] = a13!, args[14] = a14!;
      pool.call(index, kernel, args, arity, how);
    };
  });
  const calls: HeldCalls = { hold: () => pool.hold(), sync: () => pool.sync(), release: () => pool.release() };
  // The views are typed over ArrayBuffer; a SharedArrayBuffer serves them the same way.
  return { buffer: memory.buffer as ArrayBuffer, offsets, kernels: split, threads, useThreads: (k) => pool.useThreads(k), dispose: () => pool.dispose(), calls };
}
