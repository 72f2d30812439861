// The WebAssembly half of a `--backend wasm` module: one module of kernels for the ops that
// have them (ops.ts), and for each use the calls that stand in for the JavaScript kernel's
// (compiler/emit/module.ts writes them into its adapter). A call passes `n`, constants and
// byte addresses: every buffer of the memory plan is a view into the one memory, so its
// address is the view's byteOffset.

import { base64FromBytes } from "../../runtime/wasm.js";
import type { BackwardSchedule } from "../ir/autodiff.js";
import type { IrOp, IrProgram } from "../ir/ir.js";
import { opDef } from "../ir/ops/index.js";
import type { OpContext } from "../ir/ops/op.js";
import type { MemoryPlan } from "../emit/memory.js";
import { ADAM_KERNEL, ADAM_SPLIT, adamKernel, usesAdamKernel } from "./adam.js";
import { ModuleBuilder } from "./module.js";
import { wasmOps, type WasmKernelPlan } from "./ops.js";
import { LOSS_ROW_FLOATS, softmaxCrossEntropyKernel } from "./losses.js";
import type { KernelSplit } from "../../runtime/threads.js";

export interface WasmCalls {
  /** The module's bytes, base64. */
  base64: string;
  /** The exported kernels, in order. */
  names: string[];
  /** Per op id: the calls of its forward kernel, or null for JavaScript. */
  forward: (WasmCall[] | null)[];
  /** Per op id: the calls of its inference forward where that differs from training's (OpDef.inferForward), or null. */
  infer: (WasmCall[] | null)[];
  /** Per backward step, in schedule order: the calls (a backward's rows part, then its units part), or null for JavaScript. */
  backward: (WasmCall[] | null)[];
  /** Per kernel (as `names`): how it splits by samples across threads, or null (it runs on the calling thread). */
  splits: (KernelSplit | null)[];
  /** Byte offset of the memory import's limits flag (shared), which the runtime clears for a plain memory. */
  sharedFlag: number;
  /** The training step's loss in WebAssembly (losses.ts), or null: its call, and the rows' scratch it adds to the memory plan. */
  loss: WasmLoss | null;
}

/** softmax_cross_entropy's fused kernel for forwardBackward: the call, and its rows' scratch (LOSS_ROW_FLOATS per label). */
export interface WasmLoss {
  call: WasmCall;
  /** The scratch buffer's field, not yet in the plan (withLossRows adds it). */
  rowsField: string;
  /** Labels per sample. */
  rows: number;
}

/** An argument of a kernel call: the batch size, a constant, or the byte address of a buffer (the field holding its view). */
export type WasmArg = { kind: "n" } | { kind: "constant"; value: number } | { kind: "buffer"; field: string };

/** One call of an exported kernel. */
export interface WasmCall {
  kernel: string;
  args: WasmArg[];
}

/** Where the model class keeps its kernels (null when they run as JavaScript). */
export const KERNELS_FIELD = "kw";

function contextOf(program: IrProgram, op: IrOp): OpContext {
  return { op, attrs: op.attrs, inputs: op.inputs.map((i) => program.values[i]!), output: program.values[op.output]!, dtype: "float32" };
}

function fail(what: string): never {
  throw new Error(`internal error: wasm kernel: ${what}`);
}

/** The field a parameter of the convention names, for one op. */
function field(plan: MemoryPlan, op: IrOp, param: string): string {
  const fail = (): never => {
    throw new Error(`internal error: wasm kernel parameter '${param}' of ${op.label} has no buffer`);
  };
  if (param === "y") return plan.data[op.output] ?? fail();
  if (param === "gy") return plan.grad[op.output] ?? fail();
  const scratch = /^s(\d+)$/.exec(param);
  if (scratch !== null) return plan.scratch[op.id]?.[Number(scratch[1])]?.field ?? fail();
  const input = /^(g?)x(\d+)$/.exec(param);
  if (input === null) return fail();
  const value = op.inputs[Number(input[2])] ?? fail();
  return (input[1] === "g" ? plan.grad[value] : plan.data[value]) ?? fail();
}

/** Bytes per sample of a kernel parameter's buffer for one op: 0 for parameters (not batched). */
function stride(program: IrProgram, op: IrOp, param: string): number {
  if (param === "y" || param === "gy") return program.values[op.output]!.size * 4;
  const scratch = /^s(\d+)$/.exec(param);
  if (scratch !== null) {
    const spec = opDef(op.op).scratch?.(contextOf(program, op))[Number(scratch[1])];
    if (spec === undefined) throw new Error(`internal error: wasm kernel parameter '${param}' of ${op.label} has no scratch`);
    return spec.perSample * (spec.float64 ? 8 : 4);
  }
  const value = program.values[op.inputs[Number(/\d+$/.exec(param)?.[0])]!]!;
  return value.batched ? value.size * 4 : 0;
}

/** The limits flag of `module`'s memory import: the one byte where the shared and plain encodings differ. */
function sharedFlagOffset(shared: Uint8Array, plain: Uint8Array): number {
  const differ = [...shared.keys()].filter((i) => shared[i] !== plain[i]);
  if (shared.length !== plain.length || differ.length !== 1 || shared[differ[0]!] !== 0x03) throw new Error("internal error: the shared memory import");
  return differ[0]!;
}

export function wasmCalls(program: IrProgram, schedule: BackwardSchedule, plan: MemoryPlan): WasmCalls {
  // The maximum is WebAssembly's: a shared memory of any size (created with its own maximum) satisfies it.
  const memory = { module: "env", name: "memory", minimumPages: 1, maximumPages: 65536 };
  const m = new ModuleBuilder().importMemory({ ...memory, shared: true });
  const built = new Map<string, { name: string; params: string[]; split: KernelSplit | null }>();
  // A chain's kernels are named after its first: `k3_conv2d_backward`, then `k3_conv2d_backward_blocks`, ...
  const call = (op: IrOp, plan_: WasmKernelPlan | null, name: string, first = name): WasmCall[] | null => {
    if (plan_ === null) return null;
    let kernel = built.get(plan_.key);
    if (kernel === undefined) {
      const params = plan_.build(m, name);
      const units = plan_.units;
      const options = { ...(plan_.align === undefined ? {} : { align: plan_.align }), ...(plan_.late === true ? { late: true } : {}) };
      // Without work it does not split; a late one still gets a split (work 0), so that a pass's held calls may run it last.
      const work = plan_.work ?? (plan_.late === true ? 0 : undefined);
      const split =
        work === undefined || params[0] !== "n"
          ? null
          : units !== undefined && work > 0
            ? { work, strides: [], units, ...options }
            : { work, strides: work > 0 ? params.map((p, i) => (i === 0 ? 0 : stride(program, op, p))) : [], ...options };
      kernel = { name, params, split };
      built.set(plan_.key, kernel);
    }
    const args = kernel.params.map((p): WasmArg => {
      if (p === "n") return { kind: "n" };
      // The units part's range: all of them, which the runtime narrows per thread.
      if (p === "from") return { kind: "constant", value: 0 };
      if (p === "to") return { kind: "constant", value: plan_.units ?? fail(`'to' of ${op.label} without units`) };
      return { kind: "buffer", field: field(plan, op, p) };
    });
    const here = { kernel: kernel.name, args };
    if (plan_.next === undefined) return [here];
    return [here, ...(call(op, plan_.next, `${first}_${plan_.next.part ?? "units"}`, first) ?? [])];
  };
  const forward = program.ops.map((op) => {
    if (opDef(op.op).aliasesInput) return null;
    return call(op, wasmOps[op.op]?.forward?.(contextOf(program, op)) ?? null, `k${op.id}_${op.op}`);
  });
  const infer = program.ops.map((op) => {
    if (!opDef(op.op).inferForward) return null;
    return call(op, wasmOps[op.op]?.infer?.(contextOf(program, op)) ?? null, `k${op.id}_${op.op}_infer`);
  });
  const backward = schedule.steps.map((step) => {
    const op = program.ops[step.op]!;
    return call(op, wasmOps[op.op]?.backward?.({ ...contextOf(program, op), grads: step.grads }) ?? null, `k${op.id}_${op.op}_backward`);
  });
  // The loss only joins a module that has kernels of its ops (a model of tanh layers stays JavaScript).
  const loss = built.size > 0 ? lossCall(program, schedule, plan, m, built) : null;
  const kernels = [...built.values()];
  const names = kernels.map((k) => k.name);
  const splits = kernels.map((k) => k.split);
  // The optimizer's step joins a module that has kernels (its state then lives in the memory).
  // It is elementwise: it splits by element ranges of each parameter.
  if (names.length > 0 && usesAdamKernel(program.graph.optimizer?.name)) {
    adamKernel(m);
    names.push(ADAM_KERNEL);
    splits.push(ADAM_SPLIT);
  }
  const bytes = m.toBytes();
  const sharedFlag = sharedFlagOffset(bytes, m.importMemory(memory).toBytes());
  return { base64: base64FromBytes(bytes), names, forward, infer, backward, splits, sharedFlag, loss };
}

/**
 * The fused softmax_cross_entropy kernel, where a model's one loss is that one and its
 * gradient is assigned (a prediction with other uses, whose gradient adds up, keeps JavaScript).
 * Split by samples: a row's results depend on its own logits and label only.
 */
function lossCall(
  program: IrProgram,
  schedule: BackwardSchedule,
  plan: MemoryPlan,
  m: ModuleBuilder,
  built: Map<string, { name: string; params: string[]; split: KernelSplit | null }>,
): WasmLoss | null {
  const loss = program.losses[0];
  const seed = schedule.seeds.find((s) => s.loss === 0);
  const grad = loss === undefined ? undefined : plan.grad[loss.prediction];
  if (program.losses.length !== 1 || loss?.op !== "softmax_cross_entropy" || seed === undefined || seed.grad.accumulate || grad == null) return null;
  const prediction = program.values[loss.prediction]!;
  const k = prediction.shape[prediction.shape.length - 1]!;
  const rows = program.values[loss.target]!.size;
  const name = `loss0_${loss.op}`;
  const params = softmaxCrossEntropyKernel(m, name, { k, rows });
  const floats = rows * k * 4;
  // About 20 operations an exp, and the max, sum and scaling passes.
  const split = { work: rows * k * 24, strides: [0, 0, floats, rows * 4, rows * LOSS_ROW_FLOATS * 4, floats] };
  built.set(`softmax_cross_entropy ${k} ${rows}`, { name, params, split });
  const taken = new Set([...plan.allocations.map((a) => a.field), ...plan.bound.map((b) => b.field)]);
  let rowsField = "loss_rows";
  for (let i = 2; taken.has(rowsField); i++) rowsField = `loss_rows_${i}`;
  const buffer = (field: string): WasmArg => ({ kind: "buffer", field });
  const args: WasmArg[] = [{ kind: "n" }, { kind: "n" }, buffer(plan.data[loss.prediction]!), buffer(plan.data[loss.target]!), buffer(rowsField), buffer(grad)];
  return { call: { kernel: name, args }, rowsField, rows };
}
