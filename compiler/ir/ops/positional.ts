// positional(T, D): a learned [T, D] table, the same for every sample. It is copied into each
// sample's row so that downstream ops see an ordinary batched tensor; its gradient sums over
// the batch.

import { labelOf, requireParam } from "../lowering.js";
import { assign, type OpDef } from "./op.js";

export const positional: OpDef = {
  name: "positional",
  inputNames: ["weight"],
  lowers: { positional: (node, b) => b.op(node, positional, [b.param(requireParam(node, "weight"))], {}, labelOf(node)) },
  shape: (inputs) => inputs[0]!.shape,
  forward(ctx) {
    const size = ctx.output.size;
    ctx.use("n", "weight", "y");
    return `for (let s = 0; s < n; s++) for (let j = 0; j < ${size}; j++) y[s * ${size} + j] = weight[j];`;
  },
  backward(ctx) {
    const size = ctx.output.size;
    ctx.use("n", "gy", "gweight");
    // Summed in a local per element, not into the (possibly float32) gradient row by row.
    return [
      `for (let j = 0; j < ${size}; j++) {`,
      "let sum = 0;",
      `for (let s = 0; s < n; s++) sum += gy[s * ${size} + j];`,
      `gweight[j] ${assign(ctx.grads[0])} sum;`,
      "}",
    ].join("\n");
  },
};
