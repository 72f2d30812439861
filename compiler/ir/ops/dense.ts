// dense: y = x W^T + b on the last axis, weights shared over the leading axes, optionally with
// an activation fused into the store (fuse.ts decides). W is kept in PyTorch's [out, in]
// layout: a row of W and a row of x are both contiguous along `in`, which is what the forward
// product's inner loop walks.
//
// Where many terms are exact zeros the products skip them (matmul_sparse.ts), on the layers
// ../sparsity.ts marks: the gradient behind a fused relu always, and x when a run-time count
// finds it at least half zeros (model inputs such as pixels, relu outputs). Otherwise, and
// everywhere when the pass is off (`EmitOptions.skipZeros: false`), they are the
// register-blocked products of matmul.ts.

import { labelOf, paramBySuffix, requireParam, type LoweringBuilder } from "../lowering.js";
import { activations, type FusedActivation } from "./activations.js";
import { cacheTile, matmul, rowMajor, times, type Dim, type Operand } from "./matmul.js";
import { sparseMatmul } from "./matmul_sparse.js";
import { perBatch, assign, type BackwardContext, type KernelContext, type OpContext, type OpDef, type ScratchSpec } from "./op.js";
import type { GraphNode, ParamSpec } from "../../graph.js";
import { denseKernelShape } from "../../wasm/dense.js";
import { gatheredFloats, transposedFloats, wasmSkipsZeros } from "../../wasm/sparse.js";
import { DENSE_BLOCK_SAMPLES, denseWeightByBlocks, weightBlocksScratch } from "../../wasm/weight-blocks.js";


/** Rows the product runs over: n times the leading positions of one sample. */
export function batchRows(size: number, width: number): Dim {
  const perSample = size / width;
  return perBatch(perSample);
}

/** `y = f(v)` for the fused activation, or a plain store. */
/** Units, a fused activation (fuse.ts), and where the products skip zeros (sparsity.ts). */
export type DenseAttrs = { units: number; sparseGradient?: boolean; sparseInput?: boolean } & FusedActivation;

export function activate(ctx: KernelContext<FusedActivation>, target: string, v: string): string {
  const attrs = ctx.attrs;
  const fn = attrs.activation;
  if (fn === undefined || fn === "identity") return `${target} = ${v};`;
  const act = activations[fn];
  if (!act) throw new Error(`internal error: unknown fused activation '${fn}'`);
  ctx.call(...(act.needs?.value ?? []));
  return `{ const v = ${v}; ${target} = ${act.value("v", attrs)}; }`;
}

/** The float64 accumulator behind the bias gradient of dense and conv2d. */
export function biasSumScratch(width: number): ScratchSpec {
  return { perSample: 0, fixed: width, what: "bias gradient sums", name: "bias_sums", float64: true, backwardOnly: true };
}

/**
 * Backward of a fused activation and of the bias, in one pass over gy: gy becomes the
 * gradient of the pre-activation value (in place: nothing reads gy after this kernel), and
 * the bias gradient sums it over rows, in the float64 scratch `sums` so that a long batch
 * does not round every partial sum to float32.
 */
export function preActivationAndBiasGrad(
  ctx: BackwardContext<FusedActivation>,
  rows: Dim,
  width: number,
  biasInput: number | null,
  sums: string,
): string {
  const fn = ctx.attrs.activation;
  const act = fn !== undefined && fn !== "identity" ? activations[fn] : undefined;
  const derivative = act?.fromOutput?.("y[p]", ctx.attrs);
  if (act && !derivative) throw new Error(`internal error: activation '${String(fn)}' cannot be fused`);
  const bias = biasInput !== null ? ctx.grads[biasInput] : null;
  if (!derivative && !bias) return "";
  ctx.use("n", "gy");
  if (derivative) ctx.use("y");
  if (bias) ctx.use(sums, "gbias");
  const lines: string[] = [];
  // One unit (a single output) has one sum: a loop over rows alone, `o` folded to 0.
  const o = width === 1 ? "0" : "o";
  if (bias) lines.push(`${sums}.fill(0, 0, ${width});`);
  lines.push(width === 1 ? `for (let p = 0; p < ${rows}; p++) {` : `for (let r = 0, p = 0; r < ${rows}; r++) {`);
  if (width !== 1) lines.push(`for (let o = 0; o < ${width}; o++, p++) {`);
  if (derivative) {
    lines.push(`const g = gy[p] * ${derivative};`);
    lines.push("gy[p] = g;");
    if (bias) lines.push(`${sums}[${o}] += g;`);
  } else {
    lines.push(`${sums}[${o}] += gy[p];`);
  }
  lines.push(...(width === 1 ? ["}"] : ["}", "}"]));
  if (bias) {
    lines.push(width === 1 ? `gbias[0] ${assign(bias)} ${sums}[0];` : `for (let o = 0; o < ${width}; o++) gbias[o] ${assign(bias)} ${sums}[o];`);
  }
  return lines.join("\n");
}

/**
 * Behind a fused relu, gy is exactly zero wherever a unit was off (about half of them, more
 * with dropout after it), so the backward products skip those terms (matmul_sparse.ts): set
 * by ../sparsity.ts on the dense layers with a fused relu.
 */
function sparseGradient(ctx: OpContext<DenseAttrs>): boolean {
  return ctx.attrs.sparseGradient === true;
}

/**
 * Whether the kernels check x for zeros at run time and skip them when at least half of x is
 * zero (MNIST pixels are four-fifths zeros, relu outputs half): set by ../sparsity.ts on the
 * layers whose input may be such data.
 */
function sparseInput(ctx: OpContext<DenseAttrs>): boolean {
  return ctx.attrs.sparseInput === true;
}

/** The gathered offsets and values of the zero-skipping products. */
function sparseScratch(ctx: OpContext<DenseAttrs>): ScratchSpec[] {
  const [x, w] = ctx.inputs;
  const [out, inWidth] = w!.shape as [number, number];
  // Long enough for the summed dimension of any of the products: rows, units or inputs.
  const length = { perSample: x!.size / inWidth, fixed: Math.max(out, inWidth), backwardOnly: !sparseInput(ctx) };
  return [
    { ...length, name: "nonzero_at", what: "offsets of the nonzero terms", int32: true },
    { ...length, name: "nonzero_values", what: "values of the nonzero terms" },
    // The WebAssembly kernels' (compiler/wasm/sparse.ts): W^T or dW^T and the call's decision,
    // and the nonzero terms of x gathered per chunk of samples or of units.
    ...(sparseInput(ctx) && wasmSkipsZeros(inWidth, out) ? [
      { perSample: 0, fixed: transposedFloats(inWidth, out), name: "transposed", what: "transposed weights or weight gradient" },
      { ...gatheredFloats(inWidth, out), name: "gathered", what: "gathered nonzero inputs" },
    ] : []),
  ];
}

/** The WebAssembly kernels' (compiler/wasm/weight-blocks.ts): each block of samples' partial db and dW. */
function partialsScratch(ctx: OpContext<DenseAttrs>): ScratchSpec[] {
  const shape = denseKernelShape(ctx);
  return shape !== null && denseWeightByBlocks(shape) ? [weightBlocksScratch(shape, DENSE_BLOCK_SAMPLES)] : [];
}

/** Where partialsScratch's buffer is among the layer's scratch (s0, s1, ...), or -1 where it has none. */
export function denseWeightBlocksScratch(ctx: OpContext): number {
  return dense.scratch?.(ctx as OpContext<DenseAttrs>).findIndex((s) => s.name === "partials") ?? -1;
}

/** `const sparseX = ...`: whether at least half of x is exact zeros. */
function halfZeros(count: Dim): string {
  return [
    "let zeros = 0;",
    `for (let p = 0; p < ${count}; p++) if (x[p] === 0) zeros++;`,
    `const sparseX = 2 * zeros >= ${count};`,
  ].join("\n");
}

interface DenseShape {
  rows: Dim;
  out: number;
  inWidth: number;
}

function denseShape(ctx: OpContext<DenseAttrs>): DenseShape {
  const [x, w] = ctx.inputs;
  const inWidth = w!.shape[1]!;
  return { rows: batchRows(x!.size, inWidth), out: w!.shape[0]!, inWidth };
}

/** One dense op on x; attention's projections are these too. */
export function lowerDense(b: LoweringBuilder, node: GraphNode, x: number, weight: ParamSpec, bias: ParamSpec | undefined, label: string): number {
  const inputs = [x, b.param(weight)];
  if (bias) inputs.push(b.param(bias));
  return b.op(node, dense, inputs, { units: weight.shape[0]! }, label);
}

export const dense: OpDef<DenseAttrs> = {
  name: "dense",
  inputNames: ["x", "weight", "bias"],
  fusesActivation: true,
  lowers: {
    dense: (node, b, [x]) => lowerDense(b, node, x!, requireParam(node, "weight"), paramBySuffix(node, "bias"), labelOf(node)),
  },
  shape(inputs, attrs) {
    const x = inputs[0]!;
    const w = inputs[1]!;
    const width = x.shape[x.shape.length - 1];
    if (width !== w.shape[1]) return `dense: input width ${width} does not match weight [${w.shape.join(", ")}]`;
    if (attrs.units !== w.shape[0]) return `dense: ${attrs.units} units but weight [${w.shape.join(", ")}]`;
    return [...x.shape.slice(0, -1), w.shape[0]!];
  },
  scratch: (ctx) => [
    biasSumScratch(ctx.inputs[1]!.shape[0]!),
    ...(sparseGradient(ctx) || sparseInput(ctx) ? sparseScratch(ctx) : []),
    ...partialsScratch(ctx),
  ],
  forward(ctx: KernelContext<DenseAttrs>) {
    const { rows, out, inWidth } = denseShape(ctx);
    const hasBias = ctx.inputs.length > 2;
    ctx.use("n", "x", "weight", "y", ...(hasBias ? ["bias"] : []));
    const product = {
      M: rows,
      N: out,
      K: inWidth,
      a: { buf: "x", offset: 0, rowStride: inWidth, colStride: 1 },
      b: { buf: "weight", offset: 0, rowStride: 1, colStride: inWidth },
      store: (i: Dim, j: Dim, acc: string) => activate(ctx, `y[${rowMajor(i, out, j)}]`, hasBias ? `${acc} + bias[${j}]` : acc),
    };
    if (!sparseInput(ctx)) return matmul(product);
    ctx.use("s1", "s2");
    return [
      "// y = x W^T + b, skipping the zeros of x where at least half of it is zeros",
      halfZeros(times(rows, inWidth)),
      "if (sparseX) {",
      sparseMatmul({ ...product, offsets: "s1", values: "s2" }),
      "} else {",
      matmul(product),
      "}",
    ].join("\n");
  },
  backward(ctx: BackwardContext<DenseAttrs>) {
    // The WebAssembly weight-gradient kernels' partial sums, passed along so that their calls
    // can stand in for this kernel's (compiler/emit/module.ts's adapters); no JavaScript reads them.
    const partials = denseWeightBlocksScratch(ctx);
    if (partials >= 0 && (ctx.grads[1] || ctx.grads[2])) ctx.pass(`s${partials}`);
    const { rows, out, inWidth } = denseShape(ctx);
    const parts = [preActivationAndBiasGrad(ctx, rows, out, ctx.inputs.length > 2 ? 2 : null, "s0")];
    const gxIn = ctx.grads[0];
    if (gxIn) {
      ctx.use("n", "gy", "weight", "gx", ...(sparseGradient(ctx) ? ["s1", "s2"] : []));
      const product = {
        M: rows,
        N: inWidth,
        K: out,
        a: { buf: "gy", offset: 0, rowStride: out, colStride: 1 },
        b: { buf: "weight", offset: 0, rowStride: inWidth, colStride: 1 },
        store: (i: Dim, j: Dim, acc: string) => `gx[${rowMajor(i, inWidth, j)}] ${assign(gxIn)} ${acc};`,
      };
      parts.push(
        sparseGradient(ctx)
          ? ["// gx = gy W, skipping the zeros of gy", sparseMatmul({ ...product, offsets: "s1", values: "s2" })].join("\n")
          : ["// gx = gy W", matmul(product)].join("\n"),
      );
    }
    const gw = ctx.grads[1];
    if (gw) {
      ctx.use("n", "gy", "x", "gweight", ...(sparseGradient(ctx) || sparseInput(ctx) ? ["s1", "s2"] : []));
      const store = (o: Dim, k: Dim, acc: string) => `gweight[${rowMajor(o, inWidth, k)}] ${assign(gw)} ${acc};`;
      const otherwise = sparseGradient(ctx)
        ? [
            "// gW = gy^T x, skipping the zeros of gy",
            sparseMatmul({ ...weightGradientProduct({ rows, out, inWidth }), store, offsets: "s1", values: "s2" }),
          ].join("\n")
        : blockedWeightGradient(gw.accumulate, { rows, out, inWidth });
      parts.push(
        sparseInput(ctx)
          ? [
              halfZeros(times(rows, inWidth)),
              "if (sparseX) {",
              "// gW^T = x^T gy, skipping the zeros of x, stored transposed into gW",
              sparseMatmul({
                M: inWidth,
                N: out,
                K: rows,
                a: { buf: "x", offset: 0, rowStride: 1, colStride: inWidth },
                b: { buf: "gy", offset: 0, rowStride: out, colStride: 1 },
                store: (k, o, acc) => store(o, k, acc),
                offsets: "s1",
                values: "s2",
              }),
              "} else {",
              otherwise,
              "}",
            ].join("\n")
          : otherwise,
      );
    }
    return parts.filter((p) => p !== "").join("\n");
  },
};

function blockedWeightGradient(accumulate: boolean, { rows, out, inWidth }: DenseShape): string {
  return [
    "// gW = gy^T x, summed over every row of the batch",
    ...(accumulate ? [] : [`gweight.fill(0, 0, ${out * inWidth});`]),
    matmul({
      ...weightGradientProduct({ rows, out, inWidth }),
      store: (i, j, acc) => `gweight[${rowMajor(i, inWidth, j)}] += ${acc};`,
      kTile: cacheTile(out, inWidth),
    }),
  ].join("\n");
}

/** gW = gy^T x: the operands of the weight gradient, summed over every row of the batch. */
function weightGradientProduct({ rows, out, inWidth }: DenseShape): { M: number; N: number; K: Dim; a: Operand; b: Operand } {
  return {
    M: out,
    N: inWidth,
    K: rows,
    a: { buf: "gy", offset: 0, rowStride: 1, colStride: out },
    b: { buf: "x", offset: 0, rowStride: inWidth, colStride: 1 },
  };
}
