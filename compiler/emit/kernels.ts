// The JavaScript back end's kernels: one function per op and pass, its body from the op's
// generator (compiler/ir/ops/), its signature and its call from the naming convention of
// ops/op.ts. Each kernel starts with a comment naming the layer and the `.nn` line it comes
// from; that comment and the constants in the body also keep two kernels from ever having the
// same source text, so V8 never shares type feedback between specialisations.

import type { BackwardSchedule, BackwardStep } from "../ir/autodiff.js";
import type { IrOp, IrProgram, IrValue } from "../ir/ir.js";
import { opDef } from "../ir/ops/index.js";
import { losses, type LossContext } from "../ir/ops/losses.js";
import type { BackwardContext, KernelContext } from "../ir/ops/op.js";
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
  /** The call, as a statement or expression inside the model class (`this.` fields). */
  call: string;
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
    `${op.label}: ${pass}`,
    `line ${op.source.line}: ${op.source.text}`,
    `${op.op}(${inputs}) -> ${out}`,
  ];
}

function contextOf(program: IrProgram, op: IrOp, dtype: "float32" | "float64"): KernelContext {
  return { op, attrs: op.attrs, inputs: op.inputs.map((i) => program.values[i]!), output: program.values[op.output]!, dtype };
}

function forwardParams(program: IrProgram, op: IrOp, plan: MemoryPlan, usesRng: boolean, backward = false): [KernelParam[], string[]] {
  const params: KernelParam[] = [{ name: "n", type: "number" }];
  const args = ["n"];
  op.inputs.forEach((v, i) => {
    params.push({ name: `x${i}`, type: bufferType(program.values[v]!) });
    args.push(`this.${plan.data[v]}`);
  });
  params.push({ name: "y", type: "F" });
  args.push(`this.${plan.data[op.output]}`);
  plan.scratch[op.id]!.forEach((scratch, k) => {
    if (scratch.backwardOnly && !backward) return;
    params.push({ name: `s${k}`, type: scratch.type });
    args.push(`this.${scratch.field}`);
  });
  if (usesRng) {
    params.push({ name: "rng", type: "RandomSource" });
    args.push("this.rng");
  }
  return [params, args];
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
    const [trainParams, trainArgs] = forwardParams(program, op, plan, def.usesRng === true);
    const trainKernel: Kernel = {
      name: def.inferForward ? `${name}_train` : name,
      comment: header(program, op, def.inferForward ? "forward, training" : "forward"),
      params: trainParams,
      returns: "void",
      body: def.forward(ctx),
      call: `${def.inferForward ? `${name}_train` : name}(${trainArgs.join(", ")});`,
    };
    train.push(trainKernel);
    if (def.inferForward) {
      const [params, args] = forwardParams(program, op, plan, false);
      infer.push({
        name: `${name}_infer`,
        comment: header(program, op, "forward, inference"),
        params,
        returns: "void",
        body: def.inferForward(ctx),
        call: `${name}_infer(${args.join(", ")});`,
      });
    } else {
      infer.push({ ...trainKernel, call: trainKernel.call });
    }
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
    const [params, args] = forwardParams(program, op, plan, false, true);
    params.push({ name: "gy", type: "F" });
    args.push(`this.${plan.grad[op.output]}`);
    step.grads.forEach((g, i) => {
      if (!g) return;
      params.push({ name: `gx${i}`, type: "F" });
      args.push(`this.${plan.grad[op.inputs[i]!]}`);
    });
    const wanted = step.grads.map((g, i) => (g ? `gx${i}${g.accumulate ? " (added)" : ""}` : null)).filter((s) => s !== null);
    const name = `k${op.id}_${op.op}_backward`;
    return {
      name,
      comment: [...header(program, op, "backward"), `computes ${wanted.join(", ")} from gy`],
      params,
      returns: "void" as const,
      body: def.backward(ctx),
      call: `${name}(${args.join(", ")});`,
    };
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
    const base: KernelParam[] = [
      { name: "n", type: "number" },
      { name: "x0", type: "F" },
      { name: "t", type: bufferType(target) },
    ];
    const args = ["n", `this.${plan.data[loss.prediction]}`, `this.${plan.data[loss.target]}`];
    const comment = [`loss ${i}: line ${loss.source.line}: ${loss.source.text}`, `${loss.op}(${shapeText(prediction)}, ${shapeText(target)})`];
    const name = `loss${i}_${loss.op}`;
    value.push({ name, comment: [...comment, "mean over the batch"], params: base, returns: "number", body: def.value(ctx), call: `${name}(${args.join(", ")})` });
    const seed = schedule.seeds.find((s) => s.loss === i);
    if (seed) {
      gradient.push({
        name: `${name}_gradient`,
        comment: [...comment, "gradient of the mean with respect to the prediction"],
        params: [...base, { name: "gx0", type: "F" }],
        returns: "void",
        body: def.gradient(ctx, seed.grad),
        call: `${name}_gradient(${args.join(", ")}, this.${plan.grad[loss.prediction]});`,
      });
    }
    if (!accuracy && def.accuracy) {
      accuracy = {
        kernel: {
          name: `${name}_correct`,
          comment: [...comment, "correct predictions in the batch"],
          params: base,
          returns: "number",
          body: def.accuracy.body(ctx),
          call: `${name}_correct(${args.join(", ")})`,
        },
        perSample: def.accuracy.perSample(ctx),
      };
    }
  });
  return { value, gradient, accuracy };
}

/**
 * A kernel as source, indented by brace depth so that it reads without prettier: TypeScript
 * when `typed`, else JavaScript (the bodies are the same; only the signature carries types).
 */
export function kernelSource(k: Kernel, typed: boolean): string {
  const params = k.params.map((p) => (typed ? `${p.name}: ${p.type}` : p.name)).join(", ");
  const signature = `function ${k.name}(${params})${typed ? `: ${k.returns}` : ""} {`;
  return indent([...k.comment.map((c) => `// ${c}`), signature, ...k.body.split("\n"), "}"]);
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
