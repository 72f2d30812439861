// Binary element-wise operators `+ - *` with broadcasting aligned from the last axis of the
// per-sample shape ([T, D] + [D]). The batch dimension is never broadcast: both operands are
// batched tensors. Loops run over the output shape; an operand's stride is 0 along an axis
// it is broadcast over, and its gradient sums over those axes.

import type { IrValue } from "../ir.js";
import { labelOf } from "../lowering.js";
import { perBatch, assign, type BackwardContext, type OpContext, type OpDef } from "./op.js";

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | string {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return `shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`;
    out.push(Math.max(da, db));
  }
  return out;
}

/** Row-major strides of `value` seen through the output's axes, 0 where broadcast. */
function stridesFor(value: IrValue, out: readonly number[]): number[] {
  const shape = value.shape;
  const strides = new Array<number>(out.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = out.length - shape.length + i;
    strides[axis] = shape[i] === 1 && out[axis] !== 1 ? 0 : stride;
    stride *= shape[i]!;
  }
  return strides;
}

/**
 * Nested loops over the output, with `p` its index and `ia`, `ib` the operands' indices.
 * Same-shaped operands get one flat loop.
 */
function overOutput(ctx: OpContext, body: string): string {
  const out = ctx.output.shape;
  const [a, b] = ctx.inputs;
  if (a!.size === ctx.output.size && b!.size === ctx.output.size) {
    return `for (let p = 0; p < ${perBatch(ctx.output.size)}; p++) { const ia = p, ib = p; ${body} }`;
  }
  const sa = stridesFor(a!, out);
  const sb = stridesFor(b!, out);
  const lines = [`for (let s = 0, p = 0; s < n; s++) {`];
  const ia = [`s * ${a!.size}`];
  const ib = [`s * ${b!.size}`];
  out.forEach((d, axis) => {
    lines.push(`for (let i${axis} = 0; i${axis} < ${d}; i${axis}++) {`);
    if (sa[axis] !== 0) ia.push(`i${axis} * ${sa[axis]}`);
    if (sb[axis] !== 0) ib.push(`i${axis} * ${sb[axis]}`);
  });
  lines.push(`const ia = ${ia.join(" + ")}, ib = ${ib.join(" + ")};`);
  lines.push(body, "p++;");
  out.forEach(() => lines.push("}"));
  lines.push("}");
  return lines.join("\n");
}

/** Zeroes gradients that sum over broadcast axes and are written first by this kernel. */
function zeroReduced(ctx: BackwardContext): string {
  const lines: string[] = [];
  ctx.inputs.forEach((v, i) => {
    const g = ctx.grads[i];
    if (g && !g.accumulate && v.size !== ctx.output.size) lines.push(`${i === 0 ? "ga" : "gb"}.fill(0, 0, ${perBatch(v.size)});`);
  });
  return lines.join("\n");
}

/** Whether input i's gradient is written by `+=` (broadcast sums, or a fan-out). */
function op(ctx: BackwardContext, i: number): string {
  const g = ctx.grads[i];
  return ctx.inputs[i]!.size !== ctx.output.size ? "+=" : assign(g);
}

interface Binary {
  name: string;
  value(a: string, b: string): string;
  /** d out / d a times gy, and d out / d b times gy. */
  gradA(gy: string, a: string, b: string): string;
  gradB(gy: string, a: string, b: string): string;
  /** The operands gradA and gradB read. */
  gradAReads: readonly ("a" | "b")[];
  gradBReads: readonly ("a" | "b")[];
}

function binary(def: Binary): OpDef {
  const self: OpDef = {
    name: def.name,
    // The library's `add`, `sub` and `mul` (the operators `+ - *`) are these ops.
    inputNames: ["a", "b"],
    lowers: { [def.name]: (node, b, [x, y]) => b.op(node, self, [x!, y!], {}, labelOf(node)) },
    shape: (inputs) => broadcastShape(inputs[0]!.shape, inputs[1]!.shape),
    forward(ctx) {
      ctx.use("n", "a", "b", "y");
      return overOutput(ctx, `y[p] = ${def.value("a[ia]", "b[ib]")};`);
    },
    backward(ctx) {
      const body: string[] = [];
      if (ctx.grads[0]) ctx.use("n", "gy", "ga", ...def.gradAReads);
      if (ctx.grads[1]) ctx.use("n", "gy", "gb", ...def.gradBReads);
      if (ctx.grads[0]) body.push(`ga[ia] ${op(ctx, 0)} ${def.gradA("gy[p]", "a[ia]", "b[ib]")};`);
      if (ctx.grads[1]) body.push(`gb[ib] ${op(ctx, 1)} ${def.gradB("gy[p]", "a[ia]", "b[ib]")};`);
      return [zeroReduced(ctx), overOutput(ctx, body.join(" "))].filter((s) => s !== "").join("\n");
    },
  };
  return self;
}

export const add = binary({
  name: "add",
  value: (a, b) => `${a} + ${b}`,
  gradA: (gy) => gy,
  gradB: (gy) => gy,
  gradAReads: [],
  gradBReads: [],
});

export const sub = binary({
  name: "sub",
  value: (a, b) => `${a} - ${b}`,
  gradA: (gy) => gy,
  gradB: (gy) => `-${gy}`,
  gradAReads: [],
  gradBReads: [],
});

export const mul = binary({
  name: "mul",
  value: (a, b) => `${a} * ${b}`,
  gradA: (gy, _a, b) => `${gy} * ${b}`,
  gradB: (gy, a) => `${gy} * ${a}`,
  gradAReads: ["b"],
  gradBReads: ["a"],
});
