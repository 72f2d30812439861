// lif: snnTorch's Leaky neuron over each sample's sequence of input currents I [T, ...], one
// membrane per neuron starting at zero, with beta and the threshold θ read from their [1]
// tensors (trained only if the model asks):
//   R[t] = H(U[t-1] - θ), no gradient (snnTorch detaches the reset)
//   subtract: U[t] = clamp(β, 0, 1) U[t-1] + I[t] - R[t] θ
//   zero:     U[t] = (1 - R[t]) clamp(β, 0, 1) U[t-1] + I[t]
//   none:     U[t] = clamp(β, 0, 1) U[t-1] + I[t]
//   S[t] = H(U[t] - θ), H(x) = 1 for x > 0 and 0 otherwise.
// The spike's derivative is the surrogate's: 1/(1 + k|U - θ|)² (fast_sigmoid) or
// (α/2)/(1 + (π/2 α (U - θ))²) (atan). The backward kernel walks t down, carrying dU.

import { labelOf, num, requireParam } from "../lowering.js";
import { assign, lit, type OpContext, type OpDef } from "./op.js";

export type LifAttrs = { reset: string; surrogate: string; slope: number; alpha: number; membrane: boolean };

function dims(ctx: OpContext<LifAttrs>): { t: number; f: number } {
  const t = ctx.inputs[0]!.shape[0]!;
  return { t, f: ctx.inputs[0]!.size / t };
}

/** The surrogate derivative dS/dU at v = U - θ, as text. */
function surrogate(attrs: LifAttrs, v: string): string {
  if (attrs.surrogate === "atan") {
    const a = lit(attrs.alpha);
    return `${lit(attrs.alpha / 2)} / (1 + (${lit(Math.PI / 2)} * ${a} * (${v})) ** 2)`;
  }
  return `1 / (1 + ${lit(attrs.slope)} * Math.abs(${v})) ** 2`;
}

function update(attrs: LifAttrs): string {
  switch (attrs.reset) {
    case "subtract":
      return "u = decay * u + x[q] - reset * th;";
    case "zero":
      return "u = (1 - reset) * decay * u + x[q];";
    default:
      return "u = decay * u + x[q];";
  }
}

export const lif: OpDef<LifAttrs> = {
  name: "lif",
  inputNames: ["x", "beta", "threshold"],
  lowers: {
    lif: (node, b, [x]) => {
      const attrs: LifAttrs = {
        reset: String(node.args["reset"]),
        surrogate: String(node.args["surrogate"]),
        slope: num(node, "slope"),
        alpha: num(node, "alpha"),
        membrane: node.args["membrane"] === true,
      };
      return b.op(node, lif, [x!, b.param(requireParam(node, "beta")), b.param(requireParam(node, "threshold"))], attrs, labelOf(node));
    },
  },
  shape: (inputs) => (inputs[0]!.shape.length < 2 ? `lif: needs a sequence [T, ...], got [${inputs[0]!.shape.join(", ")}]` : inputs[0]!.shape),
  scratch: (ctx) => [{ perSample: ctx.inputs[0]!.size, fixed: 0, what: "membrane U of every step" }],
  forward(ctx) {
    const { t: T, f: F } = dims(ctx);
    ctx.use("n", "x", "beta", "threshold", "y", "s0");
    return [
      "const decay = Math.min(Math.max(beta[0], 0), 1), th = threshold[0];",
      "for (let i = 0; i < n; i++) {",
      `for (let f = 0; f < ${F}; f++) {`,
      "let u = 0;",
      `for (let t = 0; t < ${T}; t++) {`,
      `const q = i * ${T * F} + t * ${F} + f;`,
      ctx.attrs.reset === "none" ? "" : "const reset = u - th > 0 ? 1 : 0;",
      update(ctx.attrs),
      "s0[q] = u;",
      ctx.attrs.membrane ? "y[q] = u;" : "y[q] = u - th > 0 ? 1 : 0;",
      "}",
      "}",
      "}",
    ].filter((l) => l !== "").join("\n");
  },
  backward(ctx) {
    const { t: T, f: F } = dims(ctx);
    const [gIn, gBeta, gTh] = ctx.grads;
    const { reset, membrane } = ctx.attrs;
    ctx.use("n", "gy", "beta", "threshold", "s0");
    if (gIn) ctx.use("gx");
    if (gBeta) ctx.use("gbeta");
    if (gTh) ctx.use("gthreshold");
    const lines = [
      "const decay = Math.min(Math.max(beta[0], 0), 1), th = threshold[0];",
      "let dBeta = 0, dTh = 0;",
      "for (let i = 0; i < n; i++) {",
      `for (let f = 0; f < ${F}; f++) {`,
      "let carry = 0;",
      `for (let t = ${T - 1}; t >= 0; t--) {`,
      `const q = i * ${T * F} + t * ${F} + f;`,
      `const uPrev = t > 0 ? s0[q - ${F}] : 0;`,
      reset === "none" ? "" : "const reset = uPrev - th > 0 ? 1 : 0;",
    ];
    if (membrane) lines.push("const g = carry + gy[q];");
    else lines.push(`const sg = gy[q] * (${surrogate(ctx.attrs, "s0[q] - th")});`, "const g = carry + sg;", "dTh -= sg;");
    if (gIn) lines.push(`gx[q] ${assign(gIn)} g;`);
    if (reset === "zero") lines.push("dBeta += g * (1 - reset) * uPrev;", "carry = g * (1 - reset) * decay;");
    else lines.push("dBeta += g * uPrev;", "carry = g * decay;");
    if (reset === "subtract") lines.push("dTh -= g * reset;");
    lines.push("}", "}", "}");
    // clamp passes the gradient where 0 <= beta <= 1, as torch.clamp's backward.
    if (gBeta) lines.push(`gbeta[0] ${assign(gBeta)} beta[0] >= 0 && beta[0] <= 1 ? dBeta : 0;`);
    if (gTh) lines.push(`gthreshold[0] ${assign(gTh)} dTh;`);
    return lines.filter((l) => l !== "").join("\n");
  },
};
