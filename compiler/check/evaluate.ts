// The second pass of the checker: evaluates each model statement by statement, folding
// consts, inferring every shape through the library's rules, inlining blocks at each call
// (their shape variables bound by unification), and building the ModelGraph the back end
// reads. Errors are reported where language.md places them; an expression with an error
// evaluates to `error`, which raises nothing further.
//
// This file is the core: statements shared by models and blocks, declared types,
// expressions, names and consts. Its parts call back into it through `Evaluation`
// (frame.ts): models.ts, operators.ts, layers.ts, blocks.ts, training-statements.ts.
import type { ConstDecl, Expr, Identifier, ModelDecl, Node, Statement, TopLevel, TypeExpr } from "../../grammar/ast.js";
import type { ModelGraph, SourceRef, TensorType } from "../graph.js";
import { formatShape } from "../library/index.js";
import { describeValue } from "./argument-values.js";
import { BlockInliner } from "./blocks.js";
import { codes } from "./codes.js";
import { rootFrame, tensorInConst, type Evaluation, type Frame, type Piped } from "./frame.js";
import { applyLayer } from "./layers.js";
import { buildModelGraph } from "./models.js";
import { binary, negate } from "./operators.js";
import type { Reporter } from "./report.js";
import type { Resolution } from "./resolve.js";
import type { Declaration } from "./symbols.js";
import { elementCount, maxElements } from "./tensor-size.js";
import type { TypeTable } from "./type-table.js";
import { errorValue, type CallInfo, type Value } from "./types.js";

export class Evaluator implements Evaluation {
  private readonly fileConsts = new Map<ConstDecl, Value | "evaluating">();
  private readonly blocks: BlockInliner;

  constructor(
    readonly text: string,
    readonly resolution: Resolution,
    private readonly reporter: Reporter,
    private readonly types: TypeTable,
    /** Top-level items holding a name error: a block among them makes its callers fail quietly. */
    private readonly broken: ReadonlySet<TopLevel>,
  ) {
    this.blocks = new BlockInliner(this, broken);
  }

  /** The graph of one model, or null when it has an error (reported). */
  evaluateModel(model: ModelDecl): ModelGraph | null {
    return buildModelGraph(this, model, this.reporter, this.broken);
  }

  /** Evaluates every file-level const once, so that errors in unused ones are reported too. */
  evaluateFileConsts(items: readonly TopLevel[]): void {
    const frame = rootFrame(this.reporter, null);
    for (const item of items) if (item.kind === "Const") this.fileConst(item, frame);
  }

  // ---- statements ----

  bodyStatement(s: Statement, frame: Frame): Value | null {
    if (s.kind !== "Const" && s.kind !== "Binding" && s.kind !== "Output") return null;
    const decl = this.declarationOf(s.name);
    if (s.kind === "Const") {
      let value = this.evaluate(s.value, frame);
      if (value.kind === "tensor") {
        frame.reporter.report(codes.expectedTensor, `a const holds a number; use a binding for a tensor: \`${s.name.name} = ...\``, s.value.range);
        value = errorValue;
      }
      if (decl) frame.env.set(decl, value);
      this.record(s.name, value, frame);
      return value;
    }
    frame.namer.enterBinding(s.name.name);
    let value = this.evaluate(s.value, frame);
    if (s.kind === "Output" && value.kind !== "tensor" && value.kind !== "error") {
      frame.reporter.report(codes.expectedTensor, `output '${s.name.name}' must be a tensor, got ${describeValue(value)}`, s.value.range);
      value = errorValue;
    } else if (s.kind === "Output" && value.kind === "tensor" && value.type.kind === "int" && frame.blocks.length === 0) {
      // Emitted modules return float buffers; ids passed straight through are the caller's already.
      frame.reporter.report(
        codes.intOutput,
        `output '${s.name.name}' is ${describeValue(value)}: a model's outputs are floats it computes, not integer ids passed through; compute from the ids first, e.g. with \`embedding\``,
        s.value.range,
      );
      value = errorValue;
    }
    if (decl) frame.env.set(decl, value);
    this.record(s.name, value, frame);
    return value;
  }

  declarationOf(id: Identifier): Declaration | undefined {
    return this.resolution.symbols.declarations.get(id);
  }

  record(node: Node, value: Value, frame: Frame, call?: CallInfo): void {
    if (!frame.recordTypes || value.kind === "error") return;
    // A Value is already an ExprInfo (with an extra field or two): storing it allocates nothing.
    this.types.record(node, call && value.kind === "tensor" ? { kind: "tensor", type: value.type, call } : value);
  }

  source(node: Node): SourceRef {
    const raw = this.text.slice(node.range.start.offset, node.range.end.offset);
    // A call written over several lines reads as one line in kernel comments.
    const text = raw.includes("\n") ? raw.replace(/\s+/g, " ") : raw;
    return { line: node.range.start.line, column: node.range.start.column, text };
  }

  // ---- types ----

  evaluateType(t: TypeExpr, frame: Frame): TensorType | null {
    const shape: number[] = [];
    let ok = true;
    for (const d of t.shape?.elements ?? []) {
      const n = this.dimension(d, frame, "dimension");
      if (n === null) ok = false;
      else shape.push(n);
    }
    if (ok && elementCount(shape) > maxElements) {
      frame.reporter.report(codes.badShape, `${formatShape(shape)} has more than ${maxElements.toLocaleString("en-US")} elements per sample`, t.range);
      return null;
    }
    if (t.elementType?.name.name === "int") {
      const arg = t.elementType.args[0];
      const vocab = arg ? this.dimension(arg, frame, "vocabulary size") : null;
      if (vocab === null || !ok) return null;
      return { shape, kind: "int", vocab };
    }
    if (t.elementType && t.elementType.name.name !== "float") return null;
    return ok ? { shape, kind: "float" } : null;
  }

  private dimension(e: Expr, frame: Frame, what: string): number | null {
    const v = this.evaluate(e, frame);
    if (v.kind === "error") return null;
    if (v.kind !== "number" || !Number.isInteger(v.value) || v.value < 1) {
      frame.reporter.report(codes.badShape, `a ${what} must be a positive whole number, got ${describeValue(v)}`, e.range);
      return null;
    }
    return v.value;
  }

  // ---- expressions ----

  evaluate(e: Expr, frame: Frame): Value {
    const value = this.evaluateUncached(e, frame);
    // An error value always stands for an error reported somewhere, perhaps outside this
    // model (a file-level const): either way the model must not reach the back end.
    if (value.kind === "error" && frame.builder) frame.builder.failed = true;
    // A literal's type is plain to see; leaving it out keeps the table a third smaller.
    // A call has already recorded itself, with its CallInfo, whenever it produced a value.
    if (e.kind !== "Number" && e.kind !== "Bool" && e.kind !== "Call") this.record(e, value, frame);
    return value;
  }

  private evaluateUncached(e: Expr, frame: Frame): Value {
    switch (e.kind) {
      case "Number":
        return Number.isFinite(e.value) ? { kind: "number", value: e.value, whole: e.integer } : errorValue;
      case "Bool":
        return { kind: "bool", value: e.value };
      case "Name":
        return this.nameValue(e.name, frame);
      case "Paren":
        return this.evaluate(e.expr, frame);
      case "Unary":
        return negate(this, e, frame);
      case "Binary":
        return binary(this, e, frame);
      case "Call":
        return this.call(e, null, frame);
      case "Pipe": {
        const left = this.evaluate(e.left, frame);
        if (e.right.kind !== "Call" && e.right.kind !== "Name") return errorValue;
        return this.call(e.right, { expr: e.left, value: left }, frame);
      }
      case "List":
        frame.reporter.report(codes.expectedTensor, "a list is only allowed as a shape argument, such as reshape([7, 7, 16])", e.range);
        return errorValue;
      case "Error":
        return errorValue;
    }
  }

  private nameValue(id: Identifier, frame: Frame): Value {
    const decl = this.resolution.symbols.definitionOf.get(id);
    if (!decl) return errorValue;
    if (decl.kind === "const" && decl.owner === null) return this.fileConst(decl.node as ConstDecl, frame);
    return frame.env.get(decl) ?? errorValue;
  }

  /** File-level consts are folded on first use, in any order; a cycle is an error at the const that closes it. */
  private fileConst(decl: ConstDecl, frame: Frame): Value {
    const known = this.fileConsts.get(decl);
    if (known === "evaluating") {
      this.reporter.report(codes.constCycle, `const '${decl.name.name}' is defined in terms of itself`, decl.name.range);
      this.fileConsts.set(decl, errorValue);
      return errorValue;
    }
    if (known) return known;
    this.fileConsts.set(decl, "evaluating");
    const constFrame: Frame = { ...frame, env: new Map(), builder: null, reporter: this.reporter, recordTypes: true };
    let value = this.evaluate(decl.value, constFrame);
    if (value.kind === "tensor") value = errorValue;
    if (this.fileConsts.get(decl) === "evaluating") this.fileConsts.set(decl, value);
    this.record(decl.name, value, constFrame);
    return this.fileConsts.get(decl) as Value;
  }

  /** A layer or block call (`f(x)` or `x |> f`); losses, optimizers, inits and schedules are read by their statements. */
  private call(site: Expr, piped: Piped | null, frame: Frame): Value {
    const bound = this.resolution.calls.get(site);
    if (!bound) return errorValue;
    if (piped?.value.kind === "error") return errorValue;
    if (!frame.builder) return tensorInConst(site, frame);
    switch (bound.callee.kind) {
      case "layer":
        return applyLayer(this, bound.callee.entry, bound, site, piped, frame);
      case "block":
        return this.blocks.apply(bound.callee.block, bound, site, piped, frame);
      default:
        return errorValue;
    }
  }
}
