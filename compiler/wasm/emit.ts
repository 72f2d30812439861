// The WebAssembly half of a `--backend wasm` module: one module of kernels for the ops that
// have them (ops.ts), and for each use the call the model class makes instead of the
// JavaScript kernel's. A call passes `n` and byte addresses: every buffer of the memory plan
// is a view into the one memory, so its address is the view's byteOffset.

import { base64FromBytes } from "../../runtime/wasm.js";
import type { BackwardSchedule } from "../ir/autodiff.js";
import type { IrOp, IrProgram } from "../ir/ir.js";
import { opDef } from "../ir/ops/index.js";
import type { OpContext } from "../ir/ops/op.js";
import type { MemoryPlan } from "../emit/memory.js";
import { ADAM_KERNEL, adamKernel, usesAdamKernel } from "./adam.js";
import { ModuleBuilder } from "./module.js";
import { wasmOps, type WasmKernelPlan } from "./ops.js";

export interface WasmCalls {
  /** The module's bytes, base64. */
  base64: string;
  /** The exported kernels, in order. */
  names: string[];
  /** Per op id: the call of its forward kernel (`this.kw.k3_dense(n, ...)`), or null for JavaScript. */
  forward: (string | null)[];
  /** Per op id: the call of its inference forward where that differs from training's (OpDef.inferForward), or null. */
  infer: (string | null)[];
  /** Per backward step, in schedule order: the call, or null for JavaScript. */
  backward: (string | null)[];
}

/** Where the model class keeps its kernels (null when they run as JavaScript). */
export const KERNELS_FIELD = "kw";

function contextOf(program: IrProgram, op: IrOp): OpContext {
  return { op, attrs: op.attrs, inputs: op.inputs.map((i) => program.values[i]!), output: program.values[op.output]!, dtype: "float32" };
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

export function wasmCalls(program: IrProgram, schedule: BackwardSchedule, plan: MemoryPlan): WasmCalls {
  const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
  const built = new Map<string, { name: string; params: string[] }>();
  const call = (op: IrOp, plan_: WasmKernelPlan | null, name: string): string | null => {
    if (plan_ === null) return null;
    let kernel = built.get(plan_.key);
    if (kernel === undefined) {
      kernel = { name, params: plan_.build(m, name) };
      built.set(plan_.key, kernel);
    }
    const args = kernel.params.map((p) => (p === "n" ? "n" : `this.${field(plan, op, p)}.byteOffset`));
    return `this.${KERNELS_FIELD}.${kernel.name}(${args.join(", ")});`;
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
  const names = [...built.values()].map((k) => k.name);
  // The optimizer's step joins a module that has kernels (its state then lives in the memory).
  if (names.length > 0 && usesAdamKernel(program.graph.optimizer?.name)) {
    adamKernel(m);
    names.push(ADAM_KERNEL);
  }
  return { base64: base64FromBytes(m.toBytes()), names, forward, infer, backward };
}
