// What the parts of the evaluator share: the frame that says where evaluation stands, and
// the few things of the evaluator's core that operators, calls, blocks, models and training
// statements call back into. Passing these explicitly keeps each part a plain function of
// what it uses, and keeps the modules free of import cycles.
import type { BlockDecl, Expr, Identifier, Node, Statement, TypeExpr } from "../../grammar/ast.js";
import type { SourceRef, TensorType } from "../graph.js";
import { codes } from "./codes.js";
import type { GraphBuilder } from "./graph-builder.js";
import { ParamNamer } from "./naming.js";
import type { Reporter } from "./report.js";
import type { Resolution } from "./resolve.js";
import type { Declaration } from "./symbols.js";
import { errorValue, type CallInfo, type Value } from "./types.js";

/** Where evaluation stands: the values of the names in scope, and where names and errors go. */
export interface Frame {
  env: Map<Declaration, Value>;
  namer: ParamNamer;
  reporter: Reporter;
  /** Null while folding a file-level const: there is no model to add nodes to. */
  builder: GraphBuilder | null;
  /** Blocks being inlined, outermost first, to refuse a block that calls itself. */
  blocks: BlockDecl[];
  /** Hover shows the first instantiation of a block's body; later calls do not overwrite it. */
  recordTypes: boolean;
}

/** A model's or a file's outermost frame: nothing bound yet, names unprefixed. */
export function rootFrame(reporter: Reporter, builder: GraphBuilder | null): Frame {
  return { env: new Map(), namer: new ParamNamer(""), reporter, builder, blocks: [], recordTypes: true };
}

/** The left side of `x |> f(...)`, evaluated once and handed to the call as its first input. */
export interface Piped {
  expr: Expr;
  value: Value;
}

export type TensorValue = Extract<Value, { kind: "tensor" }>;

/** The evaluator's core, as its parts see it. */
export interface Evaluation {
  /** The file's text, for source excerpts and for messages that quote what was written. */
  readonly text: string;
  readonly resolution: Resolution;
  /** The value of an expression, recorded for hover; an error value marks the model as failed. */
  evaluate(e: Expr, frame: Frame): Value;
  /** Consts, bindings and outputs: the statements a model and a block have in common. Returns the value bound. */
  bodyStatement(s: Statement, frame: Frame): Value | null;
  /** A declared tensor type with every dimension folded, or null after reporting why not. */
  evaluateType(t: TypeExpr, frame: Frame): TensorType | null;
  declarationOf(id: Identifier): Declaration | undefined;
  /** Records a value for hover (unless the frame is a later instantiation of a block). */
  record(node: Node, value: Value, frame: Frame, call?: CallInfo): void;
  /** Where a graph node came from, as kernel comments and `nnc summary` quote it. */
  source(node: Node): SourceRef;
}

/** A tensor where only numbers can be: a file-level const has no graph to compute one in. */
export function tensorInConst(e: Expr, frame: Frame): Value {
  frame.reporter.report(codes.expectedTensor, "a const holds a number, not a tensor", e.range);
  return errorValue;
}
