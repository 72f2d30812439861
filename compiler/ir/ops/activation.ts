// An activation applied on its own (not fused into the op that produced its input): gelu and
// silu always, the others when their input has other readers or comes from an op that cannot
// fuse.


import { labelOf, type Lowering } from "../lowering.js";
import { activations, type Activation, type ActivationArgs } from "./activations.js";
import { perBatch, assign, type OpDef } from "./op.js";

/** `fn` names the activation (a key of activations.ts); its arguments follow. */
export type ActivationAttrs = { fn: string } & ActivationArgs;

function lookup(attrs: ActivationAttrs): Activation {
  const fn = attrs.fn;
  const act = activations[fn];
  if (!act) throw new Error(`internal error: unknown activation '${String(fn)}'`);
  return act;
}

/** The activation named `fn`, with its `alpha` where the library entry has one. */
function lowerActivation(fn: string): Lowering {
  return (node, b, [x]) => {
    const alpha = node.args["alpha"];
    const attrs: ActivationAttrs = typeof alpha === "number" ? { fn, alpha } : { fn };
    return b.op(node, activation, [x!], attrs, labelOf(node));
  };
}

export const activation: OpDef<ActivationAttrs> = {
  name: "activation",
  inputNames: ["x"],
  lowers: Object.fromEntries(Object.keys(activations).map((fn) => [fn, lowerActivation(fn)])),
  shape: (inputs) => inputs[0]!.shape,
  forward(ctx) {
    const act = lookup(ctx.attrs);
    ctx.use("n", "x", "y");
    ctx.call(...(act.needs?.value ?? []));
    return [
      `for (let p = 0; p < ${perBatch(ctx.output.size)}; p++) {`,
      "const v = x[p];",
      `y[p] = ${act.value("v", ctx.attrs)};`,
      "}",
    ].join("\n");
  },
  backward(ctx) {
    const act = lookup(ctx.attrs);
    const derivative = act.derivative("v", "u", ctx.attrs);
    // Most derivatives need only one of x and y: load just what this one reads.
    const loads = act.derivativeReads.map((read) => (read === "x" ? "v = x[p]" : "u = y[p]"));
    ctx.use("n", "gy", "gx", ...act.derivativeReads);
    ctx.call(...(act.needs?.derivative ?? []));
    return [
      `for (let p = 0; p < ${perBatch(ctx.output.size)}; p++) {`,
      ...(loads.length > 0 ? [`const ${loads.join(", ")};`] : []),
      `gx[p] ${assign(ctx.grads[0])} gy[p] * ${derivative};`,
      "}",
    ].join("\n");
  },
};
