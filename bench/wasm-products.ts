// The WebAssembly products of a benchmark model, each timed alone at the model's batch: every
// dense and conv2d kernel the wasm back end emits for it (forward, and the backward pass's
// rows and units parts as the training step calls them), on one thread, against the SIMD
// matmul ceiling of the same run. The kernels are built from the model's own IR by the
// emitter's table (compiler/wasm/ops.ts), so they are the ones `nnc train` runs.
import { compileToIr } from "../compiler/compile.js";
import type { ModelGraph } from "../compiler/graph.js";
import { differentiate } from "../compiler/ir/autodiff.js";
import type { IrOp, IrProgram } from "../compiler/ir/ir.js";
import type { ConvAttrs } from "../compiler/ir/ops/conv2d.js";
import { convGeometry } from "../compiler/ir/ops/conv2d.js";
import { opDef } from "../compiler/ir/ops/index.js";
import type { GradTarget, OpContext } from "../compiler/ir/ops/op.js";
import { ModuleBuilder } from "../compiler/wasm/module.js";
import { wasmOps, type WasmKernelPlan } from "../compiler/wasm/ops.js";
import { createWasmMemory, instantiateKernels, type WasmKernel } from "../runtime/wasm.js";
import { Arena, bestRate, fill, measureSimdCeiling, type SimdCeiling } from "./simd-ceiling.js";

export interface ProductRate {
  /** The layer, as the IR labels it. */
  layer: string;
  pass: "forward" | "backward";
  /** Multiply-adds of one call at the batch. */
  multiplyAdds: number;
  gflops: number;
}

/** Multiply-adds per sample of an op's product (its forward; a backward gradient costs the same). */
function productWork(program: IrProgram, op: IrOp): number {
  const [x, w] = op.inputs.map((i) => program.values[i]!);
  if (op.op === "dense") return (x!.size / w!.shape[1]!) * w!.shape[1]! * w!.shape[0]!;
  const g = convGeometry(x!.shape, op.attrs as ConvAttrs);
  return g.oh * g.ow * g.patch * g.filters;
}

function contextOf(program: IrProgram, op: IrOp): OpContext {
  return { op, attrs: op.attrs, inputs: op.inputs.map((i) => program.values[i]!), output: program.values[op.output]!, dtype: "float32" };
}

/** The plans a call runs in order (a backward pass is its rows part then its units part). */
function chain(plan: WasmKernelPlan | null): WasmKernelPlan[] {
  const plans: WasmKernelPlan[] = [];
  for (let p = plan; p !== null && p !== undefined; p = p.next ?? null) plans.push(p);
  return plans;
}

/** Bytes of a kernel parameter's buffer at batch `n` (ops/op.ts's naming convention). */
function bytesOf(program: IrProgram, op: IrOp, param: string, n: number): number {
  const ctx = contextOf(program, op);
  if (param === "y" || param === "gy") return ctx.output.size * n * 4;
  const scratch = /^s(\d+)$/.exec(param);
  if (scratch !== null) {
    const spec = opDef(op.op).scratch?.(ctx)[Number(scratch[1])];
    if (spec === undefined) throw new Error(`${op.label}: no scratch ${param}`);
    return (spec.perSample * n + spec.fixed) * (spec.float64 ? 8 : 4);
  }
  const input = /^g?x(\d+)$/.exec(param);
  if (input === null) throw new Error(`${op.label}: unknown kernel parameter ${param}`);
  const value = ctx.inputs[Number(input[1])]!;
  return value.size * (value.batched ? n : 1) * 4;
}

/** GFLOP/s of one call (every plan of the chain) of an op's kernels on buffers of batch `n`, doing `flops`. */
function timeCall(program: IrProgram, op: IrOp, plans: WasmKernelPlan[], n: number, flops: number, seconds: number): number {
  const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
  const params = plans.map((plan, i) => plan.build(m, `k${i}`));
  const arena = new Arena();
  const at = new Map<string, number>();
  for (const name of new Set(params.flat())) {
    if (name !== "n" && name !== "from" && name !== "to") at.set(name, arena.reserve(bytesOf(program, op, name, n)));
  }
  const memory = createWasmMemory(arena.bytes);
  for (const [name, offset] of at) {
    if (!name.startsWith("s")) fill(new Float32Array(memory.buffer, offset, bytesOf(program, op, name, n) / 4), name.length);
  }
  const kernels = instantiateKernels(m.toBytes(), memory, plans.map((_, i) => `k${i}`));
  const calls: [WasmKernel, number[]][] = plans.map((plan, i) => [
    kernels[`k${i}`]!,
    params[i]!.map((p) => (p === "n" ? n : p === "from" ? 0 : p === "to" ? (plan.units ?? 0) : at.get(p)!)),
  ]);
  // A gy that a fused relu masks in place turns partly to zeros after the first call; the
  // products do every multiply-add whatever the values, so the timing stands.
  return bestRate(flops, seconds, () => {
    for (const [kernel, args] of calls) kernel(...args);
  });
}

/**
 * Every dense and conv2d kernel of `graph` at batch `n`, forward and backward, each timed alone
 * for about `seconds`. GFLOP/s counts 2 per multiply-add of the products (the backward pass's
 * input and weight gradients that the step computes; bias sums and im2col are not counted).
 */
export function measureWasmProducts(graph: ModelGraph, n: number, seconds: number): ProductRate[] {
  const program = compileToIr(graph, { skipZeros: false });
  const schedule = differentiate(program);
  const rates: ProductRate[] = [];
  for (const op of program.ops) {
    if (op.op !== "dense" && op.op !== "conv2d") continue;
    const kernels = wasmOps[op.op];
    const forward = chain(kernels?.forward?.(contextOf(program, op)) ?? null);
    const step = schedule.steps.find((s) => s.op === op.id);
    const backward = step === undefined ? [] : chain(kernels?.backward?.({ ...contextOf(program, op), grads: step.grads }) ?? null);
    const work = productWork(program, op) * n;
    const gradients = step === undefined ? 0 : [step.grads[0], step.grads[1]].filter((g: GradTarget | null | undefined) => g).length;
    for (const [pass, plans, multiplyAdds] of [
      ["forward", forward, work],
      ["backward", backward, work * gradients],
    ] as const) {
      if (plans.length === 0 || multiplyAdds === 0) continue;
      rates.push({ layer: op.label, pass, multiplyAdds, gflops: timeCall(program, op, plans, n, 2 * multiplyAdds, seconds) });
    }
  }
  return rates;
}

export interface ModelProducts {
  example: string;
  batch: number;
  rates: ProductRate[];
  /** All of the model's products at once: their multiply-adds over the time they take together. */
  gflops: number;
}

export interface ProductsSummary {
  ceiling: SimdCeiling;
  models: ModelProducts[];
}

/** The SIMD ceiling, then every model's products at each of its batches, in one process. */
export function measureProducts(models: { example: string; graph: ModelGraph; batches: number[] }[], quick: boolean): ProductsSummary {
  const seconds = quick ? 0.3 : 1;
  // Measured before and after the kernels, the better kept: a best-of rate can only be
  // lowered by other work on the machine, and the ceiling must not be the one lowered.
  const before = measureSimdCeiling(128, seconds);
  const summary: ProductsSummary = { ceiling: before, models: [] };
  for (const { example, graph, batches } of models) {
    for (const batch of batches) {
      const rates = measureWasmProducts(graph, batch, seconds);
      const flops = rates.reduce((sum, r) => sum + 2 * r.multiplyAdds, 0);
      const time = rates.reduce((sum, r) => sum + (2 * r.multiplyAdds) / (r.gflops * 1e9), 0);
      summary.models.push({ example, batch, rates, gflops: flops / time / 1e9 });
    }
  }
  const after = measureSimdCeiling(128, seconds);
  if (after.gflops > before.gflops) summary.ceiling = after;
  return summary;
}

export function renderProducts({ ceiling, models }: ProductsSummary): string {
  const percent = (gflops: number) => `${Math.round((100 * gflops) / ceiling.gflops)}%`;
  const lines = ["", "## WebAssembly products against the SIMD ceiling (GFLOP/s, one thread)", ""];
  lines.push("| model | batch | all products | of SIMD ceiling | slowest kernel | its GFLOP/s | of SIMD ceiling |");
  lines.push("| --- | ---: | ---: | ---: | --- | ---: | ---: |");
  for (const model of models) {
    const slowest = model.rates.reduce((a, b) => (b.gflops < a.gflops ? b : a));
    lines.push(
      `| ${model.example} | ${model.batch} | ${model.gflops.toFixed(1)} | ${percent(model.gflops)} | ${slowest.layer} ${slowest.pass} | ` +
        `${slowest.gflops.toFixed(1)} | ${percent(slowest.gflops)} |`,
    );
  }
  lines.push(
    "",
    `SIMD matmul ceiling of this run (128^3, one thread, best of six register blocks, measured before and after the kernels: ${ceiling.best}): ${ceiling.gflops.toFixed(1)} GFLOP/s. ` +
      "Each dense and conv2d kernel the wasm back end emits for the model is timed alone at the training batch (forward; backward as the " +
      "step calls it, input and weight gradients), and \"all products\" is their multiply-adds over their summed time; im2col, bias sums " +
      "and the fused relu are done but not counted.",
  );
  return lines.join("\n") + "\n";
}
