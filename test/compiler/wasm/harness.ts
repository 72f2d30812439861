// Runs generated kernels on real memory: buffers are laid out one after another (16-byte
// aligned, with a gap of NaN between them so that a kernel reading or writing past its
// buffer's end shows up in the results), filled from arrays and read back as arrays.
import type { ModuleBuilder } from "../../../compiler/wasm/module.js";
import { createWasmMemory, instantiateKernels, isValidWasm, type WasmKernel } from "../../../runtime/wasm.js";
import { wabtValidate } from "./wabt.js";

export interface Buffers {
  address(name: string): number;
  view(name: string): Float32Array;
  /** Whether every float outside the buffers is still NaN: nothing wrote out of bounds. */
  outsideUntouched(): boolean;
}

const GAP = 16;

/** Memory for buffers of the given lengths (floats), each filled with `init` or NaN. */
export function layout(lengths: Record<string, number>, init: Record<string, ArrayLike<number>> = {}): {
  bytes: number;
  place(memory: { buffer: ArrayBufferLike }): Buffers;
} {
  const at = new Map<string, { offset: number; length: number }>();
  let offset = GAP * 4;
  for (const [name, length] of Object.entries(lengths)) {
    at.set(name, { offset, length });
    offset += Math.ceil((length + GAP) / 4) * 16;
  }
  return {
    bytes: offset + GAP * 4,
    place(memory) {
      new Float32Array(memory.buffer).fill(Number.NaN);
      const view = (name: string): Float32Array => {
        const b = at.get(name);
        if (!b) throw new Error(`no buffer ${name}`);
        return new Float32Array(memory.buffer, b.offset, b.length);
      };
      for (const [name, values] of Object.entries(init)) view(name).set(values);
      const outsideUntouched = (): boolean => {
        const all = new Float32Array(memory.buffer, 0, offset / 4 + GAP);
        const inside = new Uint8Array(all.length);
        for (const b of at.values()) inside.fill(1, b.offset / 4, b.offset / 4 + b.length);
        return all.every((v, i) => inside[i] === 1 || Number.isNaN(v));
      };
      return { address: (name) => at.get(name)!.offset, view, outsideUntouched };
    },
  };
}

/** Validates the module in wabt and the engine, and instantiates it on a fresh memory. */
export async function load<Name extends string>(
  m: ModuleBuilder,
  names: readonly Name[],
  bytes: number,
): Promise<{ kernels: Record<Name, WasmKernel>; memory: { buffer: ArrayBufferLike } }> {
  const code = m.toBytes();
  await wabtValidate(code);
  if (!isValidWasm(code)) throw new Error("the engine rejects the module");
  const memory = createWasmMemory(bytes);
  return { kernels: instantiateKernels(code, memory, names), memory };
}

/** A deterministic pseudo-random float in [-1, 1) (no dependency on the runtime's RNG). */
export function sequence(length: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  });
}
