// The checks every emitted model module makes, written once here instead of pasted into each
// module: the caller's arrays, the batch size, loaded weights, and the search for a first
// non-finite value. Each failure names the tensor and says what was expected.

import type { FloatArray, ModelInfo } from "./model.js";

type Arrays = Readonly<Record<string, FloatArray | Int32Array>>;

/** The float32 or float64 array constructor of a model's dtype (the module's `F`). */
export interface FloatType<T extends FloatArray> {
  new (length: number): T;
  readonly name: string;
}

function own(record: Arrays, what: string, name: string): FloatArray | Int32Array {
  const a = Object.hasOwn(record, name) ? record[name] : undefined;
  if (a === undefined) throw new Error(`missing ${what} '${name}'`);
  return a;
}

// A length other than the batch's is a caller's mistake (a wrong shape, a wrong size), never
// something to read part of silently.
function checkLength(a: ArrayLike<number>, what: string, name: string, n: number, per: number): void {
  if (a.length !== n * per) throw new Error(`${what} '${name}' has ${a.length} values; a batch of ${n} needs exactly ${n * per} (${per} per sample)`);
}

/** The samples in `predict`'s inputs when no size is given: input `name`'s length over its sample size `per`. */
export function samplesIn(record: Arrays, name: string, per: number): number {
  const a = own(record, "input", name);
  if (a.length % per !== 0) throw new Error(`input '${name}' has ${a.length} values, not a whole number of samples of ${per}`);
  return a.length / per;
}

/** The caller's float tensor `name`, of the model's element type, `per` values for each of `n` samples. */
export function floatArg<T extends FloatArray>(type: FloatType<T>, record: Arrays, what: string, name: string, n: number, per: number): T {
  const a = own(record, what, name);
  if (!(a instanceof type)) {
    const dtype = type.name === "Float64Array" ? "float64" : "float32";
    throw new Error(`${what} '${name}' must be a ${type.name} (this model's dtype is ${dtype}), got ${a.constructor.name}`);
  }
  checkLength(a, what, name, n, per);
  return a;
}

/** The caller's integer tensor `name`: an Int32Array of `per` values for each of `n` samples, each in 0..vocab-1. */
export function intArg(record: Arrays, what: string, name: string, n: number, per: number, vocab: number): Int32Array {
  const a = own(record, what, name);
  if (!(a instanceof Int32Array)) throw new Error(`${what} '${name}' holds integers and must be an Int32Array, got ${a.constructor.name}`);
  checkLength(a, what, name, n, per);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (!(v >= 0 && v < vocab)) throw new Error(`${what} '${name}' value ${v} at index ${i} is outside 0..${vocab - 1}`);
  }
  return a;
}

/** `maxBatch` when it is a positive integer. */
export function checkMaxBatch(maxBatch: number): number {
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch must be a positive integer, got ${maxBatch}`);
  return maxBatch;
}

/** `size` when it is a batch size from 1 to `maxBatch`. */
export function checkBatchSize(size: number, maxBatch: number): number {
  if (!Number.isInteger(size) || size < 1 || size > maxBatch) {
    throw new Error(`batch size must be an integer from 1 to maxBatch (${maxBatch}), got ${size}`);
  }
  return size;
}

/** Refuses weights `setWeights` cannot load: a missing parameter, a wrong length, a non-finite value. */
export function checkParameterValues(params: ModelInfo["params"], weights: ReadonlyMap<string, FloatArray>): void {
  for (const p of params) {
    const values = weights.get(p.name);
    if (values === undefined) throw new Error(`missing weight '${p.name}' (shape [${p.shape.join(", ")}])`);
    const expected = p.shape.reduce((a, b) => a * b, 1);
    if (values.length !== expected) throw new Error(`weight '${p.name}' has ${values.length} values, shape [${p.shape.join(", ")}] needs ${expected}`);
    // A NaN hidden behind a relu would let evaluation report a finite loss of a broken model.
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new Error(`weight '${p.name}' holds ${values[i]} at index ${i}: weights must be finite numbers`);
    }
  }
}

/** The first non-finite value among the first `length` of each buffer, as "what at index i", or null. */
export function firstNonFinite(buffers: readonly (readonly [string, ArrayLike<number>, number])[]): string | null {
  for (const [what, data, length] of buffers) {
    for (let i = 0; i < length; i++) if (!Number.isFinite(data[i])) return `${what} at index ${i}`;
  }
  return null;
}
