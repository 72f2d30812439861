// The JavaScript back end's kernels: one function per op and pass, its body from the op's
// generator (compiler/ir/ops/), its signature and its call from the naming convention of
// ops/op.ts. Each kernel starts with a comment naming the layer and the `.nn` line it comes
// from; that comment and the constants in the body also keep two kernels from ever having the
// same source text, so V8 never shares type feedback between specialisations.
//
// A kernel declares only the parameters of the convention its body uses: a generator writes
// the body it needs and never has to say which buffers it left alone.

import type { BackwardSchedule, BackwardStep } from "../ir/autodiff.js";
import type { IrOp, IrProgram, IrValue } from "../ir/ir.js";
import { opDef } from "../ir/ops/index.js";
import { losses, type LossContext } from "../ir/ops/losses.js";
import type { BackwardContext, KernelContext } from "../ir/ops/op.js";
import { commentText, identifier } from "./inert-text.js";
import { assertElementReads, namesUsed } from "./kernel_text.js";
import type { MemoryPlan } from "./memory.js";

export interface KernelParam {
  name: string;
  type: string;
}

export interface Kernel {
  name: string;
  comment: string[];
  params: KernelParam[];
  returns: "void" | "number";
  body: string;
  /** The call's arguments: `n` and the model's fields (`this.act3`) that the body uses. */
  args: string[];
  /** The call, as a statement or expression inside the model class. */
  call: string;
}

/** A parameter of the convention and what the model class passes for it. */
interface Binding extends KernelParam {
  arg: string;
}

/**
 * A kernel over the parameters its body uses, and its call: a statement (`k3_dense(...);`)
 * or, for kernels that return a number, an expression.
 */
function kernel(spec: Omit<Kernel, "params" | "args" | "call"> & { bindings: readonly Binding[] }): Kernel {
  const used = namesUsed(spec.body);
  const bindings = spec.bindings.filter((b) => used.has(b.name));
  const args = bindings.map((b) => b.arg);
  const name = identifier(spec.name);
  const call = `${name}(${args.join(", ")})`;
  return {
    name,
    comment: spec.comment,
    params: bindings.map(({ name, type }) => ({ name, type })),
    returns: spec.returns,
    body: spec.body,
    args,
    call: spec.returns === "void" ? `${call};` : call,
  };
}

function shapeText(v: IrValue): string {
  return `[${[...(v.batched ? ["n"] : []), ...v.shape].join(", ")}]`;
}

function bufferType(v: IrValue): string {
  return v.kind === "int" ? "Int32Array" : "F";
}

function header(program: IrProgram, op: IrOp, pass: string): string[] {
  const inputs = op.inputs.map((i) => shapeText(program.values[i]!)).join(", ");
  const out = shapeText(program.values[op.output]!);
  return [
    `${commentText(op.label)}: ${pass}`,
    `line ${op.source.line}: ${commentText(op.source.text)}`,
    `${op.op}(${inputs}) -> ${out}`,
  ];
}

function contextOf(program: IrProgram, op: IrOp, dtype: "float32" | "float64"): KernelContext {
  return { op, attrs: op.attrs, inputs: op.inputs.map((i) => program.values[i]!), output: program.values[op.output]!, dtype };
}

/** The forward convention: n, the inputs, y, the op's scratch, and the dropout generator. */
function forwardBindings(program: IrProgram, op: IrOp, plan: MemoryPlan, usesRng: boolean, backward = false): Binding[] {
  const bindings: Binding[] = [{ name: "n", type: "number", arg: "n" }];
  op.inputs.forEach((v, i) => {
    bindings.push({ name: `x${i}`, type: bufferType(program.values[v]!), arg: `this.${plan.data[v]}` });
  });
  bindings.push({ name: "y", type: "F", arg: `this.${plan.data[op.output]}` });
  plan.scratch[op.id]!.forEach((scratch, k) => {
    if (!scratch.backwardOnly || backward) bindings.push({ name: `s${k}`, type: scratch.type, arg: `this.${scratch.field}` });
  });
  if (usesRng) bindings.push({ name: "rng", type: "RandomSource", arg: "this.rng" });
  return bindings;
}

export function forwardKernels(
  program: IrProgram,
  plan: MemoryPlan,
  dtype: "float32" | "float64",
): { train: Kernel[]; infer: Kernel[] } {
  const train: Kernel[] = [];
  const infer: Kernel[] = [];
  for (const op of program.ops) {
    const def = opDef(op.op);
    if (def.aliasesInput) continue;
    const ctx = contextOf(program, op, dtype);
    const name = `k${op.id}_${op.op}`;
    const trainKernel = kernel({
      name: def.inferForward ? `${name}_train` : name,
      comment: header(program, op, def.inferForward ? "forward, training" : "forward"),
      bindings: forwardBindings(program, op, plan, def.usesRng === true),
      returns: "void",
      body: def.forward(ctx),
    });
    train.push(trainKernel);
    infer.push(
      def.inferForward
        ? kernel({
            name: `${name}_infer`,
            comment: header(program, op, "forward, inference"),
            bindings: forwardBindings(program, op, plan, false),
            returns: "void",
            body: def.inferForward(ctx),
          })
        : trainKernel,
    );
  }
  return { train, infer };
}

export function backwardKernels(
  program: IrProgram,
  schedule: BackwardSchedule,
  plan: MemoryPlan,
  dtype: "float32" | "float64",
): Kernel[] {
  return schedule.steps.map((step: BackwardStep) => {
    const op = program.ops[step.op]!;
    const def = opDef(op.op);
    const ctx: BackwardContext = { ...contextOf(program, op, dtype), grads: step.grads };
    const bindings = forwardBindings(program, op, plan, false, true);
    bindings.push({ name: "gy", type: "F", arg: `this.${plan.grad[op.output]}` });
    step.grads.forEach((g, i) => {
      if (g) bindings.push({ name: `gx${i}`, type: "F", arg: `this.${plan.grad[op.inputs[i]!]}` });
    });
    const wanted = step.grads.map((g, i) => (g ? `gx${i}${g.accumulate ? " (added)" : ""}` : null)).filter((s) => s !== null);
    return kernel({
      name: `k${op.id}_${op.op}_backward`,
      comment: [...header(program, op, "backward"), `computes ${wanted.join(", ")} from gy`],
      bindings,
      returns: "void",
      body: def.backward(ctx),
    });
  });
}

export interface LossKernels {
  value: Kernel[];
  gradient: Kernel[];
  /** The accuracy kernel of the first loss that defines one, and its predictions per sample. */
  accuracy: { kernel: Kernel; perSample: number } | null;
}

export function lossKernels(program: IrProgram, schedule: BackwardSchedule, plan: MemoryPlan): LossKernels {
  const value: Kernel[] = [];
  const gradient: Kernel[] = [];
  let accuracy: LossKernels["accuracy"] = null;
  program.losses.forEach((loss, i) => {
    const def = losses[loss.op]!;
    const prediction = program.values[loss.prediction]!;
    const target = program.values[loss.target]!;
    const ctx: LossContext = { prediction, target };
    const base: Binding[] = [
      { name: "n", type: "number", arg: "n" },
      { name: "x0", type: "F", arg: `this.${plan.data[loss.prediction]}` },
      { name: "t", type: bufferType(target), arg: `this.${plan.data[loss.target]}` },
    ];
    const comment = [`loss ${i}: line ${loss.source.line}: ${commentText(loss.source.text)}`, `${loss.op}(${shapeText(prediction)}, ${shapeText(target)})`];
    const name = `loss${i}_${loss.op}`;
    value.push(kernel({ name, comment: [...comment, "mean over the batch"], bindings: base, returns: "number", body: def.value(ctx) }));
    const seed = schedule.seeds.find((s) => s.loss === i);
    if (seed) {
      gradient.push(
        kernel({
          name: `${name}_gradient`,
          comment: [...comment, "gradient of the mean with respect to the prediction"],
          bindings: [...base, { name: "gx0", type: "F", arg: `this.${plan.grad[loss.prediction]}` }],
          returns: "void",
          body: def.gradient(ctx, seed.grad),
        }),
      );
    }
    if (!accuracy && def.accuracy) {
      accuracy = {
        kernel: kernel({
          name: `${name}_correct`,
          comment: [...comment, "correct predictions in the batch"],
          bindings: base,
          returns: "number",
          body: def.accuracy.body(ctx),
        }),
        perSample: def.accuracy.perSample(ctx),
      };
    }
  });
  return { value, gradient, accuracy };
}

/** The parameter types whose elements a body indexes: the dtype's `F`, and fixed element types. */
const TYPED_ARRAYS: ReadonlySet<string> = new Set(["F", "Float64Array", "Int32Array"]);

/**
 * A kernel as source, indented by brace depth so that it reads without prettier: TypeScript
 * when `typed`, else JavaScript. The bodies are the same but for the `!` that the TypeScript
 * dialect puts after element reads, which type erasure removes again.
 */
export function kernelSource(k: Kernel, typed: boolean): string {
  const params = k.params.map((p) => (typed ? `${p.name}: ${p.type}` : p.name)).join(", ");
  const signature = `function ${k.name}(${params})${typed ? `: ${k.returns}` : ""} {`;
  const arrays = new Set(k.params.filter((p) => TYPED_ARRAYS.has(p.type)).map((p) => p.name));
  const body = typed ? assertElementReads(k.body, arrays) : k.body;
  return indent([...k.comment.map((c) => `// ${c}`), signature, ...body.split("\n"), "}"]);
}

export function indent(lines: readonly string[]): string {
  let depth = 0;
  const out: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "") continue;
    const closesFirst = line.startsWith("}") ? 1 : 0;
    out.push("  ".repeat(Math.max(0, depth - closesFirst)) + line);
    depth += count(line, "{") - count(line, "}");
  }
  return out.join("\n");
}

function count(s: string, ch: string): number {
  let c = 0;
  for (const x of s) if (x === ch) c++;
  return c;
}
