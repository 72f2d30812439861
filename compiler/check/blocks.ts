// Inlining a block at each call: its parameters bound from the arguments, the shape
// variables of its inputs bound by unification with the actual tensors, and its body
// evaluated in a fresh frame whose errors are reported at the call and whose parameters
// are named under the call (`x_2.FeedForward_0.`).
import type { BlockDecl, Expr, InputDecl, TopLevel } from "../../grammar/ast.js";
import { formatType } from "../library/index.js";
import { argumentProblem } from "./argument-values.js";
import { tensorInputs } from "./call-arguments.js";
import type { BlockInfo, BoundCall } from "./calls.js";
import { codes } from "./codes.js";
import { ExpansionSizes } from "./expansion.js";
import type { Evaluation, Frame, Piped, TensorValue } from "./frame.js";
import { ParamNamer } from "./naming.js";
import { formatCount, maxOperations } from "./limits.js";
import { CallSiteReporter } from "./report.js";
import type { Declaration } from "./symbols.js";
import { countElements } from "./tensor-size.js";
import { errorValue, type Value } from "./types.js";

export class BlockInliner {
  /** Blocks whose body has been evaluated once already: hover keeps the types of that first call. */
  private readonly instantiated = new Set<BlockDecl>();
  private readonly sizes: ExpansionSizes;

  constructor(
    private readonly ev: Evaluation,
    /** Top-level items holding a name error: calling a block among them fails quietly. */
    private readonly broken: ReadonlySet<TopLevel>,
  ) {
    this.sizes = new ExpansionSizes(ev.resolution.calls);
  }

  apply(block: BlockInfo, bound: BoundCall, site: Expr, piped: Piped | null, frame: Frame): Value {
    const ev = this.ev;
    const name = block.decl.name.name;
    if (frame.blocks.includes(block.decl)) {
      frame.reporter.report(codes.notApplicable, `block '${name}' calls itself; blocks are inlined and cannot recurse`, bound.calleeId.range);
      return errorValue;
    }
    if (!this.withinLimit(block, bound, frame)) return errorValue;
    const inputs = tensorInputs(
      ev,
      block.inputs.map((i) => i.name.name),
      bound,
      piped,
      frame,
    );
    const env = new Map<Declaration, Value>();
    let ok = inputs !== null;
    for (const slot of block.slots.slice(block.inputs.length)) {
      const arg = bound.args.get(slot.name);
      const decl = slot.declaration && ev.declarationOf(slot.declaration);
      if (!arg || !decl) {
        ok = false;
        continue;
      }
      const v = ev.evaluate(arg.expr, frame);
      const problem = v.kind === "error" ? "" : argumentProblem(v, slot.type, slot.name, name);
      if (problem) frame.reporter.report(codes.badArgument, problem, arg.range);
      if (problem !== null) ok = false;
      env.set(decl, v);
    }
    if (!ok || this.broken.has(block.decl)) {
      if (this.broken.has(block.decl)) frame.builder!.failed = true;
      return errorValue;
    }
    const reporter = new CallSiteReporter(frame.reporter, bound.calleeId.range, name);
    const inner: Frame = {
      env,
      namer: new ParamNamer(`${frame.namer.next(name)}.`),
      reporter,
      builder: frame.builder,
      blocks: [...frame.blocks, block.decl],
      recordTypes: frame.recordTypes && !this.instantiated.has(block.decl),
    };
    this.instantiated.add(block.decl);
    const firstNode = frame.builder!.nodes.length;
    let output: Value = errorValue;
    let inputIndex = 0;
    // In body order, so that a block const may appear in a later input's shape.
    for (const s of block.decl.body) {
      if (s.kind === "Input") {
        if (!this.unify(name, s, inputs![inputIndex++]!, inner, bound, frame)) return errorValue;
        continue;
      }
      const v = ev.bodyStatement(s, inner);
      if (s.kind === "Output" && v) output = v;
    }
    if (reporter.errorCount > 0 || output.kind !== "tensor") return errorValue;
    const params = frame.builder!.paramsSince(firstNode);
    ev.record(site, output, frame, {
      kind: "block",
      name,
      doc: ev.text.slice(block.decl.range.start.offset, block.decl.name.range.end.offset) + signatureText(block),
      params,
      paramCount: countElements(params),
    });
    return output;
  }

  /**
   * Refuses a call whose inlining would take the model past `maxOperations`, before any of
   * it is expanded. Only calls written in the model are counted: a call inside a block is
   * part of its caller's count, which was within the limit.
   */
  private withinLimit(block: BlockInfo, bound: BoundCall, frame: Frame): boolean {
    if (frame.blocks.length > 0) return true;
    const builder = frame.builder!;
    const total = builder.inlinedOperations + 1 + this.sizes.of(block.decl);
    if (total <= maxOperations) {
      builder.inlinedOperations = total;
      return true;
    }
    frame.reporter.report(
      codes.modelTooLarge,
      `calling '${block.decl.name.name}' here would make the model ${formatCount(total)} operations once its blocks are inlined; the limit is ${formatCount(maxOperations)}: call blocks fewer times (each call inlines a copy of the block and of every block it calls)`,
      bound.calleeId.range,
    );
    builder.failed = true;
    return false;
  }

  /**
   * Binds the shape variables of one block input from the actual tensor and checks the
   * rest of its declared type against it. A mismatch is reported at the call, with both types.
   */
  private unify(name: string, input: InputDecl, actual: TensorValue, inner: Frame, bound: BoundCall, frame: Frame): boolean {
    const ev = this.ev;
    const declared = input.type;
    const typeText = ev.text.slice(declared.range.start.offset, declared.range.end.offset);
    const mismatch = (why: string): false => {
      frame.reporter.report(
        codes.blockInput,
        `'${name}' expects ${input.name.name}: ${typeText} but got ${formatType(actual.type)}${why}`,
        bound.args.get(input.name.name)?.range ?? bound.calleeId.range,
      );
      return false;
    };
    const dims = declared.shape?.elements ?? [];
    const wantInt = declared.elementType?.name.name === "int";
    if (wantInt !== (actual.type.kind === "int")) return mismatch(wantInt ? " (an int tensor is needed)" : " (a float tensor is needed)");
    if (dims.length !== actual.type.shape.length) return mismatch(` (rank ${dims.length} vs ${actual.type.shape.length})`);
    const pairs: [Expr, number][] = dims.map((d, k) => [d, actual.type.shape[k]!]);
    const vocabExpr = declared.elementType?.args[0];
    if (wantInt && vocabExpr) pairs.push([vocabExpr, actual.type.vocab ?? 0]);
    for (const [dim, have] of pairs) {
      const variable = dim.kind === "Name" ? (ev.resolution.symbols.definitionOf.get(dim.name) ?? ev.declarationOf(dim.name)) : undefined;
      if (variable?.kind === "shape" && !inner.env.has(variable)) {
        const value: Value = { kind: "number", value: have, whole: true };
        inner.env.set(variable, value);
        ev.record(variable.name, value, inner);
        ev.record(dim, value, inner);
        continue;
      }
      const want = ev.evaluate(dim, inner);
      if (want.kind !== "number") return false;
      if (want.value !== have) {
        const dimText = ev.text.slice(dim.range.start.offset, dim.range.end.offset);
        return mismatch(dimText === String(want.value) ? "" : ` (${dimText} is ${want.value})`);
      }
    }
    const decl = ev.declarationOf(input.name);
    if (decl) inner.env.set(decl, actual);
    ev.record(input.name, actual, inner);
    return true;
  }
}

/** `(hidden: int, rate)`: the parameters as hover shows them after the block's name. */
function signatureText(block: BlockInfo): string {
  if (block.params.length === 0) return "";
  return `(${block.params.map((p) => (p.type ? `${p.name.name}: ${p.type.name}` : p.name.name)).join(", ")})`;
}
