// Inverted dropout: in training each element is zeroed with probability p and the survivors
// scaled by 1 / (1 - p), so inference is the identity. The mask (0 or the scale) is kept for
// the backward kernel. It draws from the model's dropout generator, one draw per element in
// row-major order.

import { labelOf, num } from "../lowering.js";
import { perBatch, assign, lit, type KernelContext, type OpContext, type OpDef } from "./op.js";

export type DropoutAttrs = { p: number };

function rate(ctx: OpContext<DropoutAttrs>): number {
  const p = ctx.attrs.p;
  if (!(p >= 0 && p < 1)) throw new Error(`internal error: dropout rate ${String(p)}`);
  return p;
}

// A loop, not `y.set(x.subarray(...))`: subarray would allocate a view on every call.
const copy = (ctx: KernelContext<DropoutAttrs>): string => {
  ctx.use("n", "x", "y");
  return `for (let i = 0; i < ${perBatch(ctx.output.size)}; i++) y[i] = x[i];`;
};

export const dropout: OpDef<DropoutAttrs> = {
  name: "dropout",
  inputNames: ["x"],
  keepsZeros: true,
  lowers: { dropout: (node, b, [x]) => b.op(node, dropout, [x!], { p: num(node, "p") }, labelOf(node)) },
  shape: (inputs) => inputs[0]!.shape,
  usesRng: true,
  scratch: (ctx) => [{ perSample: ctx.output.size, fixed: 0, what: "mask: 0 or 1 / (1 - p)" }],
  forward(ctx) {
    const p = rate(ctx);
    if (p === 0) return copy(ctx);
    ctx.use("n", "x", "y", "s0", "rng");
    return [
      `for (let i = 0; i < ${perBatch(ctx.output.size)}; i++) {`,
      `const m = rng.next() < ${lit(p)} ? 0 : ${lit(1 / (1 - p))};`,
      "s0[i] = m;",
      "y[i] = x[i] * m;",
      "}",
    ].join("\n");
  },
  inferForward: copy,
  backward(ctx) {
    const p = rate(ctx);
    const size = ctx.output.size;
    ctx.use("n", "gy", "gx", ...(p === 0 ? [] : ["s0"]));
    if (p === 0) return `for (let i = 0; i < ${perBatch(size)}; i++) gx[i] ${assign(ctx.grads[0])} gy[i];`;
    return `for (let i = 0; i < ${perBatch(size)}; i++) gx[i] ${assign(ctx.grads[0])} gy[i] * s0[i];`;
  },
};
