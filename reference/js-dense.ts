// The JavaScript dense kernels exactly as the emitter writes them (compiler/ir/ops/dense.ts,
// zero-skipping off unless the shape says sparseInput), as plain functions over typed arrays: the wasm kernels' twin in tests,
// and their baseline in bench/wasm-dense.ts.
import type { IrValue } from "../compiler/ir/ir.js";
import { dense, type DenseAttrs } from "../compiler/ir/ops/dense.js";
import type { BackwardContext, KernelContext } from "../compiler/ir/ops/op.js";
import type { DenseGradients, DenseKernelShape } from "../compiler/wasm/dense.js";

function value(id: number, name: string, shape: number[], batched: boolean): IrValue {
  return { id, name, shape, size: shape.reduce((a, b) => a * b, 1), kind: "float", role: batched ? "activation" : "param", batched };
}

/** Arguments in this order: n, x0, x1, x2, y, gy, gx0, gx1, gx2, s0 (float64 bias sums, length out). */
export type JsDenseKernel = (n: number, ...buffers: (Float32Array | Float64Array | Int32Array)[]) => void;

export const jsDenseArguments = ["x0", "x1", "x2", "y", "gy", "gx0", "gx1", "gx2", "s0"] as const;

/** The kernels' own names for those arguments, in the same order (the convention of compiler/ir/ops/op.ts). */
const kernelParameters = ["x", "weight", "bias", "y", "gy", "gx", "gweight", "gbias", "s0"];

export function jsDense(shape: DenseKernelShape, grads: DenseGradients): { forward: JsDenseKernel; backward: JsDenseKernel } {
  const { rowsPerSample: t, inWidth, out } = shape;
  const perSample = (width: number) => (t === 1 ? [width] : [t, width]);
  const inputs = [value(0, "x", perSample(inWidth), true), value(1, "w", [out, inWidth], false), ...(shape.bias ? [value(2, "b", [out], false)] : [])];
  const op = {
    id: 0,
    op: "dense",
    inputs: inputs.map((v) => v.id),
    output: 3,
    attrs: { units: out, activation: shape.activation, ...(shape.sparseInput === true ? { sparseInput: true } : {}) } as DenseAttrs,
    source: { line: 1, column: 1, text: "dense" },
    label: "dense",
  };
  const ctx: KernelContext<DenseAttrs> = { op, attrs: op.attrs, inputs, output: value(3, "y", perSample(out), true), dtype: "float32", use: () => {}, pass: () => {}, call: () => {} };
  const target = (s: DenseGradients["x"]) => (s === null ? null : { accumulate: s === "accumulate" });
  const back: BackwardContext<DenseAttrs> = { ...ctx, grads: [target(grads.x), target(grads.w), ...(shape.bias ? [target(grads.b)] : [])] };
  // With shape.sparseInput the kernels also take s1 (Int32Array) and s2, the zero-skipping scratch, after s0.
  const make = (body: string) => new Function("n", ...kernelParameters, "s1", "s2", body) as JsDenseKernel;
  return { forward: make(dense.forward(ctx)), backward: make(dense.backward(back)) };
}
