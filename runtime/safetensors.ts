// The safetensors format (https://github.com/huggingface/safetensors), read and written
// without I/O so that it also works in a browser:
//
//   8 bytes   N, the header's length, unsigned little-endian 64-bit
//   N bytes   a JSON object, UTF-8, padded with spaces: for each tensor
//             "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
//             and optionally "__metadata__": {string: string}
//   the rest  the data section; [begin, end) are byte offsets into it, little-endian values
//
// Everything in a file is validated before any of it is used, as the reference
// implementation does: the tensors must tile the data section exactly (no gap, no overlap),
// each range must be its shape's element count times its dtype's size. Every failure is a
// SafetensorsError whose message is one line naming what is wrong.

import { namedRecord } from "./records.js";

export class SafetensorsError extends Error {
  override readonly name = "SafetensorsError";
}

/** The safetensors dtypes this runtime reads and writes (all but the 8-bit float formats). */
export type SafetensorsDType = "BOOL" | "U8" | "I8" | "U16" | "I16" | "F16" | "BF16" | "U32" | "I32" | "F32" | "I64" | "U64" | "F64";

/** Element storage per dtype; F16 and BF16 are kept as their raw 16-bit patterns. */
export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export interface SafeTensor {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  data: TensorData;
}

export interface DecodedSafetensors {
  /** In the order of their data in the file. */
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

type TypedArrayConstructor = {
  new (buffer: ArrayBuffer): TensorData;
  new (length: number): TensorData;
  readonly BYTES_PER_ELEMENT: number;
};

const STORAGE: Record<SafetensorsDType, TypedArrayConstructor> = {
  BOOL: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  U16: Uint16Array,
  I16: Int16Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  U32: Uint32Array,
  I32: Int32Array,
  F32: Float32Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  F64: Float64Array,
};

/** The reference implementation's bound on the header, against hostile lengths. */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = "__metadata__";
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function isDType(value: unknown): value is SafetensorsDType {
  return typeof value === "string" && Object.hasOwn(STORAGE, value);
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d >= 0);
}

function checkHost(): void {
  if (!HOST_IS_LITTLE_ENDIAN) throw new SafetensorsError("safetensors needs a little-endian host");
}

/**
 * Serialises tensors in the layout Python's `safetensors` writes: the header as compact
 * JSON with `__metadata__` first, padded with spaces to a multiple of 8 bytes, and the data
 * ordered by element size (largest first, then by name) so that every tensor is aligned.
 */
export function encodeSafetensors(tensors: readonly SafeTensor[], metadata: Record<string, string> = {}): Uint8Array {
  checkHost();
  const names = new Set<string>();
  for (const t of tensors) {
    if (t.name === METADATA_KEY) throw new SafetensorsError(`a tensor cannot be named '${METADATA_KEY}'`);
    if (names.has(t.name)) throw new SafetensorsError(`tensor '${t.name}' is given twice`);
    names.add(t.name);
    if (!isDType(t.dtype)) throw new SafetensorsError(`tensor '${t.name}': unknown dtype '${String(t.dtype)}'`);
    if (!(t.data instanceof STORAGE[t.dtype])) {
      throw new SafetensorsError(`tensor '${t.name}': ${t.dtype} data must be a ${STORAGE[t.dtype].name}, got ${t.data.constructor.name}`);
    }
    if (!isShape(t.shape)) throw new SafetensorsError(`tensor '${t.name}': shape must be a list of non-negative integers`);
    if (elementCount(t.shape) !== t.data.length) {
      throw new SafetensorsError(`tensor '${t.name}': shape [${t.shape.join(", ")}] holds ${elementCount(t.shape)} values, the data has ${t.data.length}`);
    }
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") throw new SafetensorsError(`metadata '${key}' must be a string`);
  }

  const ordered = [...tensors].sort(
    (a, b) => b.data.BYTES_PER_ELEMENT - a.data.BYTES_PER_ELEMENT || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const header = namedRecord<unknown>();
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const t of ordered) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;

  const bytes = new Uint8Array(8 + headerLength + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const t of ordered) {
    bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return bytes;
}

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses and validates a safetensors file; throws a SafetensorsError on the first problem. */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  checkHost();
  if (bytes.length < 8) {
    throw new SafetensorsError(`not a safetensors file: ${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  }
  const n = Number(headerLength);
  if (8 + n > bytes.length) {
    throw new SafetensorsError(`header length ${n} runs past the end of the file (${bytes.length} bytes): the file is truncated or not safetensors`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError("header is not valid UTF-8");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(`header is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError("header must be a JSON object");
  }

  const metadata = readMetadata((parsed as Record<string, unknown>)[METADATA_KEY]);
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name !== METADATA_KEY) entries.push(readEntry(name, value));
  }

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of entries) {
    if (e.end > dataLength) {
      throw new SafetensorsError(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] run past the data section (${dataLength} bytes)`);
    }
    if (e.begin < covered) {
      const previous = entries.find((other) => other !== e && other.begin < e.end && e.begin < other.end)!;
      throw new SafetensorsError(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap tensor '${previous.name}' [${previous.begin}, ${previous.end}]`);
    }
    if (e.begin > covered) {
      throw new SafetensorsError(`data section has unused bytes [${covered}, ${e.begin}) before tensor '${e.name}'`);
    }
    covered = e.end;
  }
  if (covered !== dataLength) {
    throw new SafetensorsError(`data section has ${dataLength - covered} bytes after the last tensor (file is ${bytes.length} bytes, tensors end at ${dataStart + covered})`);
  }

  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    // Copy out, so that the typed array is aligned and owns its memory. (Not `bytes.slice`:
    // on a Node Buffer that is a view into a shared pool, not a copy.)
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    const data = new STORAGE[e.dtype](copy.buffer);
    tensors.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function readMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SafetensorsError(`'${METADATA_KEY}' must be an object of strings`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new SafetensorsError(`'${METADATA_KEY}' entry '${key}' must be a string, got ${JSON.stringify(v)}`);
  }
  return { ...(value as Record<string, string>) };
}

function readEntry(name: string, value: unknown): HeaderEntry {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SafetensorsError(`tensor '${name}': header entry must be an object with dtype, shape and data_offsets`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDType(dtype)) {
    throw new SafetensorsError(`tensor '${name}': unknown or unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(STORAGE).join(", ")})`);
  }
  if (!isShape(shape)) {
    throw new SafetensorsError(`tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new SafetensorsError(`tensor '${name}': data_offsets ${JSON.stringify(offsets)} must be [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const expected = elementCount(shape) * STORAGE[dtype].BYTES_PER_ELEMENT;
  if (end - begin !== expected) {
    throw new SafetensorsError(
      `tensor '${name}': data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} [${shape.join(", ")}] needs ${expected}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** A float tensor's values in the model's dtype (F16/BF16 widened exactly); throws for integer dtypes. */
export function toFloatArray(tensor: SafeTensor, dtype: "float32" | "float64"): Float32Array | Float64Array {
  const Out = dtype === "float64" ? Float64Array : Float32Array;
  switch (tensor.dtype) {
    case "F32":
    case "F64":
      return tensor.data instanceof Out ? tensor.data.slice() : Out.from(tensor.data as Float32Array | Float64Array);
    case "F16":
    case "BF16": {
      const bits = tensor.data as Uint16Array;
      const widen = tensor.dtype === "F16" ? halfToNumber : bfloat16ToNumber;
      const out = new Out(bits.length);
      for (let i = 0; i < bits.length; i++) out[i] = widen(bits[i]!);
      return out;
    }
    default:
      throw new SafetensorsError(`tensor '${tensor.name}' has dtype ${tensor.dtype}, expected a float dtype (F32, F64, F16 or BF16)`);
  }
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bfloat16Scratch = new Float32Array(1);
const bfloat16Bits = new Uint32Array(bfloat16Scratch.buffer);
function bfloat16ToNumber(bits: number): number {
  bfloat16Bits[0] = bits << 16;
  return bfloat16Scratch[0]!;
}
