// Rate coding (snnTorch's spikegen.rate): each of T steps spikes with the input as its
// probability. One draw from the model's generator per output element, in row-major order
// [sample, step, feature], in training and inference alike, so a seed fixes the spikes.
// `u < p` with u uniform in [0, 1) is a Bernoulli(p) draw that already clamps p to [0, 1].
// A draw has no derivative with respect to its probability: the input is constant to
// autodiff, as torch.bernoulli's is.

import { labelOf, num } from "../lowering.js";
import type { OpDef } from "./op.js";

export type RateEncodeAttrs = { steps: number };

export const rateEncode: OpDef<RateEncodeAttrs> = {
  name: "rate_encode",
  lowers: { rate_encode: (node, b, [x]) => b.op(node, rateEncode, [x!], { steps: num(node, "steps") }, labelOf(node)) },
  shape: (inputs, attrs) => [attrs.steps, ...inputs[0]!.shape],
  inputNames: ["x"],
  usesRng: true,
  constantInputs: [0],
  forward(ctx) {
    ctx.use("n", "x", "y", "rng");
    const F = ctx.inputs[0]!.size;
    const T = ctx.attrs.steps;
    return [
      "for (let i = 0; i < n; i++)",
      `for (let t = 0; t < ${T}; t++)`,
      `for (let f = 0; f < ${F}; f++) y[i * ${T * F} + t * ${F} + f] = rng.next() < x[i * ${F} + f] ? 1 : 0;`,
    ].join("\n");
  },
  backward() {
    throw new Error("internal error: rate_encode has no gradient, so autodiff never schedules its backward kernel");
  },
};
