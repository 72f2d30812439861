// What one IR op is: its shape rule, its scratch memory, and its kernels, side by side (as
// micrograd keeps an op's forward value and its local backward rule together).
//
// The shape rule, scratch sizes and input flags are the op's meaning and serve any back end;
// `forward`, `inferForward` and `backward` are the JavaScript back end's kernels (the only
// back end so far). A second back end (WebAssembly SIMD, say) would add its own kernel
// generators per op name in its own folder and reuse everything else: lowering, fusion,
// autodiff and the memory plan only read the IR, never a kernel.
//
// A JavaScript kernel generator returns the body of a function whose parameters follow one
// naming convention, so that the emitter can build the signature and the call:
//   n              the batch size (a run-time number, 1..maxBatch)
//   x, weight, ... the op's inputs, named by the op (`OpDef.inputNames`; one input is `x`);
//                  int inputs are Int32Array
//   y              the output
//   s0, s1, ...    the op's scratch buffers (scratch()), numbered the same in every kernel
//   rng            the model's generator for dropout masks and spikes (ops with usesRng)
//   gy             backward only: the gradient of y, complete when the kernel runs
//   gx, gweight... backward only: the gradients of the inputs that need one (see `grads`),
//                  each `g` and its input's name (gradName)
// Every loop bound other than `n` is a compile-time constant written into the body. A body
// need not touch every buffer: a generator states the parameters it writes into the body with
// `ctx.use(...)` as it writes them, and the kernel declares those and no others (so the
// module passes `noUnusedParameters`, and the emitter never reads the text back). Its own
// locals it declares only where it reads them; they must not take a parameter's name.

import type { DType } from "../../../runtime/model.js";
import type { Attrs, IrOp, IrValue } from "../ir.js";
import type { Lowering } from "../lowering.js";

/** An op as its shape-dependent rules read it (scratch sizes, and the kernels' dimensions). */
export interface OpContext<A extends Attrs = Attrs> {
  op: IrOp;
  attrs: A;
  inputs: readonly IrValue[];
  output: IrValue;
  dtype: DType;
}

/** What a kernel generator writes from: the op, and where it states the names its body uses. */
export interface KernelContext<A extends Attrs = Attrs> extends OpContext<A> {
  /**
   * Declares parameters of the convention that the body being written reads or writes; a
   * name that is not one of this kernel's parameters is an internal error.
   */
  use(...names: readonly string[]): void;
  /**
   * Declares parameters the kernel is given but does not read (named `_s3`): the buffers of
   * WebAssembly kernels that stand in for it, whose calls take their addresses from its arguments.
   */
  pass(...names: readonly string[]): void;
  /** Declares functions the body calls: the runtime's `erf`, an activation helper (activations.ts). */
  call(...functions: readonly string[]): void;
}

/** Where the gradient of one input goes: overwrite it (first writer) or add to it (fan-out). */
export interface GradTarget {
  accumulate: boolean;
}

export interface BackwardContext<A extends Attrs = Attrs> extends KernelContext<A> {
  /** Per input: null when nobody needs that gradient (ints, inputs, frozen buffers). */
  grads: readonly (GradTarget | null)[];
}

/** A buffer an op keeps between its forward and backward kernels (masks, statistics, im2col). */
export interface ScratchSpec {
  /** Elements per sample; the buffer holds maxBatch times this plus `fixed`. */
  perSample: number;
  fixed: number;
  /** What it holds, for the buffer's comment. */
  what: string;
  /**
   * A short name of its role, read after the layer's in the buffer's name (`x_1_layer_norm_stats`);
   * default: the first words of `what`. A deep model names each buffer in several calls.
   */
  name?: string;
  /**
   * Float64 whatever the model's dtype: for sums accumulated across many rows, which would
   * lose digits if every partial sum were rounded to float32.
   */
  float64?: boolean;
  /** Int32 whatever the model's dtype: for indices (the row offsets of a sparse product). */
  int32?: boolean;
  /** Only the backward kernel uses it (forward kernels are not passed it). */
  backwardOnly?: boolean;
}

/**
 * One op; `A` is the type of its attributes, which its lowering writes and its shape rule and
 * kernels read. (Methods, not function properties: an `OpDef<DenseAttrs>` is then usable
 * wherever the registry holds ops of any attributes.)
 */
export interface OpDef<A extends Attrs = Attrs> {
  name: string;
  /** The kernels' names for the inputs, in order (default: `x` for the first, then `x1`, `x2`...). */
  inputNames?: readonly string[];
  /** Output per-sample shape, or a message saying why the inputs do not fit. */
  shape(inputs: readonly IrValue[], attrs: A): number[] | string;
  /** The output is a view of input 0's buffer (reshape, flatten): no forward kernel. */
  aliasesInput?: boolean;
  /** Inputs that never get a gradient whatever their kind (indices, running statistics). */
  constantInputs?: readonly number[];
  usesRng?: boolean;
  /**
   * The library entries this op implements, each with its lowering rule: lower.ts reads
   * these and keeps no list of its own, so an entry without one is reported, not forgotten.
   */
  lowers?: Readonly<Record<string, Lowering>>;
  /** An activation may fold into this op's store (fuse.ts). */
  fusesActivation?: boolean;
  /** The output keeps the exact zeros of input 0 (sparsity.ts). */
  keepsZeros?: boolean;
  scratch?(ctx: OpContext<A>): ScratchSpec[];
  /** Training-mode forward kernel body. */
  forward(ctx: KernelContext<A>): string;
  /** Inference-mode forward where it differs (dropout, batch_norm). */
  inferForward?(ctx: KernelContext<A>): string;
  /** The vector-Jacobian product: from gy, the gradients of the inputs asked for. */
  backward(ctx: BackwardContext<A>): string;
}

/** An IR op's attributes typed as its op states them, for the passes that rewrite ops (fuse.ts, sparsity.ts). */
export function attrsOf<A extends Attrs>(op: IrOp, def: OpDef<A>): A {
  if (op.op !== def.name) throw new Error(`internal error: reading a '${op.op}' op as '${def.name}'`);
  return op.attrs as A;
}

/** `=` for the first write of a gradient, `+=` when another consumer wrote first. */
export function assign(target: GradTarget | null | undefined): string {
  return target?.accumulate ? "+=" : "=";
}

/** The kernels' name for input i of an op. */
export function inputName(def: Pick<OpDef, "inputNames">, i: number): string {
  return def.inputNames?.[i] ?? (i === 0 ? "x" : `x${i}`);
}

/** The kernels' name for the gradient of a buffer named `name`: gx, gweight, gy. */
export function gradName(name: string): string {
  return `g${name}`;
}

/** `n * k`, the elements of k per sample over the batch, with `* 1` folded away. */
export function perBatch(k: number): string {
  return k === 1 ? "n" : `n * ${k}`;
}

/** Batch-independent literal for generated code: integers stay integers, others round-trip exactly. */
export function lit(x: number): string {
  if (Number.isInteger(x)) return String(x);
  if (!Number.isFinite(x)) throw new Error(`internal error: non-finite constant ${x} in a kernel`);
  return String(x);
}
