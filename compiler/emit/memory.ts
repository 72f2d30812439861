// The memory plan: which buffer holds each value, each gradient and each op's scratch. Every
// buffer is allocated once, when a model is created, sized for its largest batch; a training
// step then only reads and writes them. Views cost nothing: reshape, flatten and identity
// outputs share their input's buffer. Inputs and targets are not copied: the caller's arrays
// are bound for the duration of one call.

import type { BackwardSchedule } from "../ir/autodiff.js";
import type { IrProgram, IrValue } from "../ir/ir.js";
import { opDef } from "../ir/ops/index.js";
import type { ScratchSpec } from "../ir/ops/op.js";
import { IdentifierPool } from "./inert-text.js";
import { GRADIENT_LABEL, GRADIENT_PREFIX } from "../../runtime/buffers.js";

/** One allocation: `new F(perSample * maxBatch + fixed)` (or Int32Array) into a class field. */
export interface Allocation {
  field: string;
  perSample: number;
  fixed: number;
  /** What the buffer holds, for its comment and for `findNonFinite`. */
  what: string;
  /** Activations, gradients and parameters are checked by findNonFinite; scratch is not. */
  watch: "activation" | "gradient" | "parameter" | null;
  /** `F` (the model's dtype) or a fixed type for accumulators and indices. */
  type: ScratchType;
  /** For a parameter's buffer or its gradient's: the parameter's index in the program. */
  param?: number;
}

/** `F` (the model's dtype) or a fixed element type (accumulators, indices). */
export type ScratchType = "F" | "Float64Array" | "Int32Array";

function scratchType(s: ScratchSpec): ScratchType {
  return s.float64 ? "Float64Array" : s.int32 ? "Int32Array" : "F";
}

export interface MemoryPlan {
  /** Per value: the field holding its data. */
  data: string[];
  /** Per value: the field holding its gradient, or null. */
  grad: (string | null)[];
  /** Per op: its scratch fields and their types. */
  scratch: { field: string; type: ScratchType; backwardOnly: boolean }[][];
  allocations: Allocation[];
  /** Fields bound to the caller's arrays per call: inputs and targets. */
  bound: { field: string; value: IrValue }[];
}

/** The model class's field, and each method's local, holding every allocated buffer by name. */
export const BUFFERS = "b";

/**
 * A buffer as the model class's methods read it: a caller's array bound for one call is a
 * field of the class (`this.input_x`), every allocated buffer a property of BUFFERS (`b.hidden_dense`).
 */
export function bufferRef(plan: MemoryPlan, field: string): string {
  return plan.bound.some((b) => b.field === field) ? `this.${field}` : `${BUFFERS}.${field}`;
}

/**
 * Names the model class already has (its other fields and its methods), and Object.prototype's,
 * which no buffer field may take.
 */
const CLASS_MEMBERS = [
  ...["info", "maxBatch", "optimizer", "rng", "params", "lastBatch", "lastTraining", "constructor", "prototype", "__proto__"],
  ...["predict", "trainStep", "forwardBackward", "evaluate", "trainingMetrics", "parameters", "getWeights", "getGradients"],
  ...["setWeights", "findNonFinite", "batchSize", "loadParam", "forward", "kw", "kernels", "paramBuffers", "checkpointCopy", BUFFERS],
  ...Object.getOwnPropertyNames(Object.prototype),
];

/**
 * A field name read from a value's or an op's name: `hidden.dense_0 + tanh` reads
 * `hidden_dense_tanh`, the `_0` of a layer's first (usually only) part dropped.
 */
function readable(text: string): string {
  return text.replace(/_0\b/g, "");
}

/** A scratch buffer's role in its name: the op's short name for it, else a few words of its purpose ("im2col"). */
function purpose(s: ScratchSpec): string {
  return s.name ?? s.what.split(/[:(,;]/)[0]!.split(/\s+/).filter((w) => w !== "").slice(0, 4).join("_");
}

function describe(v: IrValue): string {
  return `${v.name} [${v.batched ? "n, " : ""}${v.shape.join(", ")}]`;
}

export function planMemory(program: IrProgram, schedule: BackwardSchedule, dtype: "float32" | "float64"): MemoryPlan {
  const data: string[] = program.values.map(() => "");
  const grad: (string | null)[] = program.values.map(() => null);
  const allocations: Allocation[] = [];
  const bound: MemoryPlan["bound"] = [];
  const ctxDtype = dtype;
  const names = new IdentifierPool(CLASS_MEMBERS);

  program.inputs.forEach((input) => {
    const field = names.fresh(`input_${input.name}`);
    data[input.value] = field;
    bound.push({ field, value: program.values[input.value]! });
  });
  program.targets.forEach((target) => {
    const field = names.fresh(`target_${target.name}`);
    data[target.value] = field;
    bound.push({ field, value: program.values[target.value]! });
  });
  program.params.forEach((p, param) => {
    const v = program.values[p.value]!;
    // A trainable parameter's gradient is `grad_` and its name (the module lists parameters by name).
    const [field, gradField] = p.trainable ? names.freshPair(readable(p.name), GRADIENT_PREFIX) : [names.fresh(readable(p.name)), null];
    data[p.value] = field;
    allocations.push({ field, perSample: 0, fixed: v.size, what: describe(v), watch: "parameter", type: "F", param });
    // Every trainable parameter has a gradient, zero when the loss does not reach it, because
    // optimizers update every parameter they are given.
    if (gradField !== null) {
      grad[p.value] = gradField;
      allocations.push({ field: gradField, perSample: 0, fixed: v.size, what: `gradient of ${p.name}`, watch: "gradient", type: "F", param });
    }
  });

  const scratch: MemoryPlan["scratch"] = [];
  for (const op of program.ops) {
    const def = opDef(op.op);
    const out = program.values[op.output]!;
    if (def.aliasesInput) {
      data[op.output] = data[op.inputs[0]!]!;
    } else {
      // Named after the value, as its gradient is (`grad_` and the same), parameters after theirs.
      const field = names.fresh(readable(out.name));
      data[op.output] = field;
      allocations.push({ field, perSample: out.size, fixed: 0, what: describe(out), watch: "activation", type: "F" });
    }
    const ctx = { op, attrs: op.attrs, inputs: op.inputs.map((i) => program.values[i]!), output: out, dtype: ctxDtype };
    const specs: ScratchSpec[] = def.scratch?.(ctx) ?? [];
    scratch.push(
      specs.map((s) => {
        const field = names.fresh(`${readable(op.label.split(" + ")[0]!)}_${purpose(s)}`);
        allocations.push({
          field,
          perSample: s.perSample,
          fixed: s.fixed,
          // The name says whose it is (the op's label made an identifier).
          what: s.what,
          watch: null,
          type: scratchType(s),
        });
        return { field, type: scratchType(s), backwardOnly: s.backwardOnly === true };
      }),
    );
  }
  program.values.forEach((v, id) => {
    if (schedule.needsGrad[id] && v.role !== "param") {
      const field = names.fresh(`grad_${data[id]}`);
      grad[id] = field;
      allocations.push({ field, perSample: v.size, fixed: 0, what: `${GRADIENT_LABEL}${describe(v)}`, watch: "gradient", type: "F" });
    }
  });
  return { data, grad, scratch, allocations, bound };
}

/**
 * The plan of a module whose kernels run in WebAssembly: inputs and targets, bound to the
 * caller's arrays by the JavaScript back end, get buffers of their own in the one memory
 * (kernels address nothing else), and the caller's arrays are copied in per call.
 */
export function withInputsInMemory(plan: MemoryPlan): MemoryPlan {
  const copied: Allocation[] = plan.bound.map((b) => ({
    field: b.field,
    perSample: b.value.size,
    fixed: 0,
    what: `${b.value.role} ${describe(b.value)}, copied in per call`,
    watch: null,
    type: b.value.kind === "int" ? "Int32Array" : "F",
  }));
  return { ...plan, bound: [], allocations: [...copied, ...plan.allocations] };
}
