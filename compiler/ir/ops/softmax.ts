// softmax over the last axis, shifted by the row maximum so that exp never overflows.
// Backward: gx = y * (gy - sum(gy * y)) row by row.

import { labelOf } from "../lowering.js";
import { perBatch, assign, type OpDef } from "./op.js";

export const softmax: OpDef = {
  name: "softmax",
  inputNames: ["x"],
  lowers: { softmax: (node, b, [x]) => b.op(node, softmax, [x!], {}, labelOf(node)) },
  shape: (inputs) => inputs[0]!.shape,
  forward(ctx) {
    const k = ctx.output.shape[ctx.output.shape.length - 1]!;
    ctx.use("n", "x", "y");
    return [
      `for (let base = 0; base < ${perBatch(ctx.output.size)}; base += ${k}) {`,
      "let max = -Infinity;",
      `for (let j = 0; j < ${k}; j++) if (x[base + j] > max) max = x[base + j];`,
      "let sum = 0;",
      `for (let j = 0; j < ${k}; j++) { const e = Math.exp(x[base + j] - max); y[base + j] = e; sum += e; }`,
      "const inv = 1 / sum;",
      `for (let j = 0; j < ${k}; j++) y[base + j] *= inv;`,
      "}",
    ].join("\n");
  },
  backward(ctx) {
    const k = ctx.output.shape[ctx.output.shape.length - 1]!;
    ctx.use("n", "gy", "y", "gx");
    return [
      `for (let base = 0; base < ${perBatch(ctx.output.size)}; base += ${k}) {`,
      "let dot = 0;",
      `for (let j = 0; j < ${k}; j++) dot += gy[base + j] * y[base + j];`,
      `for (let j = 0; j < ${k}; j++) gx[base + j] ${assign(ctx.grads[0])} y[base + j] * (gy[base + j] - dot);`,
      "}",
    ].join("\n");
  },
};
