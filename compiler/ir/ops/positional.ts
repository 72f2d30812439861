// positional(T, D): a learned [T, D] table, the same for every sample. It is copied into each
// sample's row so that downstream ops see an ordinary batched tensor; its gradient sums over
// the batch.

import { type OpDef } from "./op.js";

export const positional: OpDef = {
  name: "positional",
  shape: (inputs) => inputs[0]!.shape,
  forward(ctx) {
    const size = ctx.output.size;
    return `for (let s = 0; s < n; s++) for (let j = 0; j < ${size}; j++) y[s * ${size} + j] = x0[j];`;
  },
  backward(ctx) {
    const size = ctx.output.size;
    const lines: string[] = [];
    if (!ctx.grads[0]!.accumulate) lines.push(`gx0.fill(0, 0, ${size});`);
    lines.push(`for (let s = 0; s < n; s++) for (let j = 0; j < ${size}; j++) gx0[j] += gy[s * ${size} + j];`);
    return lines.join("\n");
  },
};
