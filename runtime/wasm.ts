// Loading WebAssembly kernels, in Node and in browsers: feature detection, one memory that
// every buffer is a view of, and synchronous instantiation (a model is created synchronously,
// and kernel modules are small). The WebAssembly API is typed here, to the part we use,
// because the project's `lib` (ES2022, no DOM) does not declare it and an emitted module must
// type-check under its users' settings whatever their `lib`.

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
