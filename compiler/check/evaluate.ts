// The second pass of the checker: evaluates each model statement by statement, folding
// consts, inferring every shape through the library's rules, inlining blocks at each call
// (their shape variables bound by unification), and building the ModelGraph the back end
// reads. Errors are reported where language.md places them; an expression with an error
// evaluates to `error`, which raises nothing further.
import type {
  BinaryExpr,
  BlockDecl,
  ConstDecl,
  Expr,
  Identifier,
  InputDecl,
  ModelDecl,
  Node,
  Statement,
  TopLevel,
  TypeExpr,
} from "../../grammar/ast.js";
import type {
  ArgValue,
  CallValue,
  GraphNode,
  LossTerm,
  ModelGraph,
  OptimizerSpec,
  ParamSpec,
  ScheduleSpec,
  SourceRef,
  TensorType,
  TrainDefaults,
} from "../graph.js";
import {
  formatShape,
  formatType,
  isLayerError,
  trainKeys,
  type ArgDecl,
  type LayerEntry,
} from "../library/index.js";
import { argumentProblem, describeValue } from "./argument-values.js";
import { broadcast, foldNumbers } from "./arithmetic.js";
import { calleeName, type BlockInfo, type BoundArg, type BoundCall } from "./calls.js";
import { codes } from "./codes.js";
import { ParamNamer } from "./naming.js";
import { CallSiteReporter, type Reporter } from "./report.js";
import type { Resolution } from "./resolve.js";
import type { Declaration } from "./symbols.js";
import type { TypeTable } from "./type-table.js";
import { errorValue, type CallInfo, type Value } from "./types.js";

/** The graph under construction for one model. */
class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  /** Set when the model leans on something broken that reported elsewhere (a block with errors). */
  failed = false;

  add(node: Omit<GraphNode, "id">): number {
    const id = this.nodes.length;
    // Spelled out rather than spread: one node per layer call adds up, and a spread copy is slower.
    this.nodes.push({
      id,
      op: node.op,
      inputs: node.inputs,
      args: node.args,
      type: node.type,
      params: node.params,
      source: node.source,
      name: node.name,
    });
    return id;
  }

  paramsSince(firstNode: number): ParamSpec[] {
    const params: ParamSpec[] = [];
    for (let i = firstNode; i < this.nodes.length; i++) for (const p of this.nodes[i]!.params) params.push(p);
    return params;
  }
}

/** Where evaluation stands: the values of the names in scope, and where names and errors go. */
interface Frame {
  env: Map<Declaration, Value>;
  namer: ParamNamer;
  reporter: Reporter;
  builder: GraphBuilder | null;
  /** Blocks being inlined, outermost first, to refuse a block that calls itself. */
  blocks: BlockDecl[];
  /** Hover shows the first instantiation of a block's body; later calls do not overwrite it. */
  recordTypes: boolean;
}

/** The most elements one tensor may have: typed arrays are indexed by 32-bit integers. */
const maxElements = 2 ** 31 - 1;

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const operatorOps = { "+": "add", "-": "sub", "*": "mul" } as const;

export class Evaluator {
  private readonly fileConsts = new Map<ConstDecl, Value | "evaluating">();
  private readonly instantiatedBlocks = new Set<BlockDecl>();

  constructor(
    private readonly text: string,
    private readonly resolution: Resolution,
    private readonly reporter: Reporter,
    private readonly types: TypeTable,
    /** Top-level items holding a name error: a block among them makes its callers fail quietly. */
    private readonly broken: ReadonlySet<TopLevel>,
  ) {}

  // ---- models ----

  evaluateModel(model: ModelDecl): ModelGraph | null {
    const builder = new GraphBuilder();
    const before = this.reporter.errorCount;
    const frame: Frame = {
      env: new Map(),
      namer: new ParamNamer(""),
      reporter: this.reporter,
      builder,
      blocks: [],
      recordTypes: true,
    };
    const graph: ModelGraph = {
      name: model.name.name,
      inputs: [],
      targets: [],
      nodes: builder.nodes,
      outputs: [],
      losses: [],
      optimizer: null,
      train: {},
      params: [],
    };
    const targets = new Map<Declaration, TensorType>();
    for (const s of model.body) this.modelStatement(s, frame, graph, targets);
    if (graph.outputs.length === 0 && !model.body.some((s) => s.kind === "Output") && !model.name.missing) {
      this.reporter.report(codes.noOutput, `model '${model.name.name}' has no output; add one: \`output y = ...\``, model.name.range);
    }
    if (!model.name.missing && (!model.body.some((s) => s.kind === "Loss") || !model.body.some((s) => s.kind === "Optimizer"))) {
      const lacking = [
        model.body.some((s) => s.kind === "Loss") ? null : "loss",
        model.body.some((s) => s.kind === "Optimizer") ? null : "optimizer",
      ].filter((x) => x !== null);
      this.reporter.report(
        codes.notTrainable,
        `model '${model.name.name}' has no ${lacking.join(" and no ")}: it can be compiled for inference but not trained`,
        model.name.range,
      );
    }
    graph.params = builder.paramsSince(0);
    this.checkUniqueParamNames(graph, model);
    if (builder.failed || this.reporter.errorCount > before || this.broken.has(model)) return null;
    return graph;
  }

  /** A later binding named like an earlier one's suffix (`x_1` beside a shadowed `x`) could collide; refuse it rather than lose a weight. */
  private checkUniqueParamNames(graph: ModelGraph, model: ModelDecl): void {
    const seen = new Set<string>();
    for (const p of graph.params) {
      if (seen.has(p.name)) {
        this.reporter.report(
          codes.duplicateName,
          `two parameters would both be named '${p.name}'; rename the binding '${p.name.split(".")[0]}'`,
          model.name.range,
        );
        return;
      }
      seen.add(p.name);
    }
  }

  private modelStatement(s: Statement, frame: Frame, graph: ModelGraph, targets: Map<Declaration, TensorType>): void {
    switch (s.kind) {
      case "Input": {
        const decl = this.declarationOf(s.name);
        const type = this.evaluateType(s.type, frame);
        if (!type) frame.builder!.failed = true;
        if (!decl || !type) return;
        const node = frame.builder!.add({
          op: "input",
          inputs: [],
          args: {},
          type,
          params: [],
          source: this.source(s),
          name: s.name.name,
        });
        const value: Value = { kind: "tensor", type, node };
        frame.env.set(decl, value);
        graph.inputs.push({ name: s.name.name, type, node });
        this.record(s.name, value, frame);
        return;
      }
      case "Target": {
        const decl = this.declarationOf(s.name);
        const type = this.evaluateType(s.type, frame);
        if (!type) frame.builder!.failed = true;
        if (!decl || !type) return;
        targets.set(decl, type);
        graph.targets.push({ name: s.name.name, type });
        this.record(s.name, { kind: "tensor", type, node: -1 }, frame);
        return;
      }
      case "Output": {
        const value = this.bodyStatement(s, frame);
        if (value?.kind === "tensor") graph.outputs.push({ name: s.name.name, type: value.type, node: value.node });
        return;
      }
      case "Loss":
        return this.evaluateLoss(s.value, frame, graph, targets);
      case "Optimizer":
        graph.optimizer = this.evaluateOptimizer(s.value, frame);
        return;
      case "Train":
        graph.train = this.evaluateTrain(s, frame);
        return;
      default:
        this.bodyStatement(s, frame);
    }
  }

  /** Consts, bindings and outputs: the statements a model and a block have in common. Returns the value bound. */
  private bodyStatement(s: Statement, frame: Frame): Value | null {
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

  private declarationOf(id: Identifier): Declaration | undefined {
    return this.resolution.symbols.declarations.get(id);
  }

  private record(node: Node, value: Value, frame: Frame, call?: CallInfo): void {
    if (!frame.recordTypes || value.kind === "error") return;
    // A Value is already an ExprInfo (with an extra field or two): storing it allocates nothing.
    this.types.record(node, call && value.kind === "tensor" ? { kind: "tensor", type: value.type, call } : value);
  }

  private source(node: Node): SourceRef {
    const raw = this.text.slice(node.range.start.offset, node.range.end.offset);
    // A call written over several lines reads as one line in kernel comments.
    const text = raw.includes("\n") ? raw.replace(/\s+/g, " ") : raw;
    return { line: node.range.start.line, column: node.range.start.column, text };
  }

  // ---- types ----

  /** A declared tensor type with every dimension folded to a positive whole number, or null after reporting why not. */
  private evaluateType(t: TypeExpr, frame: Frame): TensorType | null {
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

  private evaluate(e: Expr, frame: Frame): Value {
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
        return this.negate(e, frame);
      case "Binary":
        return this.binary(e, frame);
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

  /** Evaluates every file-level const once, so that errors in unused ones are reported too. */
  evaluateFileConsts(items: readonly TopLevel[]): void {
    const frame: Frame = {
      env: new Map(),
      namer: new ParamNamer(""),
      reporter: this.reporter,
      builder: null,
      blocks: [],
      recordTypes: true,
    };
    for (const item of items) if (item.kind === "Const") this.fileConst(item, frame);
  }

  private negate(e: Extract<Expr, { kind: "Unary" }>, frame: Frame): Value {
    const v = this.evaluate(e.operand, frame);
    if (v.kind === "number") return { kind: "number", value: -v.value, whole: v.whole };
    if (v.kind === "tensor") return this.scale(v, -1, e, frame);
    if (v.kind === "bool") frame.reporter.report(codes.unsupportedOperation, "cannot negate a boolean", e.range);
    return errorValue;
  }

  private scale(v: Extract<Value, { kind: "tensor" }>, factor: number, e: Expr, frame: Frame): Value {
    if (!frame.builder) return this.tensorInConst(e, frame);
    if (v.type.kind === "int") {
      frame.reporter.report(codes.unsupportedOperation, `cannot scale int tensor ${formatType(v.type)}; arithmetic needs float tensors`, e.range);
      return errorValue;
    }
    const node = frame.builder.add({
      op: "scale",
      inputs: [v.node],
      args: { factor },
      type: { ...v.type, shape: [...v.type.shape] },
      params: [],
      source: this.source(e),
      name: frame.namer.next("scale"),
    });
    return { kind: "tensor", type: v.type, node };
  }

  private tensorInConst(e: Expr, frame: Frame): Value {
    frame.reporter.report(codes.expectedTensor, "a const holds a number, not a tensor", e.range);
    return errorValue;
  }

  private binary(e: BinaryExpr, frame: Frame): Value {
    const l = this.evaluate(e.left, frame);
    const r = this.evaluate(e.right, frame);
    if (l.kind === "error" || r.kind === "error") return errorValue;
    if (l.kind === "number" && r.kind === "number") return this.fold(e, l, r, frame);
    if (l.kind === "bool" || r.kind === "bool") {
      frame.reporter.report(codes.unsupportedOperation, `'${e.op}' is not defined on booleans`, e.range);
      return errorValue;
    }
    if (l.kind === "tensor" && r.kind === "tensor") return this.elementwise(e, l, r, frame);
    const tensor = (l.kind === "tensor" ? l : r) as Extract<Value, { kind: "tensor" }>;
    const number = (l.kind === "number" ? l : r) as Extract<Value, { kind: "number" }>;
    if (e.op === "*") return this.scale(tensor, number.value, e, frame);
    if (e.op === "/" && l.kind === "tensor") {
      if (number.value === 0) {
        frame.reporter.report(codes.inexactDivision, "division by zero", e.right.range);
        return errorValue;
      }
      return this.scale(tensor, 1 / number.value, e, frame);
    }
    const verb = { "+": "add a number to", "-": "subtract with a number and", "/": "divide a number by", "*": "" }[e.op];
    frame.reporter.report(
      codes.unsupportedOperation,
      `cannot ${verb} a tensor: between a tensor and a number only \`*\` and \`tensor / number\` are defined`,
      e.range,
    );
    return errorValue;
  }

  private fold(
    e: BinaryExpr,
    l: Extract<Value, { kind: "number" }>,
    r: Extract<Value, { kind: "number" }>,
    frame: Frame,
  ): Value {
    const folded = foldNumbers(e.op, l, r);
    if ("error" in folded) {
      frame.reporter.report(folded.code, folded.error, e.range);
      return errorValue;
    }
    return { kind: "number", value: folded.value, whole: folded.whole };
  }

  private elementwise(
    e: BinaryExpr,
    l: Extract<Value, { kind: "tensor" }>,
    r: Extract<Value, { kind: "tensor" }>,
    frame: Frame,
  ): Value {
    if (e.op === "/") {
      frame.reporter.report(codes.unsupportedOperation, "'/' between two tensors is not defined; divide by a number instead", e.range);
      return errorValue;
    }
    if (l.type.kind === "int" || r.type.kind === "int") {
      const t = l.type.kind === "int" ? l.type : r.type;
      frame.reporter.report(codes.unsupportedOperation, `element-wise '${e.op}' needs float tensors, got ${formatType(t)}`, e.range);
      return errorValue;
    }
    const shape = broadcast(l.type.shape, r.type.shape);
    if (!shape) {
      frame.reporter.report(codes.shapeMismatch, `shape mismatch: ${formatType(l.type)} vs ${formatType(r.type)}`, e.range);
      return errorValue;
    }
    if (!frame.builder) return this.tensorInConst(e, frame);
    const op = operatorOps[e.op];
    const type: TensorType = { shape, kind: "float" };
    const node = frame.builder.add({
      op,
      inputs: [l.node, r.node],
      args: {},
      type,
      params: [],
      source: this.source(e),
      name: frame.namer.next(op),
    });
    return { kind: "tensor", type, node };
  }

  // ---- calls ----

  private call(site: Expr, piped: { expr: Expr; value: Value } | null, frame: Frame): Value {
    const bound = this.resolution.calls.get(site);
    if (!bound) return errorValue;
    if (piped?.value.kind === "error") return errorValue;
    if (!frame.builder) return this.tensorInConst(site, frame);
    switch (bound.callee.kind) {
      case "layer":
        return this.applyLayer(bound.callee.entry, bound, site, piped, frame);
      case "block":
        return this.applyBlock(bound.callee.block, bound, site, piped, frame);
      default:
        return errorValue;
    }
  }

  private argumentValue(arg: BoundArg, piped: { expr: Expr; value: Value } | null, frame: Frame): Value {
    return piped && arg.expr === piped.expr ? piped.value : this.evaluate(arg.expr, frame);
  }

  /** The tensor inputs of a call, or null when one is missing, broken or not a tensor (reported at the argument). */
  private tensorInputs(
    names: readonly string[],
    bound: BoundCall,
    piped: { expr: Expr; value: Value } | null,
    frame: Frame,
  ): Extract<Value, { kind: "tensor" }>[] | null {
    const out: Extract<Value, { kind: "tensor" }>[] = [];
    let ok = true;
    for (const name of names) {
      const arg = bound.args.get(name);
      if (!arg) {
        ok = false;
        continue;
      }
      const v = this.argumentValue(arg, piped, frame);
      if (v.kind === "error") ok = false;
      else if (v.kind !== "tensor") {
        const problem = argumentProblem(v, { kind: "tensor" }, name, calleeName(bound.callee));
        frame.reporter.report(codes.expectedTensor, `${problem}; pipe a tensor in: \`x |> ${calleeName(bound.callee)}(...)\``, arg.range);
        ok = false;
      } else out.push(v);
    }
    return ok ? out : null;
  }

  private applyLayer(
    entry: LayerEntry,
    bound: BoundCall,
    site: Expr,
    piped: { expr: Expr; value: Value } | null,
    frame: Frame,
  ): Value {
    const inputs = this.tensorInputs(entry.inputs, bound, piped, frame);
    const args = this.libraryArguments(entry.name, entry.args, bound, frame);
    if (!inputs || !args) return errorValue;
    const result = entry.infer(
      inputs.map((v) => v.type),
      args,
    );
    if (isLayerError(result)) {
      const at = result.at !== undefined ? bound.args.get(result.at)?.range : undefined;
      frame.reporter.report(at ? codes.badArgument : codes.layerConstraint, result.error, at ?? bound.calleeId.range);
      return errorValue;
    }
    let oversized = elementCount(result.type.shape) > maxElements ? result.type.shape : undefined;
    for (const w of result.weights) if (!oversized && elementCount(w.shape) > maxElements) oversized = w.shape;
    if (oversized) {
      frame.reporter.report(
        codes.layerConstraint,
        `'${entry.name}' would need a tensor of shape ${formatShape(oversized)}, more than ${maxElements.toLocaleString("en-US")} elements`,
        bound.calleeId.range,
      );
      return errorValue;
    }
    const name = frame.namer.next(entry.name);
    const params: ParamSpec[] = result.weights.map((w) => ({ name: `${name}.${w.name}`, shape: w.shape, init: w.init, trainable: w.trainable }));
    const node = frame.builder!.add({
      op: entry.name,
      inputs: inputs.map((v) => v.node),
      args: result.args ? { ...args, ...result.args } : args,
      type: result.type,
      params,
      source: this.source(site),
      name,
    });
    const value: Value = { kind: "tensor", type: result.type, node };
    this.record(site, value, frame, {
      kind: "layer",
      name: entry.name,
      doc: entry.doc,
      params,
      paramCount: countElements(params),
    });
    return value;
  }

  /**
   * Every non-tensor argument of a library entry, checked and with its default filled in;
   * null when any is wrong (each reported at its argument).
   */
  private libraryArguments(
    owner: string,
    decls: readonly ArgDecl[],
    bound: BoundCall,
    frame: Frame,
  ): Record<string, ArgValue> | null {
    const out: Record<string, ArgValue> = {};
    let ok = true;
    for (const decl of decls) {
      const arg = bound.args.get(decl.name);
      if (!arg) {
        if (decl.default !== undefined) out[decl.name] = decl.default;
        else if (decl.defaultDoc === undefined) ok = false;
        continue;
      }
      const v = this.libraryArgument(owner, decl, arg, frame);
      if (v === null) ok = false;
      else out[decl.name] = v;
    }
    return ok ? out : null;
  }

  private libraryArgument(owner: string, decl: ArgDecl, arg: BoundArg, frame: Frame): ArgValue | null {
    const type = decl.type;
    switch (type.kind) {
      case "word":
        return arg.expr.kind === "Name" && type.words.includes(arg.expr.name.name) ? arg.expr.name.name : null;
      case "init":
      case "schedule":
        return this.namedCallValue(arg.expr, frame);
      case "shape":
        return this.shapeValue(owner, decl.name, arg.expr, type.allowInfer ?? false, frame);
      default: {
        const v = this.evaluate(arg.expr, frame);
        if (v.kind === "error") return null;
        const problem = argumentProblem(v, type, decl.name, owner);
        if (problem) {
          frame.reporter.report(codes.badArgument, problem, arg.range);
          return null;
        }
        return v.kind === "number" || v.kind === "bool" ? v.value : null;
      }
    }
  }

  /** An init scheme or schedule: `he_normal`, `normal(0.02)`, `cosine(warmup: 100)`, with defaults filled in. */
  private namedCallValue(e: Expr, frame: Frame): CallValue | null {
    const bound = this.resolution.calls.get(e);
    if (!bound || (bound.callee.kind !== "init" && bound.callee.kind !== "schedule")) return null;
    const args = this.libraryArguments(bound.callee.entry.name, bound.callee.entry.args, bound, frame);
    return args ? { kind: "call", name: bound.callee.entry.name, args } : null;
  }

  private shapeValue(owner: string, arg: string, e: Expr, allowInfer: boolean, frame: Frame): number[] | null {
    if (e.kind !== "List") {
      const v = this.evaluate(e, frame);
      if (v.kind !== "error")
        frame.reporter.report(codes.badArgument, `'${arg}' of '${owner}' must be a shape such as [7, 7, 16], got ${describeValue(v)}`, e.range);
      return null;
    }
    const shape: number[] = [];
    let inferred = 0;
    for (const el of e.elements) {
      const v = this.evaluate(el, frame);
      if (v.kind === "error") return null;
      const infer = allowInfer && v.kind === "number" && v.value === -1;
      if (infer) inferred++;
      if (!infer && (v.kind !== "number" || !Number.isInteger(v.value) || v.value < 1)) {
        const allowed = allowInfer ? "a positive whole number or -1" : "a positive whole number";
        frame.reporter.report(codes.badArgument, `each dimension of '${arg}' must be ${allowed}, got ${describeValue(v)}`, el.range);
        return null;
      }
      if (inferred > 1) {
        frame.reporter.report(codes.badArgument, `only one dimension of '${arg}' may be -1`, el.range);
        return null;
      }
      shape.push((v as Extract<Value, { kind: "number" }>).value);
    }
    return shape;
  }

  // ---- blocks ----

  private applyBlock(
    block: BlockInfo,
    bound: BoundCall,
    site: Expr,
    piped: { expr: Expr; value: Value } | null,
    frame: Frame,
  ): Value {
    const name = block.decl.name.name;
    if (frame.blocks.includes(block.decl)) {
      frame.reporter.report(codes.notApplicable, `block '${name}' calls itself; blocks are inlined and cannot recurse`, bound.calleeId.range);
      return errorValue;
    }
    const inputs = this.tensorInputs(
      block.inputs.map((i) => i.name.name),
      bound,
      piped,
      frame,
    );
    const env = new Map<Declaration, Value>();
    let ok = inputs !== null;
    for (const slot of block.slots.slice(block.inputs.length)) {
      const arg = bound.args.get(slot.name);
      const decl = slot.declaration && this.declarationOf(slot.declaration);
      if (!arg || !decl) {
        ok = false;
        continue;
      }
      const v = this.evaluate(arg.expr, frame);
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
      recordTypes: frame.recordTypes && !this.instantiatedBlocks.has(block.decl),
    };
    this.instantiatedBlocks.add(block.decl);
    const firstNode = frame.builder!.nodes.length;
    let output: Value = errorValue;
    let inputIndex = 0;
    // In body order, so that a block const may appear in a later input's shape.
    for (const s of block.decl.body) {
      if (s.kind === "Input") {
        if (!this.unify(name, s, inputs![inputIndex++]!, inner, bound, frame)) return errorValue;
        continue;
      }
      const v = this.bodyStatement(s, inner);
      if (s.kind === "Output" && v) output = v;
    }
    if (reporter.errorCount > 0 || output.kind !== "tensor") return errorValue;
    const params = frame.builder!.paramsSince(firstNode);
    this.record(site, output, frame, {
      kind: "block",
      name,
      doc: this.text.slice(block.decl.range.start.offset, block.decl.name.range.end.offset) + this.signatureText(block),
      params,
      paramCount: countElements(params),
    });
    return output;
  }

  private signatureText(block: BlockInfo): string {
    if (block.params.length === 0) return "";
    return `(${block.params.map((p) => (p.type ? `${p.name.name}: ${p.type.name}` : p.name.name)).join(", ")})`;
  }

  /**
   * Binds the shape variables of one block input from the actual tensor and checks the
   * rest of its declared type against it. A mismatch is reported at the call, with both types.
   */
  private unify(
    name: string,
    input: InputDecl,
    actual: Extract<Value, { kind: "tensor" }>,
    inner: Frame,
    bound: BoundCall,
    frame: Frame,
  ): boolean {
    const declared = input.type;
    const typeText = this.text.slice(declared.range.start.offset, declared.range.end.offset);
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
      const variable = dim.kind === "Name" ? (this.resolution.symbols.definitionOf.get(dim.name) ?? this.declarationOf(dim.name)) : undefined;
      if (variable?.kind === "shape" && !inner.env.has(variable)) {
        const value: Value = { kind: "number", value: have, whole: true };
        inner.env.set(variable, value);
        this.record(variable.name, value, inner);
        this.record(dim, value, inner);
        continue;
      }
      const want = this.evaluate(dim, inner);
      if (want.kind !== "number") return false;
      if (want.value !== have) {
        const dimText = this.text.slice(dim.range.start.offset, dim.range.end.offset);
        return mismatch(dimText === String(want.value) ? "" : ` (${dimText} is ${want.value})`);
      }
    }
    const decl = this.declarationOf(input.name);
    if (decl) inner.env.set(decl, actual);
    this.record(input.name, actual, inner);
    return true;
  }

  // ---- loss, optimizer, train ----

  private evaluateLoss(value: Expr, frame: Frame, graph: ModelGraph, targets: Map<Declaration, TensorType>): void {
    const piped = value.kind === "Pipe" ? value : null;
    const site = piped ? piped.right : value;
    const bound = this.resolution.calls.get(site);
    if (!bound || bound.callee.kind !== "loss") return;
    frame.namer.enterBinding("loss");
    const pipedValue = piped ? { expr: piped.left, value: this.evaluate(piped.left, frame) } : null;
    const predictionArg = bound.args.get("prediction");
    const targetArg = bound.args.get("target");
    if (!predictionArg || !targetArg) return;
    const prediction = this.argumentValue(predictionArg, pipedValue, frame);
    const targetDecl = targetArg.expr.kind === "Name" ? this.resolution.symbols.definitionOf.get(targetArg.expr.name) : undefined;
    const target = targetDecl ? targets.get(targetDecl) : undefined;
    if (prediction.kind === "error" || !target || !targetDecl) return;
    if (prediction.kind !== "tensor") {
      frame.reporter.report(codes.expectedTensor, `a loss needs a tensor prediction, got ${describeValue(prediction)}`, predictionArg.range);
      return;
    }
    const entry = bound.callee.entry;
    const predictionText = this.text.slice(predictionArg.expr.range.start.offset, predictionArg.expr.range.end.offset);
    const problem = entry.check(prediction.type, target, { prediction: predictionText, target: targetDecl.name.name });
    if (problem) {
      frame.reporter.report(codes.lossMismatch, problem, targetArg.expr.range);
      return;
    }
    const term: LossTerm = { op: entry.name, prediction: prediction.node, target: targetDecl.name.name, source: this.source(value) };
    graph.losses.push(term);
  }

  private evaluateOptimizer(value: Expr, frame: Frame): OptimizerSpec | null {
    const bound = this.resolution.calls.get(value);
    if (!bound || bound.callee.kind !== "optimizer") return null;
    const entry = bound.callee.entry;
    const args = this.libraryArguments(entry.name, entry.args, bound, frame);
    if (!args) return null;
    const hyper: Record<string, number | boolean> = {};
    let schedule: ScheduleSpec = { name: "constant", args: {} };
    for (const [k, v] of Object.entries(args)) {
      if (typeof v === "number" || typeof v === "boolean") hyper[k] = v;
      else if (k === "schedule") schedule = scheduleSpec(v);
    }
    return { name: entry.name, args: hyper, schedule };
  }

  private evaluateTrain(s: Extract<Statement, { kind: "Train" }>, frame: Frame): TrainDefaults {
    const train: TrainDefaults = {};
    for (const entry of s.entries) {
      const decl = trainKeys.find((k) => k.name === entry.key.name);
      const v = this.evaluate(entry.value, frame);
      if (!decl || v.kind === "error") continue;
      const problem = argumentProblem(v, decl.type, decl.name, "train");
      if (problem) {
        frame.reporter.report(codes.badArgument, problem, entry.value.range);
        continue;
      }
      if (v.kind === "number") train[decl.name as keyof TrainDefaults] = v.value;
    }
    return train;
  }
}

function scheduleSpec(v: ArgValue): ScheduleSpec {
  if (typeof v === "string") return { name: v, args: {} };
  if (typeof v === "object" && !Array.isArray(v)) {
    const args: Record<string, number> = {};
    for (const [k, x] of Object.entries(v.args)) if (typeof x === "number") args[k] = x;
    return { name: v.name, args };
  }
  return { name: "constant", args: {} };
}

export function countElements(params: readonly { shape: readonly number[] }[]): number {
  let total = 0;
  for (const p of params) total += p.shape.reduce((a, b) => a * b, 1);
  return total;
}
