import { describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors, SafetensorsError, toFloatArray, type SafeTensor } from "../../runtime/safetensors.js";

/** A safetensors file built by hand to the spec: u64 LE header length, JSON header padded with spaces, data. */
function fileOf(header: unknown, data: number[] = [], pad = true): Uint8Array {
  let json = typeof header === "string" ? header : JSON.stringify(header);
  if (pad) while ((json.length % 8) !== 0) json += " ";
  const headerBytes = new TextEncoder().encode(json);
  const bytes = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  bytes.set(data, 8 + headerBytes.length);
  return bytes;
}

function littleEndianF32(values: number[]): number[] {
  return Array.from(new Uint8Array(Float32Array.from(values).buffer));
}

describe("safetensors encoding", () => {
  it("round-trips tensors of every dtype and the metadata", () => {
    const tensors: SafeTensor[] = [
      { name: "w", dtype: "F32", shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6.5) },
      { name: "d", dtype: "F64", shape: [2], data: Float64Array.of(Math.PI, -0) },
      { name: "i", dtype: "I32", shape: [3], data: Int32Array.of(-1, 0, 7) },
      { name: "u", dtype: "U32", shape: [1], data: Uint32Array.of(4294967295) },
      { name: "b", dtype: "BOOL", shape: [2], data: Uint8Array.of(1, 0) },
      { name: "l", dtype: "I64", shape: [1], data: BigInt64Array.of(-5n) },
      { name: "h", dtype: "F16", shape: [1], data: Uint16Array.of(0x3c00) },
      { name: "scalar", dtype: "F32", shape: [], data: Float32Array.of(42) },
      { name: "empty", dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
    ];
    const bytes = encodeSafetensors(tensors, { note: "hello" });
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ note: "hello" });
    for (const t of tensors) expect(decoded.tensors.get(t.name)).toEqual(t);
  });

  it("writes Python's layout: compact JSON, __metadata__ first, spaces to 8 bytes, largest dtypes first", () => {
    const bytes = encodeSafetensors(
      [
        { name: "a", dtype: "F32", shape: [2], data: Float32Array.of(1, 2) },
        { name: "b", dtype: "F64", shape: [1], data: Float64Array.of(3) },
      ],
      { format: "pt" },
    );
    const header = '{"__metadata__":{"format":"pt"},"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}';
    const expected = fileOf(header, [...Array.from(new Uint8Array(Float64Array.of(3).buffer)), ...littleEndianF32([1, 2])]);
    expect(bytes).toEqual(expected);
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
  });

  it("rejects bad input to the encoder", () => {
    const t = (over: Partial<SafeTensor>): SafeTensor => ({ name: "x", dtype: "F32", shape: [2], data: new Float32Array(2), ...over });
    expect(() => encodeSafetensors([t({}), t({})])).toThrow(/'x' is given twice/);
    expect(() => encodeSafetensors([t({ shape: [3] })])).toThrow(/holds 3 values, the data has 2/);
    expect(() => encodeSafetensors([t({ data: new Float64Array(2) })])).toThrow(/F32 data must be a Float32Array, got Float64Array/);
    expect(() => encodeSafetensors([t({ name: "__metadata__" })])).toThrow(SafetensorsError);
  });
});

describe("safetensors decoding", () => {
  it("reads a file laid out as Python's safetensors writes it", () => {
    const header = '{"__metadata__":{"format":"pt"},"layer.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"layer.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}';
    const decoded = decodeSafetensors(fileOf(header, littleEndianF32([0.5, -0.5, 1, 2, 3, 4])));
    expect(decoded.metadata).toEqual({ format: "pt" });
    expect([...decoded.tensors.keys()]).toEqual(["layer.bias", "layer.weight"]);
    expect(decoded.tensors.get("layer.weight")).toEqual({ name: "layer.weight", dtype: "F32", shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) });
  });

  it("reads a header without padding and without metadata, from a view into a larger buffer", () => {
    const file = fileOf({ x: { dtype: "I32", shape: [1], data_offsets: [0, 4] } }, [7, 0, 0, 0], false);
    const inBigger = new Uint8Array(file.length + 3);
    inBigger.set(file, 3);
    const decoded = decodeSafetensors(inBigger.subarray(3));
    expect(decoded.tensors.get("x")!.data).toEqual(Int32Array.of(7));
    expect(decoded.metadata).toEqual({});
  });

  it("reads from a Node Buffer in a shared pool (whose slice() is a view, not a copy)", () => {
    const file = encodeSafetensors([{ name: "state", dtype: "U32", shape: [4], data: Uint32Array.of(1, 2, 3, 4) }]);
    const pooled = Buffer.from(file); // small Buffers share one pool ArrayBuffer
    expect(pooled.buffer.byteLength).toBeGreaterThan(file.length);
    expect(decodeSafetensors(pooled).tensors.get("state")!.data).toEqual(Uint32Array.of(1, 2, 3, 4));
  });

  const f32 = (shape: number[], offsets: unknown) => ({ dtype: "F32", shape, data_offsets: offsets });
  const malformed: [string, Uint8Array, RegExp][] = [
    ["a file shorter than 8 bytes", Uint8Array.of(1, 2, 3), /3 bytes, shorter than the 8-byte header length/],
    ["a header length past the end", (() => { const b = fileOf({}); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), /header length 1000 runs past the end of the file \(16 bytes\)/],
    ["a header length over the bound", (() => { const b = fileOf({}); new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true); return b; })(), /over the 100000000-byte limit/],
    ["invalid UTF-8", (() => { const b = fileOf("{}      "); b[9] = 0xff; return b; })(), /not valid UTF-8/],
    ["invalid JSON", fileOf('{"a": '), /not valid JSON/],
    ["a header that is not an object", fileOf("[1, 2]"), /must be a JSON object/],
    ["an unknown dtype", fileOf({ x: { dtype: "F128", shape: [1], data_offsets: [0, 16] } }, new Array(16).fill(0)), /tensor 'x': unknown or unsupported dtype "F128"/],
    ["a negative dimension", fileOf({ x: f32([-1], [0, 4]) }, [0, 0, 0, 0]), /shape \[-1\] is not a list of non-negative integers/],
    ["a fractional dimension", fileOf({ x: f32([1.5], [0, 4]) }, [0, 0, 0, 0]), /shape \[1.5\] is not a list/],
    ["offsets that do not match the shape", fileOf({ x: f32([2], [0, 4]) }, [0, 0, 0, 0]), /hold 4 bytes, but F32 \[2\] needs 8/],
    ["offsets reversed", fileOf({ x: f32([0], [4, 0]) }, [0, 0, 0, 0]), /must be \[begin, end\] with 0 <= begin <= end/],
    ["offsets outside the data", fileOf({ x: f32([2], [0, 8]) }, [0, 0, 0, 0]), /run past the data section \(4 bytes\)/],
    ["overlapping tensors", fileOf({ x: f32([2], [0, 8]), y: f32([1], [4, 8]) }, new Array(8).fill(0)), /tensor 'y': data_offsets \[4, 8\] overlap tensor 'x' \[0, 8\]/],
    ["a gap between tensors", fileOf({ x: f32([1], [0, 4]), y: f32([1], [8, 12]) }, new Array(12).fill(0)), /unused bytes \[4, 8\) before tensor 'y'/],
    ["trailing bytes", fileOf({ x: f32([1], [0, 4]) }, new Array(6).fill(0)), /2 bytes after the last tensor/],
    ["metadata that is not a string map", fileOf({ __metadata__: { epoch: 3 } }), /'__metadata__' entry 'epoch' must be a string/],
    ["an entry that is not an object", fileOf({ x: 5 }), /tensor 'x': header entry must be an object/],
  ];
  it.each(malformed)("rejects %s with one clear line", (_what, bytes, message) => {
    let error: unknown;
    try {
      decodeSafetensors(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SafetensorsError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });
});

describe("toFloatArray", () => {
  it("widens F16 and BF16 exactly and converts between float widths", () => {
    // 0x3c00 = 1, 0xc000 = -2, 0x0001 = 2^-24 (smallest subnormal), 0x7c00 = inf
    const half: SafeTensor = { name: "h", dtype: "F16", shape: [4], data: Uint16Array.of(0x3c00, 0xc000, 0x0001, 0x7c00) };
    expect(Array.from(toFloatArray(half, "float64"))).toEqual([1, -2, 2 ** -24, Infinity]);
    // BF16 is the top half of a float32: 0x3fc0 = 1.5, 0xbf80 = -1
    const brain: SafeTensor = { name: "b", dtype: "BF16", shape: [2], data: Uint16Array.of(0x3fc0, 0xbf80) };
    expect(Array.from(toFloatArray(brain, "float32"))).toEqual([1.5, -1]);
    const double: SafeTensor = { name: "d", dtype: "F64", shape: [1], data: Float64Array.of(0.1) };
    expect(toFloatArray(double, "float32")).toEqual(Float32Array.of(0.1));
    expect(() => toFloatArray({ name: "i", dtype: "I32", shape: [1], data: Int32Array.of(1) }, "float32")).toThrow(/'i' has dtype I32, expected a float dtype/);
  });
});
