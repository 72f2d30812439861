// The buffer table of an emitted module (runtime/buffers.ts): sizes, arrays or views of one
// memory, and the buffers findNonFinite checks, in order.

import { describe, expect, it } from "vitest";
import { allocateBuffers, bufferBytes, parameterBuffers, watchedBuffers, type BufferTable } from "../../runtime/buffers.js";
import { CACHE_LINE, createModelMemory, WasmKernelModule } from "../../runtime/wasm.js";

const table = {
  ids: ["Int32Array", 3, 0],
  weight: ["F", 0, 5],
  hidden_out: ["F", 4, 0, "hidden [n, 4]"],
  sums: ["Float64Array", 0, 3],
  // Both parts: per sample and fixed (a sparse product's offsets).
  nonzeros: ["F", 2, 7],
  grad_hidden_out: ["F", 4, 0, "gradient of hidden [n, 4]"],
  out: ["F", 1, 0, "out [n, 1]"],
} as const satisfies BufferTable;

describe("bufferBytes", () => {
  it("sizes every buffer for maxBatch samples, per-sample and fixed parts both, by element type", () => {
    expect(bufferBytes(table, 10)).toEqual([120, 20, 160, 24, 108, 160, 40]);
  });
});

describe("allocateBuffers", () => {
  it("gives each buffer its own zeroed array of its type and length", () => {
    const b = allocateBuffers(table, 10, Float32Array);
    expect(b.ids).toBeInstanceOf(Int32Array);
    expect(b.sums).toBeInstanceOf(Float64Array);
    expect(b.weight).toBeInstanceOf(Float32Array);
    expect([b.ids.length, b.weight.length, b.hidden_out.length, b.sums.length, b.nonzeros.length]).toEqual([30, 5, 40, 3, 27]);
    expect(b.hidden_out.buffer).not.toBe(b.out.buffer);
    expect(b.nonzeros.every((v) => v === 0)).toBe(true);
  });

  it("makes float64 arrays for a float64 model's F", () => {
    const b = allocateBuffers(table, 2, Float64Array);
    expect(b.weight).toBeInstanceOf(Float64Array);
    expect(b.ids).toBeInstanceOf(Int32Array);
  });

  it("with a memory, views each buffer's own region, disjoint and in table order", () => {
    const bytes = bufferBytes(table, 10);
    const memory = createModelMemory(new WasmKernelModule("", [], [], 0), bytes, "js");
    const b = allocateBuffers(table, 10, Float32Array, memory);
    const views = Object.values(b);
    views.forEach((view, i) => {
      expect(view.buffer).toBe(memory.buffer);
      expect(view.byteOffset).toBe(memory.offsets[i]);
      expect(view.byteLength).toBe(bytes[i]);
    });
    // The fixed part of a buffer with both parts is in its region: writing its last element leaves the next buffer alone.
    b.nonzeros[b.nonzeros.length - 1] = 1;
    expect(b.grad_hidden_out[0]).toBe(0);
  });

  it("with a memory, starts every buffer on a cache line of its own, so that threads writing neighbouring buffers share no line", () => {
    const memory = createModelMemory(new WasmKernelModule("", [], [], 0), bufferBytes(table, 3), "js");
    for (const offset of memory.offsets) expect(offset % CACHE_LINE).toBe(0);
    expect(new Set(memory.offsets.map((o) => o / CACHE_LINE)).size).toBe(memory.offsets.length);
  });

  it("refuses a memory with fewer regions than the table has buffers", () => {
    expect(() => allocateBuffers(table, 1, Float32Array, { buffer: new ArrayBuffer(1024), offsets: [0, 16] })).toThrow(/no region for buffer 2 \('hidden_out'\)/);
  });
});

describe("watchedBuffers", () => {
  const b = allocateBuffers(table, 10, Float32Array);

  it("lists the activations, or the gradients, with their labels and their lengths for n samples", () => {
    expect(watchedBuffers(table, b, 3, false)).toEqual([
      ["hidden [n, 4]", b.hidden_out, 12],
      ["out [n, 1]", b.out, 3],
    ]);
    expect(watchedBuffers(table, b, 3, true)).toEqual([["gradient of hidden [n, 4]", b.grad_hidden_out, 12]]);
  });
});

describe("parameterBuffers", () => {
  const params = { w: ["F", 0, 4], grad_w: ["F", 0, 4], frozen: ["F", 0, 2], sums: ["Float64Array", 0, 2], ids: ["Int32Array", 0, 2] } as const satisfies BufferTable;
  const b = allocateBuffers(params, 1, Float32Array);

  it("pairs each parameter's buffer with its grad_ buffer, or null where it is not trainable", () => {
    const pairs = parameterBuffers<Float32Array>(b, [{ name: "w", trainable: true }, { name: "frozen", trainable: false }], ["w", "frozen"]);
    expect(pairs).toEqual([[b.w, b.grad_w], [b.frozen, null]]);
    expect(pairs[0]![0]).toBe(b.w);
    expect(pairs[0]![1]).toBe(b.grad_w);
  });

  it("refuses a missing buffer, an integer one, or a count other than the parameters'", () => {
    expect(() => parameterBuffers(b, [{ name: "f", trainable: true }], ["frozen"])).toThrow(/parameter 'f' has no float buffer 'grad_frozen'/);
    expect(() => parameterBuffers(b, [{ name: "i", trainable: false }], ["ids"])).toThrow(/no float buffer 'ids'/);
    expect(() => parameterBuffers(b, [{ name: "w", trainable: true }], [])).toThrow(/0 parameter buffers named for 1 parameters/);
  });
});
