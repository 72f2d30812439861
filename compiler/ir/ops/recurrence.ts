// What the recurrent ops (lstm.ts, gru.ts) share: their attributes, their lowering, and the
// sizes their kernels loop over. Both scan the T steps of each sample inside one kernel, so
// backpropagation through time is a loop from t = T - 1 down to 0 over states the forward
// kernel kept in scratch buffers (planned once, like every buffer): nothing is allocated per step.

import { labelOf, requireParam, type Lowering } from "../lowering.js";
import { plus } from "./matmul.js";
import { gradName, type KernelContext, type OpContext, type OpDef } from "./op.js";

export type RecurrentAttrs = { hidden: number; sequences: boolean };

/** The kernels' names for the input and PyTorch's four tensors, in checkpoint layout. */
export const RECURRENT_INPUTS = ["x", "weight_ih", "weight_hh", "bias_ih", "bias_hh"] as const;

export interface RecurrentDims {
  /** Steps, input width, state width, gate rows (gates * H). */
  t: number;
  d: number;
  h: number;
  g: number;
  sequences: boolean;
}

export function recurrentDims(ctx: OpContext<RecurrentAttrs>, gates: number): RecurrentDims {
  const [t, d] = ctx.inputs[0]!.shape as [number, number];
  return { t, d, h: ctx.attrs.hidden, g: gates * ctx.attrs.hidden, sequences: ctx.attrs.sequences };
}

/** Input, then PyTorch's four tensors in checkpoint layout. */
export function recurrentLowering(def: () => OpDef<RecurrentAttrs>): Lowering {
  return (node, b, [x]) => {
    const inputs = [x!, ...["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map((p) => b.param(requireParam(node, p)))];
    const attrs: RecurrentAttrs = { hidden: node.type.shape.at(-1)!, sequences: node.type.shape.length === 2 };
    return b.op(node, def(), inputs, attrs, labelOf(node));
  };
}

export function recurrentShape(inputs: readonly { shape: number[] }[], attrs: RecurrentAttrs, name: string): number[] | string {
  const shape = inputs[0]!.shape;
  if (shape.length !== 2) return `${name}: needs a sequence [T, D], got [${shape.join(", ")}]`;
  return attrs.sequences ? [shape[0]!, attrs.hidden] : [attrs.hidden];
}

/** Element r of a per-step vector kept at an offset of a scratch buffer (no subarray: a view per step would allocate). */
export type Row = (r: string) => string;

/** `acc += W[row, :] . v[base ..]` over a width, as text: one row of a gate's product. */
export function rowDot(acc: string, w: string, row: string, width: number, v: string, base: string): string {
  return `for (let k = 0; k < ${width}; k++) ${acc} += ${w}[${row} * ${width} + k] * ${v}[${base} + k];`;
}

/**
 * The weight-gradient sums of one step: W_ih += da (x) x_t, W_hh += db (x) h_{t-1}, biases
 * += da / db, in the float64 scratch `s3` laid out [W_ih | W_hh | b_ih | b_hh].
 */
export function weightGradStep(m: RecurrentDims, da: Row, db: Row): string {
  const hh = m.g * m.d;
  const bi = hh + m.g * m.h;
  return [
    `for (let r = 0; r < ${m.g}; r++) {`,
    `const a = ${da("r")}, b = ${db("r")};`,
    `s3[${bi} + r] += a; s3[${bi + m.g} + r] += b;`,
    `if (a !== 0) for (let k = 0; k < ${m.d}; k++) s3[r * ${m.d} + k] += a * x[xt + k];`,
    `if (b !== 0) for (let k = 0; k < ${m.h}; k++) s3[${hh} + r * ${m.h} + k] += b * s2[hp + k];`,
    "}",
  ].join("\n");
}

/** Size of the weight-gradient sums of weightGradStep. */
export function weightGradSize(m: RecurrentDims): number {
  return m.g * m.d + m.g * m.h + 2 * m.g;
}

/** The weight gradients from the sums: `=` or `+=` as autodiff says. */
export function writeWeightGrads(ctx: KernelContext<RecurrentAttrs>, m: RecurrentDims, grads: readonly ({ accumulate: boolean } | null)[]): string {
  const sizes = [m.g * m.d, m.g * m.h, m.g, m.g];
  const lines: string[] = [];
  let offset = 0;
  sizes.forEach((size, p) => {
    const target = grads[p + 1];
    const name = gradName(RECURRENT_INPUTS[p + 1]!);
    if (target) {
      ctx.use(name);
      lines.push(`for (let k = 0; k < ${size}; k++) ${name}[k] ${target.accumulate ? "+=" : "="} s3[${plus(offset, "k")}];`);
    }
    offset += size;
  });
  return lines.join("\n");
}

/**
 * `out[k] (= or +=) sum_r W[r, k] v(r)`: a transposed product, walked row by row so that W is
 * read contiguously. `start` initialises out before the rows add into it.
 */
export function transposedProduct(rows: number, width: number, w: string, v: Row, out: Row, start: string | null): string {
  return [
    start === null ? "" : `for (let k = 0; k < ${width}; k++) ${out("k")} = ${start};`,
    `for (let r = 0; r < ${rows}; r++) {`,
    `const a = ${v("r")};`,
    `if (a !== 0) for (let k = 0; k < ${width}; k++) ${out("k")} += a * ${w}[r * ${width} + k];`,
    "}",
  ].filter((l) => l !== "").join("\n");
}

/** gx for step t: W_ih^T da, written (or added) once per element. */
export function inputGradStep(m: RecurrentDims, da: Row, target: { accumulate: boolean }): string {
  return transposedProduct(m.g, m.d, "weight_ih", da, (k) => `gx[xt + ${k}]`, target.accumulate ? null : "0");
}

/** Whether any weight gradient is asked for (they are all trainable together, but frozen models exist). */
export function wantsWeightGrads(grads: readonly ({ accumulate: boolean } | null)[]): boolean {
  return grads.slice(1).some((g) => g !== null);
}
