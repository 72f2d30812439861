// What WebAssembly SIMD can do on this machine, one thread: the best of a few register-blocked
// f32x4 matrix products (both product forms of compiler/wasm/products.ts) on square operands
// that stay in L2, with no remainders. The wasm kernels' GFLOP/s are read against it.
import type { FunctionBuilder } from "../compiler/wasm/function.js";
import { ModuleBuilder } from "../compiler/wasm/module.js";
import { broadcastProduct, dotProduct } from "../compiler/wasm/products.js";
import { createWasmMemory, instantiateKernels } from "../runtime/wasm.js";

/** Best GFLOP/s of `run` over about `seconds`, timing enough calls per sample to be well above the clock's grain. */
export function bestRate(flops: number, seconds: number, run: () => void): number {
  run();
  let calls = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) run();
    if (performance.now() - start > 5) break;
    calls *= 2;
  }
  let best = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) run();
    best = Math.max(best, (flops * calls) / ((performance.now() - start) / 1000) / 1e9);
  }
  return best;
}

/** Deterministic small values, so no product meets denormals or overflow. */
export function fill(a: Float32Array, seed: number): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = (((i * 7919 + seed * 104729) % 1000) / 1000 - 0.5) * 0.2;
  return a;
}

/** Byte regions laid out one after another in a memory, 16-byte aligned with a gap between them. */
export class Arena {
  private next = 64;
  reserve(bytes: number): number {
    const offset = this.next;
    this.next += Math.ceil(bytes / 16) * 16 + 64;
    return offset;
  }
  get bytes(): number {
    return this.next + 64;
  }
}

export interface SimdCeiling {
  gflops: number;
  /** Which form and register block gave it. */
  best: string;
}

export function measureSimdCeiling(size: number, seconds: number): SimdCeiling {
  const forms: { label: string; build: (f: FunctionBuilder) => void }[] = [];
  for (const [r, v] of [[4, 2], [4, 3], [2, 4]] as const) {
    forms.push({
      label: `C = A B, ${r} rows x ${v} f32x4`,
      build: (f) =>
        broadcastProduct(f, "mm", {
          rows: size,
          cols: size,
          depth: size,
          a: { base: f.ref("a"), rowStride: size * 4, depthStride: 4 },
          b: { base: f.ref("b"), depthStride: size * 4 },
          c: { base: f.ref("c"), rowStride: size * 4 },
          store: "assign",
          blockRows: r,
          blockVectors: v,
        }),
    });
  }
  for (const [r, c] of [[4, 2], [2, 4], [3, 3]] as const) {
    forms.push({
      label: `C = A B^T, ${r} x ${c} f32x4`,
      build: (f) =>
        dotProduct(f, "mm", { rows: size, cols: size, depth: size, a: f.ref("a"), b: f.ref("b"), c: f.ref("c"), bias: null, relu: false, blockRows: r, blockCols: c }),
    });
  }
  let best: SimdCeiling = { gflops: 0, best: "" };
  for (const form of forms) {
    const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
    form.build(m.function("matmul", [["a", "i32"], ["b", "i32"], ["c", "i32"]]));
    const arena = new Arena();
    const [a, b, c] = [arena.reserve(size * size * 4), arena.reserve(size * size * 4), arena.reserve(size * size * 4)];
    const memory = createWasmMemory(arena.bytes);
    fill(new Float32Array(memory.buffer, a, size * size), 1);
    fill(new Float32Array(memory.buffer, b, size * size), 2);
    const { matmul } = instantiateKernels(m.toBytes(), memory, ["matmul"]);
    const gflops = bestRate(2 * size ** 3, seconds, () => matmul(a, b, c));
    if (gflops > best.gflops) best = { gflops, best: form.label };
  }
  return best;
}
