import { describe, expect, it } from "vitest";
import { ModuleBuilder } from "../../compiler/wasm/module.js";
import {
  createWasmMemory,
  hasSharedWasmMemory,
  hasWasmSimd,
  instantiateKernels,
  isValidWasm,
  simdProbeBytes,
  WASM_PAGE_BYTES,
} from "../../runtime/wasm.js";

describe("runtime/wasm", () => {
  it("probes SIMD with the module the encoder writes for a function returning v128.const 0", () => {
    const m = new ModuleBuilder();
    m.function("probe", [], ["v128"], false).i32x4Const([0, 0, 0, 0]);
    expect(simdProbeBytes()).toEqual(m.toBytes());
    // Node 20 has SIMD; the probe must say so, and must reject a corrupted module.
    expect(hasWasmSimd()).toBe(true);
    const broken = simdProbeBytes();
    broken[broken.length - 1] = 0x00;
    expect(isValidWasm(broken)).toBe(false);
  });

  it("instantiates synchronously against a given memory, and the kernel sees the caller's views", () => {
    const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
    // scale(p, count, k): p[i] *= k, four lanes at a time (count a multiple of 4)
    const f = m.function("scale", [["p", "i32"], ["count", "i32"], ["k", "f32"]]);
    const [p, count, k] = [f.ref("p"), f.ref("count"), f.ref("k")];
    const end = f.local("end", "i32");
    f.get(p).get(count).i32Const(2).op("i32.shl").op("i32.add").set(end);
    f.forLoop(p, () => f.get(p), () => f.get(end), 16, "each", () => {
      f.get(p).get(p).load("v128").get(k).op("f32x4.splat").op("f32x4.mul").store("v128");
    });
    const memory = createWasmMemory(100_000);
    expect(memory.buffer.byteLength).toBe(2 * WASM_PAGE_BYTES);
    const view = new Float32Array(memory.buffer, 64, 8);
    view.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const { scale } = instantiateKernels(m.toBytes(), memory, ["scale"]);
    scale(64, 8, 0.5);
    expect(Array.from(view)).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]);
  });

  it("makes a shared memory where the engine can, and names a kernel the module lacks", () => {
    expect(hasSharedWasmMemory()).toBe(true);
    const shared = createWasmMemory(1, { shared: true, maximumBytes: 4 * WASM_PAGE_BYTES });
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1, maximumPages: 4, shared: true });
    m.function("nothing", []);
    expect(() => instantiateKernels(m.toBytes(), shared, ["something"])).toThrow(/exports no kernel 'something'/);
    expect(instantiateKernels(m.toBytes(), shared, ["nothing"]).nothing()).toBeUndefined();
  });
});
