// What an op file needs to lower library entries into its op: the builder it writes through
// and typed reads of a graph node. Lowering rules live beside the op they produce
// (`OpDef.lowers`), so that lower.ts keeps no table of names of its own.

import type { ArgValue, GraphNode, ParamSpec } from "../graph.js";
import type { Attrs, IrProgram, ParamLayout } from "./ir.js";
import type { OpDef } from "./ops/op.js";

/** The model uses something the back end cannot compile; `at` is the `.nn` place. */
export class LoweringError extends Error {
  constructor(
    message: string,
    readonly at?: { line: number; column: number },
  ) {
    super(at ? `${at.line}:${at.column}: ${message}` : message);
    this.name = "LoweringError";
  }

  /** One line as every other error prints: `file:line:col: error: message`. */
  located(file: string): string {
    return this.at ? `${file}:${this.message.replace(/^(\d+:\d+): /, "$1: error: ")}` : `${file}: error: ${this.message}`;
  }
}

export interface LoweringBuilder {
  readonly program: IrProgram;
  /** A parameter value for the checker's parameter, in the op's internal layout. */
  param(spec: ParamSpec, layout?: ParamLayout): number;
  /** Appends one op; its output shape comes from the op's shape rule. */
  op<A extends Attrs>(node: GraphNode, def: OpDef<A>, inputs: number[], attrs: A, label: string): number;
}

/** From one checked graph node and its lowered inputs to the value of its output. */
export type Lowering = (node: GraphNode, b: LoweringBuilder, inputs: readonly number[]) => number;

/** A lowering error at the node's call, naming the call as written. */
export function errorAt(node: GraphNode, problem: string): LoweringError {
  return new LoweringError(`${node.source.text}: ${problem}`, node.source);
}

/**
 * A numeric argument. The checker fills every default in (the library states each once), so
 * a missing one is a bug in the front end, reported with the node's place.
 */
export function num(node: GraphNode, key: string): number {
  const v = node.args[key];
  if (typeof v === "number") return v;
  if (Array.isArray(v) && v.length > 0 && v.every((d) => d === v[0])) return v[0]!;
  throw errorAt(node, `argument '${key}' should be a number, got ${JSON.stringify(v)}`);
}

/** A square size given as `3` or `[3, 3]`; pairs `[kh, kw]` are kept as they are. */
export function pair(node: GraphNode, key: string, fallback: number): [number, number] {
  const v: ArgValue | undefined = node.args[key];
  if (v === undefined || v === null) return [fallback, fallback];
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0]!, v[1]!];
  throw errorAt(node, `argument '${key}' should be a number or [h, w], got ${JSON.stringify(v)}`);
}

export function paramBySuffix(node: GraphNode, suffix: string): ParamSpec | undefined {
  return node.params.find((p) => p.name === suffix || p.name.endsWith(`.${suffix}`));
}

export function requireParam(node: GraphNode, suffix: string): ParamSpec {
  const p = paramBySuffix(node, suffix);
  if (!p) throw errorAt(node, `the checker gave no parameter '*.${suffix}'`);
  return p;
}

/** The checker's path for the node (`hidden.dense_0`), else one derived from its parameters or its op. */
export function labelOf(node: GraphNode): string {
  if (node.name) return node.name;
  const first = node.params[0]?.name;
  if (first) return first.slice(0, first.lastIndexOf("."));
  return `${node.op}#${node.id}`;
}
