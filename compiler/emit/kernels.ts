// The JavaScript back end's kernels: one function per op and pass, its body from the op's
// generator (compiler/ir/ops/), its signature and its call from the naming convention of
// ops/op.ts. Each kernel starts with a comment naming the layer and the `.nn` line it comes
// from.
//
// Layers of the same op, attributes, shapes and dtype get the same kernel text, and share one
// kernel (KernelTable): a deep stack of identical layers costs one kernel, not one per layer,
// so the module grows by a few calls and buffers per layer. The kernel's comment names its
// first layer and counts the others. Sharing is keyed on the whole text of the kernel, so two
// specialisations (other shapes, another fused activation, zero-skipping or not) never share
// a function, and V8 never mixes their type feedback.
//
// A kernel declares only the parameters of the convention its body uses: a generator states
// them (`ctx.use`) as it writes the body, so the emitter never reads the text back.

import type { BackwardSchedule, BackwardStep } from "../ir/autodiff.js";
import type { IrOp, IrProgram, IrValue } from "../ir/ir.js";
import { opDef } from "../ir/ops/index.js";
import { losses, type LossContext } from "../ir/ops/losses.js";
import { gradName, inputName, type BackwardContext, type KernelContext } from "../ir/ops/op.js";
import { commentText, identifier } from "./inert-text.js";
import { assertElementReads } from "./kernel-text.js";
import { bufferRef, type MemoryPlan } from "./memory.js";

export interface KernelParam {
  name: string;
  type: string;
}

/** A kernel function as emitted once, whatever the number of layers calling it. */
export interface KernelDefinition {
  name: string;
  params: KernelParam[];
  returns: "void" | "number";
  body: string;
  /** Functions the body calls that the module must import or define (`erf`, `silu_grad`). */
  calls: ReadonlySet<string>;
}

/** Where a kernel's use comes from, for its comment: a layer's pass, or a loss. */
export type KernelOrigin =
  | { kind: "op"; label: string; pass: string; line: number; text: string; signature: string; note?: string }
  | { kind: "loss"; index: number; line: number; text: string; signature: string; note: string };

/** One use of a kernel: the definition it calls and the call in the model class. */
export interface Kernel {
  definition: KernelDefinition;
  origin: KernelOrigin;
  /** The call's arguments: `n` and the model's buffers (`b.hidden_dense`, bufferRef) that the body uses. */
  args: string[];
  /** The call, as a statement or expression inside the model class. */
  call: string;
  /** Whether the call runs WebAssembly kernels where the model has them (adapted), so that it may be held (runtime/threads.ts). */
  wasm?: boolean;
}

/** A parameter of the convention and what the model class passes for it. */
interface Binding extends KernelParam {
  arg: string;
}

interface KernelSpec {
  name: string;
  origin: KernelOrigin;
  bindings: readonly Binding[];
  returns: "void" | "number";
  body: string;
  /** The names of `bindings` the body uses, and the functions it calls, as its generator stated them. */
  uses: Uses;
}

/**
 * The kernels of one module: each use gets the definition of the first kernel with the same
 * text (parameters, return type and body), so identical layers call one function.
 */
export class KernelTable {
  /** By the text of the emitted function (the parameters its body uses, return type, body). */
  private readonly byText = new Map<string, KernelDefinition>();
  /**
   * A kernel over the parameters its body uses, and its call: a statement (`k3_dense(...);`)
   * or, for kernels that return a number, an expression.
   */
  kernel(spec: KernelSpec): Kernel {
    const bindings = spec.bindings.filter((b) => spec.uses.names.has(b.name));
    const params = bindings.map(({ name, type }) => ({ name: spec.uses.passed.has(name) ? `_${name}` : name, type }));
    const key = signatureKey(spec.returns, params, spec.body);
    let definition = this.byText.get(key);
    if (definition === undefined) {
      definition = { name: identifier(spec.name), params, returns: spec.returns, body: spec.body, calls: spec.uses.calls };
      this.byText.set(key, definition);
    }
    const args = bindings.map((b) => b.arg);
    const call = `${definition.name}(${args.join(", ")})`;
    return { definition, origin: spec.origin, args, call: spec.returns === "void" ? `${call};` : call };
  }
}

function signatureKey(returns: string, params: readonly KernelParam[], body: string): string {
  return `${returns}(${params.map((p) => `${p.name}: ${p.type}`).join(", ")})\n${body}`;
}

function shapeText(v: IrValue): string {
  return `[${[...(v.batched ? ["n"] : []), ...v.shape].join(", ")}]`;
}

function bufferType(v: IrValue): string {
  return v.kind === "int" ? "Int32Array" : "F";
}

function opOrigin(program: IrProgram, op: IrOp, pass: string, note?: string): KernelOrigin {
  const inputs = op.inputs.map((i) => shapeText(program.values[i]!)).join(", ");
  const out = shapeText(program.values[op.output]!);
  const signature = `${op.op}(${inputs}) -> ${out}`;
  return { kind: "op", label: op.label, pass, line: op.source.line, text: op.source.text, signature, ...(note !== undefined ? { note } : {}) };
}

/** How many more layers a shared kernel's comment names before it only counts them. */
const NAMED_USERS = 3;

/**
 * A kernel's comment, from its uses: the first one in full, then the other layers sharing it
 * (a few by name, the rest counted, so that the comment stays short however deep the model).
 * All source text that reaches a comment passes through here.
 */
export function kernelComment(uses: readonly KernelOrigin[]): string[] {
  const [first, ...others] = uses;
  if (first === undefined) return [];
  const lines =
    first.kind === "op"
      ? [`${commentText(first.label)}: ${first.pass}`, `line ${first.line}: ${commentText(first.text)}`, first.signature, ...(first.note !== undefined ? [first.note] : [])]
      : [`loss ${first.index}: line ${first.line}: ${commentText(first.text)}`, first.signature, first.note];
  if (others.length === 0) return lines;
  const named = others.slice(0, NAMED_USERS).map((o) => `${o.kind === "op" ? commentText(o.label) : `loss ${o.index}`} (line ${o.line})`);
  const rest = others.length - named.length;
  return [...lines, `also called for ${named.join(", ")}${rest > 0 ? ` and ${rest} more` : ""}`];
}

/** The names a generator states it used, each checked to be one of the kernel's parameters. */
class Uses {
  readonly names = new Set<string>();
  /** Of names, those passed but not read (KernelContext.pass). */
  readonly passed = new Set<string>();
  readonly calls = new Set<string>();
  constructor(
    private readonly bindings: readonly Binding[],
    private readonly what: string,
  ) {}
  readonly call = (...functions: readonly string[]): void => {
    for (const f of functions) this.calls.add(f);
  };
  readonly use = (...names: readonly string[]): void => {
    for (const name of names) {
      if (!this.bindings.some((b) => b.name === name)) throw new Error(`internal error: ${this.what} uses '${name}', which is not one of its parameters`);
      this.names.add(name);
    }
  };
  readonly pass = (...names: readonly string[]): void => {
    this.use(...names);
    for (const name of names) this.passed.add(name);
  };
}

function contextOf(program: IrProgram, op: IrOp, dtype: "float32" | "float64", uses: Uses): KernelContext {
  return { op, attrs: op.attrs, inputs: op.inputs.map((i) => program.values[i]!), output: program.values[op.output]!, dtype, use: uses.use, pass: uses.pass, call: uses.call };
}

/** The forward convention: n, the inputs, y, the op's scratch, and the dropout generator. */
function forwardBindings(program: IrProgram, op: IrOp, plan: MemoryPlan, usesRng: boolean, backward = false): Binding[] {
  const bindings: Binding[] = [{ name: "n", type: "number", arg: "n" }];
  const def = opDef(op.op);
  op.inputs.forEach((v, i) => {
    bindings.push({ name: inputName(def, i), type: bufferType(program.values[v]!), arg: bufferRef(plan, plan.data[v]!) });
  });
  bindings.push({ name: "y", type: "F", arg: bufferRef(plan, plan.data[op.output]!) });
  plan.scratch[op.id]!.forEach((scratch, k) => {
    if (!scratch.backwardOnly || backward) bindings.push({ name: `s${k}`, type: scratch.type, arg: bufferRef(plan, scratch.field) });
  });
  if (usesRng) bindings.push({ name: "rng", type: "RandomSource", arg: "this.rng" });
  return bindings;
}

export function forwardKernels(
  table: KernelTable,
  program: IrProgram,
  plan: MemoryPlan,
  dtype: "float32" | "float64",
): { train: Kernel[]; infer: Kernel[] } {
  const train: Kernel[] = [];
  const infer: Kernel[] = [];
  for (const op of program.ops) {
    const def = opDef(op.op);
    if (def.aliasesInput) continue;
    const name = `k${op.id}_${op.op}`;
    const trainBindings = forwardBindings(program, op, plan, def.usesRng === true);
    const trainUses = new Uses(trainBindings, `the forward kernel of '${op.op}'`);
    const trainKernel = table.kernel({
      name: def.inferForward ? `${name}_train` : name,
      origin: opOrigin(program, op, def.inferForward ? "forward, training" : "forward"),
      bindings: trainBindings,
      returns: "void",
      body: def.forward(contextOf(program, op, dtype, trainUses)),
      uses: trainUses,
    });
    train.push(trainKernel);
    if (def.inferForward) {
      const inferBindings = forwardBindings(program, op, plan, false);
      const inferUses = new Uses(inferBindings, `the inference kernel of '${op.op}'`);
      const body = def.inferForward(contextOf(program, op, dtype, inferUses));
      infer.push(
        table.kernel({
          name: `${name}_infer`,
          origin: opOrigin(program, op, "forward, inference"),
          bindings: inferBindings,
          returns: "void",
          body,
          uses: inferUses,
        }),
      );
    } else {
      infer.push(trainKernel);
    }
  }
  return { train, infer };
}

export function backwardKernels(
  table: KernelTable,
  program: IrProgram,
  schedule: BackwardSchedule,
  plan: MemoryPlan,
  dtype: "float32" | "float64",
): Kernel[] {
  return schedule.steps.map((step: BackwardStep) => {
    const op = program.ops[step.op]!;
    const def = opDef(op.op);
    const bindings = forwardBindings(program, op, plan, false, true);
    bindings.push({ name: "gy", type: "F", arg: bufferRef(plan, plan.grad[op.output]!) });
    step.grads.forEach((g, i) => {
      if (g) bindings.push({ name: gradName(inputName(def, i)), type: "F", arg: bufferRef(plan, plan.grad[op.inputs[i]!]!) });
    });
    const uses = new Uses(bindings, `the backward kernel of '${op.op}'`);
    const ctx: BackwardContext = { ...contextOf(program, op, dtype, uses), grads: step.grads };
    const body = def.backward(ctx);
    const wanted = step.grads.map((g, i) => (g ? `${gradName(inputName(def, i))}${g.accumulate ? " (added)" : ""}` : null)).filter((s) => s !== null);
    return table.kernel({
      name: `k${op.id}_${op.op}_backward`,
      origin: opOrigin(program, op, "backward", `computes ${wanted.join(", ")} from gy`),
      bindings,
      returns: "void",
      body,
      uses,
    });
  });
}

export interface LossKernels {
  value: Kernel[];
  gradient: Kernel[];
  /** The accuracy kernel of the first loss that defines one, and its predictions per sample. */
  accuracy: { kernel: Kernel; perSample: number } | null;
}

export function lossKernels(table: KernelTable, program: IrProgram, schedule: BackwardSchedule, plan: MemoryPlan): LossKernels {
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
      { name: "prediction", type: "F", arg: bufferRef(plan, plan.data[loss.prediction]!) },
      { name: "target", type: bufferType(target), arg: bufferRef(plan, plan.data[loss.target]!) },
    ];
    // Every loss kernel reads all of its parameters (a loss reads the prediction and the target).
    const all = (bindings: readonly Binding[]): Uses => {
      const uses = new Uses(bindings, `the kernels of loss '${loss.op}'`);
      uses.use(...bindings.map((b) => b.name));
      return uses;
    };
    const origin = (note: string): KernelOrigin => ({
      kind: "loss",
      index: i,
      line: loss.source.line,
      text: loss.source.text,
      signature: `${loss.op}(${shapeText(prediction)}, ${shapeText(target)})`,
      note,
    });
    const name = `loss${i}_${loss.op}`;
    value.push(table.kernel({ name, origin: origin("mean over the batch"), bindings: base, returns: "number", body: def.value(ctx), uses: all(base) }));
    const seed = schedule.seeds.find((s) => s.loss === i);
    if (seed) {
      const bindings = [...base, { name: "gprediction", type: "F", arg: bufferRef(plan, plan.grad[loss.prediction]!) }];
      gradient.push(
        table.kernel({
          name: `${name}_gradient`,
          origin: origin("gradient of the mean with respect to the prediction"),
          bindings,
          returns: "void",
          body: def.gradient(ctx, seed.grad),
          uses: all(bindings),
        }),
      );
    }
    if (!accuracy && def.accuracy) {
      accuracy = {
        kernel: table.kernel({
          name: `${name}_correct`,
          origin: origin("correct predictions in the batch"),
          bindings: base,
          returns: "number",
          body: def.accuracy.body(ctx),
          uses: all(base),
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
 * A kernel as source, with the comment of its uses, indented by brace depth so that it reads
 * without prettier: TypeScript when `typed`, else JavaScript. The bodies are the same but for
 * the `!` that the TypeScript dialect puts after element reads, which type erasure removes again.
 */
export function kernelSource(k: KernelDefinition, uses: readonly KernelOrigin[], typed: boolean): string {
  const params = k.params.map((p) => (typed ? `${p.name}: ${p.type}` : p.name)).join(", ");
  const signature = `function ${k.name}(${params})${typed ? `: ${k.returns}` : ""} {`;
  const arrays = new Set(k.params.filter((p) => TYPED_ARRAYS.has(p.type)).map((p) => p.name));
  const body = typed ? assertElementReads(k.body, arrays) : k.body;
  return indent([...kernelComment(uses).map((c) => `// ${c}`), signature, ...body.split("\n"), "}"]);
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
