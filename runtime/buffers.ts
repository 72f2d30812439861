// An emitted model's buffers, declared once in a table (`buffers` in the module) and made here:
// each its own array, or a view of its region of the one memory of the wasm back end. A
// deep model has hundreds of buffers, so a buffer written out as a field, an allocation and a
// findNonFinite row cost the module three lines each; the table is one line a buffer.

import type { FloatArray } from "./model.js";

/** A buffer's element type: "F" is the model's float type (its dtype). */
export type BufferType = "F" | "Int32Array" | "Float64Array";

/**
 * One buffer: its element type, its elements per sample and its fixed elements (sized for
 * maxBatch samples), and for a buffer findNonFinite checks, what it holds: an activation's
 * name and shape, or "gradient of" one.
 */
export type BufferLayout = readonly [type: BufferType, perSample: number, fixed: number, watched?: string];

export type BufferTable = Readonly<Record<string, BufferLayout>>;

/** The arrays of a table's buffers, by name, `F` the model's float array type. */
export type Buffers<T extends BufferTable, F extends FloatArray> = {
  readonly [K in keyof T]: T[K][0] extends "Int32Array" ? Int32Array : T[K][0] extends "Float64Array" ? Float64Array : F;
};

/** The prefix of a watched gradient's label: findNonFinite checks activations before gradients. */
export const GRADIENT_LABEL = "gradient of ";

const ELEMENT_BYTES: Record<BufferType, number> = { F: 4, Int32Array: 4, Float64Array: 8 };

function elements([, perSample, fixed]: BufferLayout, maxBatch: number): number {
  return perSample * maxBatch + fixed;
}

/** Each buffer's bytes in a float32 model's memory, in table order (createModelMemory's lengths). */
export function bufferBytes(table: BufferTable, maxBatch: number): number[] {
  return Object.values(table).map((b) => elements(b, maxBatch) * ELEMENT_BYTES[b[0]]);
}

/** The constructor of a buffer's arrays: the model's float arrays (the module's `F`), Int32Array or Float64Array. */
export interface ArrayType<A extends FloatArray | Int32Array> {
  new (length: number): A;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): A;
}

/**
 * Every buffer of `table` for `maxBatch` samples: its own zeroed array, or with `memory`, a
 * view of region i (`memory.offsets`, from bufferBytes' lengths in the same order).
 */
export function allocateBuffers<T extends BufferTable, A extends FloatArray>(
  table: T,
  maxBatch: number,
  F: ArrayType<A>,
  memory?: { readonly buffer: ArrayBuffer; readonly offsets: readonly number[] },
): Buffers<T, A> {
  const types = { F, Int32Array, Float64Array };
  const arrays: Record<string, FloatArray | Int32Array> = {};
  Object.entries(table).forEach(([name, b], i) => {
    const type: ArrayType<FloatArray | Int32Array> = types[b[0]];
    const length = elements(b, maxBatch);
    const offset = memory?.offsets[i];
    if (memory !== undefined && offset === undefined) throw new Error(`internal error: the memory has no region for buffer ${i} ('${name}')`);
    arrays[name] = memory === undefined || offset === undefined ? new type(length) : new type(memory.buffer, offset, length);
  });
  return arrays as Buffers<T, A>;
}

/**
 * findNonFinite's entries for the watched activations (`gradients` false) or gradients (true)
 * of `table`, in table order: [what it holds, the array, its length for `n` samples].
 */
export function watchedBuffers(
  table: BufferTable,
  buffers: Readonly<Record<string, ArrayLike<number>>>,
  n: number,
  gradients: boolean,
): [string, ArrayLike<number>, number][] {
  return Object.entries(table).flatMap(([name, b]) => {
    const what = b[3];
    const array = buffers[name];
    if (what === undefined || array === undefined || what.startsWith(GRADIENT_LABEL) !== gradients) return [];
    return [[what, array, elements(b, n)]];
  });
}

/** The name of a parameter's gradient buffer in the table: its buffer's, prefixed. */
export const GRADIENT_PREFIX = "grad_";

/**
 * Each parameter's buffer and its gradient's (GRADIENT_PREFIX and the parameter's buffer name;
 * null where it is not trainable), in the order of `params`, from their buffers' names.
 */
export function parameterBuffers<A extends FloatArray>(
  buffers: Readonly<Record<string, FloatArray | Int32Array>>,
  params: readonly { readonly name: string; readonly trainable: boolean }[],
  names: readonly string[],
): [A, A | null][] {
  const buffer = (name: string, param: string): A => {
    const array = buffers[name];
    if (array === undefined || array instanceof Int32Array) throw new Error(`internal error: parameter '${param}' has no float buffer '${name}'`);
    return array as A;
  };
  if (names.length !== params.length) throw new Error(`internal error: ${names.length} parameter buffers named for ${params.length} parameters`);
  return params.map((p, i) => [buffer(names[i]!, p.name), p.trainable ? buffer(`${GRADIENT_PREFIX}${names[i]!}`, p.name) : null]);
}
