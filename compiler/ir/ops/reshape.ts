// reshape, flatten and identity: the same row-major elements under another shape. The output
// is a view of the input's buffer, so the forward pass costs nothing; the backward pass hands
// the gradient through.

import { product } from "../ir.js";
import { labelOf, type Lowering } from "../lowering.js";
import { perBatch, assign, type OpDef } from "./op.js";

const asView: Lowering = (node, b, [x]) => b.op(node, reshape, [x!], { shape: node.type.shape }, labelOf(node));

export type ReshapeAttrs = { shape: number[] };

export const reshape: OpDef<ReshapeAttrs> = {
  name: "reshape",
  inputNames: ["x"],
  aliasesInput: true,
  keepsZeros: true,
  lowers: { identity: asView, flatten: asView, reshape: asView },
  shape(inputs, attrs) {
    const shape = attrs.shape;
    if (product(shape) !== inputs[0]!.size) {
      return `reshape: [${inputs[0]!.shape.join(", ")}] has ${inputs[0]!.size} elements, [${shape.join(", ")}] has ${product(shape)}`;
    }
    return shape;
  },
  forward: () => "",
  backward(ctx) {
    ctx.use("n", "gy", "gx");
    return `for (let i = 0; i < ${perBatch(ctx.output.size)}; i++) gx[i] ${assign(ctx.grads[0])} gy[i];`;
  },
};
