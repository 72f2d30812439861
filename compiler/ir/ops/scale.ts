// A tensor times a compile-time constant (`x * 0.5`).

import { labelOf, num } from "../lowering.js";
import { perBatch, assign, lit, type OpDef } from "./op.js";

export type ScaleAttrs = { factor: number };

function factor(attrs: ScaleAttrs): string {
  const f = attrs.factor;
  return f < 0 ? `(${lit(f)})` : lit(f);
}

export const scale: OpDef<ScaleAttrs> = {
  name: "scale",
  inputNames: ["x"],
  lowers: { scale: (node, b, [x]) => b.op(node, scale, [x!], { factor: num(node, "factor") }, labelOf(node)) },
  shape: (inputs) => inputs[0]!.shape,
  forward: (ctx) => {
    ctx.use("n", "x", "y");
    return `for (let p = 0; p < ${perBatch(ctx.output.size)}; p++) y[p] = x[p] * ${factor(ctx.attrs)};`;
  },
  backward: (ctx) => {
    ctx.use("n", "gy", "gx");
    return `for (let p = 0; p < ${perBatch(ctx.output.size)}; p++) gx[p] ${assign(ctx.grads[0])} gy[p] * ${factor(ctx.attrs)};`;
  },
};
