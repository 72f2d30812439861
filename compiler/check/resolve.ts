// Name resolution: the first pass of the checker. It needs no shapes, so it runs once over
// every model and block (including blocks nobody calls) and reports, in place, everything
// that is wrong with names: unknown or misspelt names, layers, arguments and words,
// duplicates, targets outside a loss, statements a block may not hold, unused bindings.
// It records what each name refers to (the symbol table) and how each call's arguments
// bind to its callee, for the evaluator that follows.
import type {
  BlockDecl,
  BlockParam,
  CallExpr,
  Expr,
  Identifier,
  InputDecl,
  ModelDecl,
  Node,
  OutputDecl,
  Program,
  Statement,
  TypeExpr,
} from "../../grammar/ast.js";
import {
  initEntries,
  layerEntries,
  lossEntries,
  optimizerEntries,
  scheduleEntries,
  surrogateEntries,
  trainKeys,
} from "../library/index.js";
import { bindArguments, blockSlots, slotsOf, type BlockInfo, type BoundCall, type Callee, type Slot, type SlotType } from "./calls.js";
import { codes } from "./codes.js";
import { reportUnknown, type Reporter } from "./report.js";
import { emptySymbols, type Declaration, type DeclarationKind, type LibraryReference, type Symbols } from "./symbols.js";

export interface Resolution {
  symbols: Symbols;
  /** How each call bound its arguments, keyed by the CallExpr, or by the NameExpr of a bare callee (`|> relu`, `optimizer adam`). */
  calls: Map<Node, BoundCall>;
  blocks: Map<string, BlockInfo>;
  /** Shape variables of each block, in order of first appearance. */
  shapeVariables: Map<BlockDecl, Declaration[]>;
}

type Owner = ModelDecl | BlockDecl | null;

class Scope {
  private readonly names = new Map<string, Declaration>();
  constructor(readonly parent: Scope | null) {}

  lookup(name: string): Declaration | undefined {
    return this.names.get(name) ?? this.parent?.lookup(name);
  }

  own(name: string): Declaration | undefined {
    return this.names.get(name);
  }

  set(d: Declaration): void {
    this.names.set(d.name.name, d);
  }

  /** Names a value position could mean, for "did you mean". */
  valueNames(): string[] {
    const out: string[] = [];
    for (let s: Scope | null = this; s; s = s.parent)
      for (const d of s.names.values()) if (d.kind !== "block" && d.kind !== "model") out.push(d.name.name);
    return out;
  }
}

const declarationWords: Record<DeclarationKind, string> = {
  const: "a const",
  input: "an input",
  target: "a target",
  binding: "a binding",
  output: "an output",
  block: "a block",
  model: "a model",
  param: "a block parameter",
  shape: "a shape variable",
};

interface Context {
  scope: Scope;
  owner: Owner;
  /** Inside a loss: a target may be named. */
  allowTarget: boolean;
  /** Under a callee that could not be resolved: record what resolves, report nothing. */
  quiet: boolean;
}

export class Resolver {
  private readonly symbols = emptySymbols();
  private readonly calls = new Map<Node, BoundCall>();
  private readonly blocks = new Map<string, BlockInfo>();
  private readonly shapeVariables = new Map<BlockDecl, Declaration[]>();
  /** Every binding, for the unused-binding warning once all uses are known. */
  private readonly bindings: Declaration[] = [];
  /** Names offered as "did you mean": a binding misspelt at its use is not also reported unused. */
  private readonly suggested = new Set<string>();

  constructor(private readonly reporter: Reporter) {}

  resolve(program: Program): Resolution {
    const fileScope = new Scope(null);
    for (const item of program.items) {
      if (item.kind === "Block") this.collectBlock(item);
      const kind: DeclarationKind = item.kind === "Const" ? "const" : item.kind === "Block" ? "block" : "model";
      // File-level consts are declared up front so that models and blocks see every one of them.
      this.declare(fileScope, kind, item.name, item, null);
    }
    for (const item of program.items) {
      if (item.kind === "Const") this.resolveValue(item.value, this.context(fileScope, null));
      else this.resolveBody(item, new Scope(fileScope));
    }
    for (const d of this.bindings) {
      const unused = (this.symbols.referencesOf.get(d)?.length ?? 0) === 0;
      if (unused && !d.name.name.startsWith("_") && !this.suggested.has(d.name.name))
        this.reporter.report(codes.unusedBinding, `'${d.name.name}' is never used`, d.name.range);
    }
    return { symbols: this.symbols, calls: this.calls, blocks: this.blocks, shapeVariables: this.shapeVariables };
  }

  private context(scope: Scope, owner: Owner): Context {
    return { scope, owner, allowTarget: false, quiet: false };
  }

  private collectBlock(decl: BlockDecl): void {
    const inputs = decl.body.filter((s): s is InputDecl => s.kind === "Input");
    const outputs = decl.body.filter((s): s is OutputDecl => s.kind === "Output");
    if (!decl.name.missing && !this.blocks.has(decl.name.name))
      this.blocks.set(decl.name.name, { decl, inputs, params: decl.params, outputs, slots: blockSlots(inputs, decl.params) });
  }

  private declare(scope: Scope, kind: DeclarationKind, name: Identifier, node: Node, owner: Owner): Declaration | null {
    if (name.missing || name.name === "") return null;
    const decl: Declaration = { kind, name, node, owner };
    const existing = scope.own(name.name);
    if (existing && !(kind === "binding" && existing.kind === "binding")) {
      const at = `${existing.name.range.start.line}:${existing.name.range.start.column}`;
      const advice = kind === "binding" ? "; only a binding may shadow a binding" : "";
      this.reporter.report(
        codes.duplicateName,
        `'${name.name}' is already declared as ${declarationWords[existing.kind]} at ${at}${advice}`,
        name.range,
      );
      this.symbols.declarations.set(name, decl);
      return decl;
    }
    scope.set(decl);
    this.symbols.declarations.set(name, decl);
    this.symbols.referencesOf.set(decl, []);
    return decl;
  }

  private use(id: Identifier, decl: Declaration): void {
    this.symbols.definitionOf.set(id, decl);
    const refs = this.symbols.referencesOf.get(decl);
    if (refs) refs.push(id);
    else this.symbols.referencesOf.set(decl, [id]);
  }

  // ---- models and blocks ----

  private resolveBody(item: ModelDecl | BlockDecl, scope: Scope): void {
    const isBlock = item.kind === "Block";
    const ctx = this.context(scope, item);
    if (isBlock) {
      this.shapeVariables.set(item, []);
      for (const p of item.params) this.resolveBlockParam(p, ctx);
    }
    let optimizer = false;
    let train = false;
    for (const s of item.body) {
      if (isBlock && (s.kind === "Target" || s.kind === "Loss" || s.kind === "Optimizer" || s.kind === "Train")) {
        const what = { Target: "a target", Loss: "a loss", Optimizer: "an optimizer", Train: "a train block" }[s.kind];
        this.reporter.report(codes.notInBlock, `a block cannot hold ${what}; put it in the model that uses the block`, s.range);
        continue;
      }
      if (s.kind === "Optimizer" || s.kind === "Train") {
        const seen = s.kind === "Optimizer" ? optimizer : train;
        if (seen) {
          const what = s.kind === "Optimizer" ? "optimizer" : "train";
          this.reporter.report(codes.duplicateStatement, `a model has at most one ${what} statement`, s.range);
          continue;
        }
        if (s.kind === "Optimizer") optimizer = true;
        else train = true;
      }
      this.resolveStatement(s, ctx);
    }
    if (isBlock) this.checkBlockShape(item);
  }

  private checkBlockShape(block: BlockDecl): void {
    const info = this.blocks.get(block.name.name);
    if (!info || info.decl !== block) return;
    const inputs = info.inputs.length;
    const outputs = info.outputs.length;
    if (outputs > 1) {
      this.reporter.report(codes.blockShape, `block '${block.name.name}' has ${outputs} outputs; a block has exactly one`, info.outputs[1]!.range);
    } else if (outputs === 0 || inputs === 0) {
      const lacking = inputs === 0 ? "an input" : "an output";
      this.reporter.report(codes.blockShape, `block '${block.name.name}' has no ${inputs === 0 ? "input" : "output"}; a block needs ${lacking}`, block.name.range);
    }
  }

  private resolveBlockParam(p: BlockParam, ctx: Context): void {
    if (p.type && !p.type.missing && !["int", "float", "bool"].includes(p.type.name))
      reportUnknown(this.reporter, codes.unknownType, "parameter type", p.type, ["int", "float", "bool"], { otherwise: "; use int, float or bool" });
    this.declare(ctx.scope, "param", p.name, p, ctx.owner);
  }

  private resolveStatement(s: Statement, ctx: Context): void {
    switch (s.kind) {
      case "Const":
        this.resolveValue(s.value, ctx);
        this.declare(ctx.scope, "const", s.name, s, ctx.owner);
        return;
      case "Input":
        this.resolveType(s.type, ctx, ctx.owner?.kind === "Block");
        this.declare(ctx.scope, "input", s.name, s, ctx.owner);
        return;
      case "Target":
        this.resolveType(s.type, ctx, false);
        this.declare(ctx.scope, "target", s.name, s, ctx.owner);
        return;
      case "Binding": {
        this.resolveValue(s.value, ctx);
        const d = this.declare(ctx.scope, "binding", s.name, s, ctx.owner);
        if (d && ctx.scope.own(s.name.name) === d) this.bindings.push(d);
        return;
      }
      case "Output":
        this.resolveValue(s.value, ctx);
        this.declare(ctx.scope, "output", s.name, s, ctx.owner);
        return;
      case "Loss":
        this.resolveLoss(s.value, ctx);
        return;
      case "Optimizer":
        this.resolveNamedCall(s.value, ctx, "optimizer", optimizerEntries, codes.unknownOptimizer);
        return;
      case "Train":
        this.resolveTrain(s, ctx);
        return;
    }
  }

  private resolveType(t: TypeExpr, ctx: Context, declaresShapeVariables: boolean): void {
    if (t.elementType) {
      const el = t.elementType;
      if (!el.name.missing && el.name.name !== "int" && el.name.name !== "float") {
        reportUnknown(this.reporter, codes.unknownType, "element type", el.name, ["int", "float"], { otherwise: "; use int(V) or float" });
      } else if (el.name.name === "int" && el.args.length !== 1) {
        this.reporter.report(codes.badShape, `'int' takes one argument, the vocabulary size: int(10)`, el.range);
      } else if (el.name.name === "float" && el.args.length !== 0) {
        this.reporter.report(codes.badShape, `'float' takes no arguments`, el.range);
      }
      for (const a of el.args) this.resolveDimension(a, ctx, declaresShapeVariables);
    }
    if (t.shape) for (const d of t.shape.elements) this.resolveDimension(d, ctx, declaresShapeVariables);
  }

  /** A dimension of a block input's shape may introduce a shape variable: a capitalised name not yet bound. */
  private resolveDimension(e: Expr, ctx: Context, declaresShapeVariables: boolean): void {
    if (
      declaresShapeVariables &&
      e.kind === "Name" &&
      !e.name.missing &&
      /^[A-Z]/.test(e.name.name) &&
      ctx.scope.lookup(e.name.name) === undefined &&
      ctx.owner?.kind === "Block"
    ) {
      const d = this.declare(ctx.scope, "shape", e.name, e.name, ctx.owner);
      if (d) this.shapeVariables.get(ctx.owner)?.push(d);
      return;
    }
    this.resolveValue(e, ctx);
  }

  private resolveTrain(s: Extract<Statement, { kind: "Train" }>, ctx: Context): void {
    const seen = new Set<string>();
    for (const entry of s.entries) {
      this.resolveValue(entry.value, ctx);
      if (entry.key.missing) continue;
      const key = entry.key.name;
      if (!trainKeys.some((k) => k.name === key)) {
        reportUnknown(this.reporter, codes.unknownTrainKey, "train key", entry.key, trainKeys.map((k) => k.name), { otherwise: "; train takes batch, epochs and seed" });
      } else if (seen.has(key)) {
        this.reporter.report(codes.duplicateTrainKey, `train key '${key}' is given twice`, entry.key.range);
      }
      seen.add(key);
    }
  }

  // ---- expressions ----

  private resolveValue(e: Expr, ctx: Context): void {
    switch (e.kind) {
      case "Number":
        if (!Number.isFinite(e.value) && !ctx.quiet)
          this.reporter.report(codes.notFinite, `number '${e.text}' is too large: it is not a finite number`, e.range);
        return;
      case "Bool":
      case "Error":
        return;
      case "Name":
        this.resolveNameUse(e.name, ctx);
        return;
      case "List":
        for (const x of e.elements) this.resolveValue(x, ctx);
        return;
      case "Call":
        this.resolveCall(e, null, ctx);
        return;
      case "Pipe":
        this.resolveValue(e.left, ctx);
        this.resolvePipeTarget(e.right, e.left, ctx);
        return;
      case "Binary":
        this.resolveValue(e.left, ctx);
        this.resolveValue(e.right, ctx);
        return;
      case "Unary":
        this.resolveValue(e.operand, ctx);
        return;
      case "Paren":
        this.resolveValue(e.expr, ctx);
        return;
    }
  }

  private resolveNameUse(id: Identifier, ctx: Context): void {
    if (id.missing || id.name === "") return;
    const decl = ctx.scope.lookup(id.name);
    if (decl) {
      this.use(id, decl);
      if (ctx.quiet) return;
      if (decl.kind === "block" || decl.kind === "model") {
        const advice = decl.kind === "block" ? `; call it: \`x |> ${id.name}(...)\`` : "";
        this.reporter.report(codes.notApplicable, `'${id.name}' is ${declarationWords[decl.kind]}, not a value${advice}`, id.range);
      } else if (decl.kind === "target" && !ctx.allowTarget) {
        this.reporter.report(codes.targetOutsideLoss, `target '${id.name}' can only be used in a loss`, id.range);
      }
      return;
    }
    if (ctx.quiet) return;
    if (layerEntries.has(id.name)) {
      this.reporter.report(codes.notApplicable, `'${id.name}' is a layer, not a value; apply it to a tensor: \`x |> ${id.name}\``, id.range);
      return;
    }
    const guess = reportUnknown(this.reporter, codes.unknownName, "name", id, ctx.scope.valueNames());
    if (guess !== undefined) this.suggested.add(guess);
  }

  /** A layer or block named in a value position: `dense(...)`, `|> relu`, `FeedForward(...)`. */
  private lookupCallable(id: Identifier, ctx: Context): Callee | undefined {
    const block = this.blocks.get(id.name);
    const decl = ctx.scope.lookup(id.name);
    if (block && decl?.kind === "block") {
      this.use(id, decl);
      return { kind: "block", block };
    }
    const entry = layerEntries.get(id.name);
    if (entry) {
      this.symbols.library.set(id, libraryReference("layer", entry));
      return { kind: "layer", entry };
    }
    if (ctx.quiet || id.missing || id.name === "") return undefined;
    if (lossEntries.has(id.name)) {
      this.reporter.report(codes.notApplicable, `'${id.name}' is a loss; use it in a loss statement: \`loss ${id.name}(prediction, target)\``, id.range);
    } else if (optimizerEntries.has(id.name)) {
      this.reporter.report(codes.notApplicable, `'${id.name}' is an optimizer; use it in an optimizer statement`, id.range);
    } else if (decl && decl.kind !== "block") {
      this.use(id, decl);
      this.reporter.report(codes.notApplicable, `'${id.name}' is ${declarationWords[decl.kind]}, not a layer or block`, id.range);
    } else {
      reportUnknown(this.reporter, codes.unknownLayer, "layer", id, [...layerEntries.keys(), ...this.blocks.keys()]);
    }
    return undefined;
  }

  private resolveCall(call: CallExpr, piped: Expr | null, ctx: Context): void {
    const callee = this.lookupCallable(call.callee, ctx);
    if (!callee) {
      this.resolveQuietly(call.args.map((a) => a.value), ctx);
      return;
    }
    this.bindAndResolve(callee, call.callee, call, call.args, piped, ctx);
  }

  private resolvePipeTarget(right: Expr, left: Expr, ctx: Context): void {
    if (right.kind === "Call") return this.resolveCall(right, left, ctx);
    if (right.kind === "Name") {
      const callee = this.lookupCallable(right.name, ctx);
      if (callee) this.bindAndResolve(callee, right.name, right, [], left, ctx);
      return;
    }
    if (right.kind === "Error") return;
    this.resolveValue(right, ctx);
    if (!ctx.quiet)
      this.reporter.report(codes.notApplicable, "the right side of |> must be a layer or block: `x |> relu`, `x |> dense(10)`", right.range);
  }

  private resolveQuietly(exprs: Expr[], ctx: Context): void {
    const quiet = { ...ctx, quiet: true };
    for (const e of exprs) this.resolveValue(e, quiet);
  }

  private bindAndResolve(
    callee: Callee,
    calleeId: Identifier,
    site: Node,
    args: CallExpr["args"],
    piped: Expr | null,
    ctx: Context,
  ): void {
    const reporter = ctx.quiet ? silentReporter : this.reporter;
    const bound = bindArguments(callee, calleeId, args, piped, reporter);
    this.calls.set(site, bound);
    const slots = slotsOf(callee);
    if (callee.kind === "block") {
      for (const a of args) {
        const slot = a.name && callee.block.slots.find((s) => s.name === a.name!.name);
        if (slot && slot.declaration) {
          const decl = this.symbols.declarations.get(slot.declaration);
          if (decl) this.use(a.name!, decl);
        }
      }
    }
    bound.args.forEach((arg, name) => {
      if (arg.expr !== piped) this.resolveArgument(arg.expr, slotType(slots, name), name, ctx);
    });
    // Arguments that bound to nothing (unknown names, extras) still hold names worth resolving.
    if (bound.args.size < args.length + (piped ? 1 : 0)) {
      const boundExprs = new Set([...bound.args.values()].map((a) => a.expr));
      this.resolveQuietly(args.map((a) => a.value).filter((e) => !boundExprs.has(e)), ctx);
    }
  }

  private resolveArgument(e: Expr, type: SlotType, argName: string, ctx: Context): void {
    switch (type.kind) {
      case "word":
        return this.resolveWord(e, type.words, argName, ctx);
      case "init":
        return this.resolveNamedCall(e, ctx, "init scheme", initEntries, codes.unknownInit);
      case "schedule":
        return this.resolveNamedCall(e, ctx, "schedule", scheduleEntries, codes.unknownSchedule);
      case "surrogate":
        return this.resolveNamedCall(e, ctx, "surrogate", surrogateEntries, codes.unknownSurrogate);
      case "target":
        return this.resolveTarget(e, ctx);
      default:
        this.resolveValue(e, ctx);
    }
  }

  private resolveWord(e: Expr, words: readonly string[], argName: string, ctx: Context): void {
    if (ctx.quiet) return;
    if (e.kind !== "Name") {
      if (e.kind !== "Error") this.reporter.report(codes.badArgument, `'${argName}' must be ${words.join(" or ")}`, e.range);
      return;
    }
    if (e.name.missing || words.includes(e.name.name)) return;
    reportUnknown(this.reporter, codes.unknownWord, argName, e.name, words, { otherwise: `; use ${words.join(" or ")}` });
  }

  private resolveTarget(e: Expr, ctx: Context): void {
    if (e.kind === "Name") {
      this.resolveNameUse(e.name, { ...ctx, allowTarget: true });
      const decl = ctx.scope.lookup(e.name.name);
      if (decl && decl.kind !== "target" && !ctx.quiet)
        this.reporter.report(codes.notApplicable, `a loss compares with a target, but '${e.name.name}' is ${declarationWords[decl.kind]}`, e.range);
      return;
    }
    this.resolveValue(e, ctx);
    if (!ctx.quiet && e.kind !== "Error")
      this.reporter.report(codes.notApplicable, "a loss's second argument must name a target", e.range);
  }

  private resolveLoss(value: Expr, ctx: Context): void {
    let call: Expr = value;
    let piped: Expr | null = null;
    if (value.kind === "Pipe") {
      this.resolveValue(value.left, ctx);
      call = value.right;
      piped = value.left;
    }
    this.resolveNamedCall(call, ctx, "loss", lossEntries, codes.unknownLoss, piped);
  }

  /** A statement or argument that names a library entry of one group: a loss, an optimizer, an init scheme, a schedule. */
  private resolveNamedCall(
    e: Expr,
    ctx: Context,
    what: "loss" | "optimizer" | "init scheme" | "schedule" | "surrogate",
    entries: ReadonlyMap<string, { name: string; doc: string }>,
    info: (typeof codes)[keyof typeof codes],
    piped: Expr | null = null,
  ): void {
    if (e.kind === "Error") return;
    const id = e.kind === "Call" ? e.callee : e.kind === "Name" ? e.name : null;
    if (!id) {
      this.resolveValue(e, ctx);
      if (!ctx.quiet) {
        const example = {
          loss: "mse(p, y)",
          optimizer: "adam(lr: 0.001)",
          "init scheme": "he_normal or normal(0.02)",
          schedule: "cosine(warmup: 100)",
          surrogate: "fast_sigmoid(slope: 25) or atan(alpha: 2)",
        }[what];
        this.reporter.report(codes.badArgument, `expected ${what === "optimizer" || what === "init scheme" ? "an" : "a"} ${what} such as ${example}`, e.range);
      }
      return;
    }
    if (id.missing) return;
    const entry = entries.get(id.name);
    if (!entry) {
      // A short list is worth naming when no name is close enough to guess.
      const otherwise = entries.size <= 4 ? { otherwise: `; use ${[...entries.keys()].join(" or ")}` } : {};
      if (!ctx.quiet) reportUnknown(this.reporter, info, what, id, entries.keys(), otherwise);
      if (e.kind === "Call") this.resolveQuietly(e.args.map((a) => a.value), ctx);
      return;
    }
    const group = what === "init scheme" ? "init" : what;
    this.symbols.library.set(id, libraryReference(group, entry));
    const callee = calleeFor(group, entry.name);
    this.bindAndResolve(callee, id, e, e.kind === "Call" ? e.args : [], piped, ctx);
  }
}

function calleeFor(group: "loss" | "optimizer" | "init" | "schedule" | "surrogate", name: string): Callee {
  switch (group) {
    case "loss":
      return { kind: "loss", entry: lossEntries.get(name)! };
    case "optimizer":
      return { kind: "optimizer", entry: optimizerEntries.get(name)! };
    case "init":
      return { kind: "init", entry: initEntries.get(name)! };
    case "schedule":
      return { kind: "schedule", entry: scheduleEntries.get(name)! };
    case "surrogate":
      return { kind: "surrogate", entry: surrogateEntries.get(name)! };
  }
}

const anyType: SlotType = { kind: "any" };

function slotType(slots: readonly Slot[], name: string): SlotType {
  for (const slot of slots) if (slot.name === name) return slot.type;
  return anyType;
}

/** One reference object per library entry, shared by every identifier that names it. */
const libraryReferences = new WeakMap<object, LibraryReference>();

function libraryReference(group: LibraryReference["group"], entry: { name: string; doc: string }): LibraryReference {
  let ref = libraryReferences.get(entry);
  if (!ref) {
    ref = { group, name: entry.name, doc: entry.doc };
    libraryReferences.set(entry, ref);
  }
  return ref;
}

const silentReporter: Reporter = { report() {}, errorCount: 0 };
