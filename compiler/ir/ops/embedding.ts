// embedding: int tokens of any shape to rows of a [V, D] table (output: the tokens' shape plus
// [D]). The backward pass adds each position's gradient into its token's row.

import { labelOf, requireParam } from "../lowering.js";
import { assign, type OpDef } from "./op.js";

export const embedding: OpDef = {
  name: "embedding",
  lowers: {
    embedding: (node, b, [x]) => b.op(node, embedding, [x!, b.param(requireParam(node, "weight"))], {}, labelOf(node)),
  },
  constantInputs: [0],
  shape(inputs) {
    const [tokens, table] = inputs;
    if (tokens!.kind !== "int") return "embedding needs int tokens";
    return [...tokens!.shape, table!.shape[1]!];
  },
  forward(ctx) {
    const d = ctx.inputs[1]!.shape[1]!;
    return [
      `for (let t = 0; t < n * ${ctx.inputs[0]!.size}; t++) {`,
      `const row = x0[t] * ${d}, out = t * ${d};`,
      `for (let j = 0; j < ${d}; j++) y[out + j] = x1[row + j];`,
      "}",
    ].join("\n");
  },
  backward(ctx) {
    const d = ctx.inputs[1]!.shape[1]!;
    const lines: string[] = [];
    if (!ctx.grads[1]!.accumulate) lines.push(`gx1.fill(0, 0, ${ctx.inputs[1]!.size});`);
    lines.push(
      `for (let t = 0; t < n * ${ctx.inputs[0]!.size}; t++) {`,
      `const row = x0[t] * ${d}, out = t * ${d};`,
      `for (let j = 0; j < ${d}; j++) gx1[row + j] ${assign({ accumulate: true })} gy[out + j];`,
      "}",
    );
    return lines.join("\n");
  },
};
