// The back end's intermediate representation: a model as a list of tensor operations with
// static per-sample shapes. The batch size is the only run-time bound, so every op runs for
// `n` samples of fixed-size rows.
//
// The IR is plain data: ops name an entry of the op registry (compiler/ir/ops/) and carry
// their attributes; nothing here knows how a kernel is written. Lowering (lower.ts) builds it
// from a ModelGraph, fusion (fuse.ts) rewrites it, autodiff (autodiff.ts) derives the backward
// schedule from it, and a back end (compiler/emit/) turns it into code.

import type { InitSpec, ModelGraph, SourceRef } from "../graph.js";

export type AttrValue = number | boolean | string | number[];
/**
 * An op's attributes as the IR stores them. Each op states their type (`OpDef<A>`) and reads
 * them typed; absent optional attributes (a fused activation) are undefined.
 */
export type Attrs = Readonly<Record<string, AttrValue | undefined>>;

export type ValueRole = "input" | "target" | "param" | "activation";

/** A tensor. Batched values hold `n` rows of `size` elements; parameters hold one. */
export interface IrValue {
  id: number;
  /** For comments, buffer names and `findNonFinite`: the binding or parameter it comes from. */
  name: string;
  /** Per-sample shape for batched values; the whole shape (internal layout) for parameters. */
  shape: number[];
  /** Elements per sample (batched) or in total (parameters). */
  size: number;
  kind: "float" | "int";
  role: ValueRole;
  batched: boolean;
  /** For parameters: index into `IrProgram.params`. */
  param?: number;
}

/**
 * How a parameter's internal layout relates to its checkpoint layout. `direct`: identical.
 * `ohwi`: conv2d weights stored [out, kh, kw, in] so that a row matches an im2col row, while
 * checkpoints hold PyTorch's [out, in, kh, kw].
 */
export type ParamLayout = "direct" | "ohwi";

export interface IrParam {
  /** Checkpoint name, e.g. `hidden.dense_0.weight`. */
  name: string;
  /** Checkpoint (PyTorch) shape. */
  shape: number[];
  layout: ParamLayout;
  init: InitSpec;
  trainable: boolean;
  value: number;
}

export interface IrOp {
  id: number;
  /** Registry key (compiler/ir/ops/index.ts). */
  op: string;
  inputs: number[];
  output: number;
  attrs: Attrs;
  /** The `.nn` call this op was lowered from, for kernel comments. */
  source: SourceRef;
  /** What the op is, for a person: `hidden.dense_0`, `logits.softmax`. */
  label: string;
}

export interface IrLoss {
  /** Loss registry key (compiler/ir/ops/losses.ts). */
  op: string;
  prediction: number;
  target: number;
  source: SourceRef;
}

export interface IrNamed {
  name: string;
  value: number;
}

export interface IrProgram {
  graph: ModelGraph;
  values: IrValue[];
  ops: IrOp[];
  params: IrParam[];
  inputs: IrNamed[];
  targets: IrNamed[];
  outputs: IrNamed[];
  losses: IrLoss[];
}

export function product(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

/** Ops that consume each value, in program order (losses not included). */
export function consumers(program: IrProgram): IrOp[][] {
  const result: IrOp[][] = program.values.map(() => []);
  for (const op of program.ops) {
    for (const v of new Set(op.inputs)) result[v]!.push(op);
  }
  return result;
}
