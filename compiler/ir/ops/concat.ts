// concat(a, b, axis): per sample, `outer` blocks (the product of the axes before `axis`), each
// the a-block followed by the b-block. The axis attribute counts per-sample axes from 0.

import { labelOf, num } from "../lowering.js";
import { perBatch, assign, type OpContext, type OpDef } from "./op.js";

/** The axis counts per-sample axes from 0 (lowering made it non-negative). */
export type ConcatAttrs = { axis: number };

function layout(ctx: OpContext<ConcatAttrs>): { outer: number; blockA: number; blockB: number } {
  const axis = ctx.attrs.axis;
  const outer = ctx.output.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  return { outer, blockA: ctx.inputs[0]!.size / outer, blockB: ctx.inputs[1]!.size / outer };
}

export const concat: OpDef<ConcatAttrs> = {
  name: "concat",
  inputNames: ["a", "b"],
  lowers: {
    concat: (node, b, [x, y]) => {
      const rank = b.program.values[x!]!.shape.length;
      const axis = num(node, "axis");
      return b.op(node, concat, [x!, y!], { axis: axis < 0 ? rank + axis : axis }, labelOf(node));
    },
  },
  shape(inputs, attrs) {
    const [a, b] = inputs;
    const axis = attrs.axis;
    if (axis < 0 || axis >= a!.shape.length) return `concat: bad axis ${String(axis)}`;
    if (a!.shape.length !== b!.shape.length || a!.shape.some((d, i) => i !== axis && d !== b!.shape[i])) {
      return `concat: [${a!.shape.join(", ")}] and [${b!.shape.join(", ")}] differ off axis ${axis}`;
    }
    return a!.shape.map((d, i) => (i === axis ? d + b!.shape[i]! : d));
  },
  forward(ctx) {
    const { outer, blockA, blockB } = layout(ctx);
    ctx.use("n", "a", "b", "y");
    return [
      `for (let r = 0, p = 0; r < ${perBatch(outer)}; r++) {`,
      `for (let i = 0; i < ${blockA}; i++) y[p++] = a[r * ${blockA} + i];`,
      `for (let i = 0; i < ${blockB}; i++) y[p++] = b[r * ${blockB} + i];`,
      "}",
    ].join("\n");
  },
  backward(ctx) {
    const { outer, blockA, blockB } = layout(ctx);
    ctx.use("n", "gy", ...(ctx.grads[0] ? ["ga"] : []), ...(ctx.grads[1] ? ["gb"] : []));
    const lines = [`for (let r = 0; r < ${perBatch(outer)}; r++) {`, `const p = r * ${blockA + blockB};`];
    if (ctx.grads[0]) lines.push(`for (let i = 0; i < ${blockA}; i++) ga[r * ${blockA} + i] ${assign(ctx.grads[0])} gy[p + i];`);
    if (ctx.grads[1]) {
      lines.push(`for (let i = 0; i < ${blockB}; i++) gb[r * ${blockB} + i] ${assign(ctx.grads[1])} gy[p + ${blockA} + i];`);
    }
    lines.push("}");
    return lines.join("\n");
  },
};
