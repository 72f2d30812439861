// `tsc -p bench/tsconfig.json && node node_modules/.cache/neuron-bench/bench/wasm-dense.js
// [--quick]`: the WebAssembly SIMD dense kernels (compiler/wasm/dense.ts) against the
// JavaScript dense kernels the emitter writes today (compiler/ir/ops/dense.ts, zero-skipping
// off: every multiply-add done), and against two ceilings measured by the same run on one
// thread: the best of six SIMD matmuls (both product forms of compiler/wasm/products.ts, a few
// register blocks, square operands that fit in L2, no remainders) and the plain-JavaScript
// 4x4 matmul of matmul-ceiling.ts. GFLOP/s = 2 * multiply-adds / best time of a call (best of many
// repetitions). Run on an otherwise idle machine; one process, one thread.
import { denseBackward, denseForward, type DenseBlocks, type DenseKernelShape } from "../compiler/wasm/dense.js";
import { ModuleBuilder } from "../compiler/wasm/module.js";
import { createWasmMemory, hasWasmSimd, instantiateKernels } from "../runtime/wasm.js";
import { jsDense, jsDenseArguments } from "../reference/js-dense.js";
import { measureMatmulCeiling } from "./matmul-ceiling.js";
import { Arena, bestRate, fill, measureSimdCeiling } from "./simd-ceiling.js";

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 0.3 : 1.5;
const rate = (flops: number, run: () => void) => bestRate(flops, SECONDS, run);

interface Row {
  what: string;
  gflops: number;
}

interface DenseCase {
  label: string;
  batch: number;
  shape: DenseKernelShape;
}

function denseRates(c: DenseCase, blocks?: DenseBlocks): { wasmForward: number; jsForward: number; wasmBackward: number; jsBackward: number } {
  const { batch: n, shape } = c;
  const { inWidth: K, out: N } = shape;
  const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
  const forwardParams = denseForward(m, "forward", shape, blocks);
  const backwardParams = denseBackward(m, "backward", shape, { x: "assign", w: "assign", b: "assign" }, blocks);
  const arena = new Arena();
  const sizes: Record<string, number> = { x0: n * K, x1: N * K, x2: N, y: n * N, gy: n * N, gx0: n * K, gx1: N * K, gx2: N, s0: N * 2 };
  const at: Record<string, number> = {};
  for (const [name, length] of Object.entries(sizes)) at[name] = arena.reserve(length * 4);
  const memory = createWasmMemory(arena.bytes);
  const view = (name: string) => new Float32Array(memory.buffer, at[name]!, sizes[name]!);
  fill(view("x0"), 3);
  fill(view("x1"), 4);
  fill(view("x2"), 5);
  fill(view("gy"), 6);
  const kernels = instantiateKernels(m.toBytes(), memory, ["forward", "backward"]);
  const address = (names: string[]) => names.slice(1).map((p) => at[p]!);
  const fArgs = address(forwardParams);
  const bArgs = address(backwardParams);
  const flops = 2 * n * K * N;
  const gy = new Float32Array(view("gy"));
  const wasmForward = rate(flops, () => kernels.forward(n, ...fArgs));
  // The backward pass rewrites gy in place behind a relu; these shapes have none.
  const wasmBackward = rate(2 * flops, () => kernels.backward(n, ...bArgs));
  // The JavaScript kernels on ordinary typed arrays (a view of the memory would do the same).
  const js = jsDense(shape, { x: "assign", w: "assign", b: "assign" });
  const arrays = Object.fromEntries(Object.entries(sizes).map(([k, len]) => [k, k === "s0" ? new Float64Array(len) : new Float32Array(len)]));
  (arrays["x0"] as Float32Array).set(view("x0"));
  (arrays["x1"] as Float32Array).set(view("x1"));
  (arrays["x2"] as Float32Array).set(view("x2"));
  (arrays["gy"] as Float32Array).set(gy);
  const args = jsDenseArguments.map((k) => arrays[k]!);
  const jsForward = rate(flops, () => js.forward(n, ...args));
  const jsBackward = rate(2 * flops, () => js.backward(n, ...args));
  return { wasmForward, jsForward, wasmBackward, jsBackward };
}

function main(): void {
  if (!hasWasmSimd()) {
    process.stderr.write("wasm-dense: this engine has no WebAssembly SIMD\n");
    process.exitCode = 1;
    return;
  }
  const rows: Row[] = [];
  const ceilingSize = 128;
  const ceiling = measureSimdCeiling(ceilingSize, SECONDS);
  const simd = ceiling.gflops;
  const jsCeiling = measureMatmulCeiling(ceilingSize, SECONDS * 2);
  rows.push({ what: `SIMD matmul ceiling (${ceilingSize}^3, best: ${ceiling.best})`, gflops: simd });
  rows.push({ what: `plain-JS matmul ceiling (${ceilingSize}^3, 4x4 block)`, gflops: jsCeiling });
  const fmt = (v: number) => v.toFixed(2);
  const lines: string[] = [];
  lines.push(`node ${process.version}, one thread${quick ? ", --quick" : ""}`);
  lines.push("");
  lines.push("| ceiling | GFLOP/s |", "| --- | --- |");
  for (const r of rows) lines.push(`| ${r.what} | ${fmt(r.gflops)} |`);
  lines.push("");
  const plain = (batch: number, inWidth: number, out: number): DenseCase => ({
    label: `batch ${batch}, ${inWidth} -> ${out}`,
    batch,
    shape: { rowsPerSample: 1, inWidth, out, bias: true, activation: "identity" },
  });
  const cases = [plain(32, 784, 128), plain(128, 784, 128), plain(32, 128, 10), plain(1, 784, 128), plain(128, 256, 256), plain(33, 127, 61)];
  lines.push(
    "| dense | wasm fwd | JS fwd | wasm/JS | wasm fwd of SIMD ceiling | wasm bwd (dx+dW) | JS bwd | wasm/JS |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const c of cases) {
    const r = denseRates(c);
    lines.push(
      `| ${c.label} | ${fmt(r.wasmForward)} | ${fmt(r.jsForward)} | ${fmt(r.wasmForward / r.jsForward)}x | ${Math.round((100 * r.wasmForward) / simd)}% | ` +
        `${fmt(r.wasmBackward)} | ${fmt(r.jsBackward)} | ${fmt(r.wasmBackward / r.jsBackward)}x |`,
    );
  }
  lines.push("");
  lines.push("| register blocks (forward rows x cols; backward rows x vectors), batch 128, 784 -> 128 | wasm fwd | wasm bwd |", "| --- | --- | --- |");
  const blockChoices: DenseBlocks[] = [
    { forward: { rows: 4, cols: 2 }, backward: { rows: 4, vectors: 2 } },
    { forward: { rows: 4, cols: 3 }, backward: { rows: 4, vectors: 3 } },
    { forward: { rows: 3, cols: 3 }, backward: { rows: 3, vectors: 2 } },
    { forward: { rows: 2, cols: 4 }, backward: { rows: 2, vectors: 4 } },
    { forward: { rows: 4, cols: 4 }, backward: { rows: 4, vectors: 4 } },
  ];
  for (const blocks of blockChoices) {
    const r = denseRates(plain(128, 784, 128), blocks);
    lines.push(`| ${blocks.forward.rows}x${blocks.forward.cols}; ${blocks.backward.rows}x${blocks.backward.vectors} | ${fmt(r.wasmForward)} | ${fmt(r.wasmBackward)} |`);
  }
  process.stdout.write(lines.join("\n") + "\n");
}

main();
