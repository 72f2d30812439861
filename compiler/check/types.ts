// What the checker knows about each expression: the table behind hover in the language
// server, and the values the evaluator passes around while it builds a ModelGraph.
import type { ParamSpec, TensorType } from "../graph.js";
import type { StateSpec } from "../library/index.js";

/** The inferred type of an expression or a declared name, as hover shows it. */
export type ExprInfo =
  | { kind: "tensor"; type: TensorType; call?: CallInfo }
  | { kind: "number"; value: number }
  | { kind: "bool"; value: boolean };

/** For a layer or block call: what it is and what it owns. */
export interface CallInfo {
  kind: "layer" | "block";
  name: string;
  /** The library entry's one-line doc, or the block's signature. */
  doc: string;
  /** The parameters and buffers this application owns (for a block, everything inside it). */
  params: ParamSpec[];
  /** Total elements over `params`. */
  paramCount: number;
  /** What a recurrent or spiking layer carries from step to step, per sample. */
  state?: StateSpec[];
}

/** A value during evaluation. `error` stands for an expression already reported: it raises nothing further. */
export type Value =
  | { kind: "tensor"; type: TensorType; node: number }
  /** `whole`: written with whole-number literals only, so `/` must divide it exactly. */
  | { kind: "number"; value: number; whole: boolean }
  | { kind: "bool"; value: boolean }
  | { kind: "error" };

export const errorValue: Value = { kind: "error" };
