// embedding: int tokens of any shape to rows of a [V, D] table (output: the tokens' shape plus
// [D]). The backward pass adds each position's gradient into its token's row.

import { labelOf, requireParam } from "../lowering.js";
import { perBatch, assign, type OpDef } from "./op.js";

export const embedding: OpDef = {
  name: "embedding",
  inputNames: ["tokens", "weight"],
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
    ctx.use("n", "tokens", "weight", "y");
    return [
      `for (let t = 0; t < ${perBatch(ctx.inputs[0]!.size)}; t++) {`,
      `const row = tokens[t] * ${d}, out = t * ${d};`,
      `for (let j = 0; j < ${d}; j++) y[out + j] = weight[row + j];`,
      "}",
    ].join("\n");
  },
  backward(ctx) {
    const d = ctx.inputs[1]!.shape[1]!;
    const lines: string[] = [];
    ctx.use("n", "tokens", "gy", "gweight");
    if (!ctx.grads[1]!.accumulate) lines.push(`gweight.fill(0, 0, ${ctx.inputs[1]!.size});`);
    lines.push(
      `for (let t = 0; t < ${perBatch(ctx.inputs[0]!.size)}; t++) {`,
      `const row = tokens[t] * ${d}, out = t * ${d};`,
      `for (let j = 0; j < ${d}; j++) gweight[row + j] ${assign({ accumulate: true })} gy[out + j];`,
      "}",
    );
    return lines.join("\n");
  },
};
