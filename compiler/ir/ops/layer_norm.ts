// layer_norm over the last axis: y = (x - mean) / sqrt(var + eps) * w + b with the biased
// variance, per row. The row's mean and 1/std are kept for the backward pass:
//   gx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)),  gxhat = gy * w.

import { labelOf, num, requireParam } from "../lowering.js";
import { perBatch, assign, lit, type OpContext, type OpDef } from "./op.js";

export type LayerNormAttrs = { eps: number };

function dims(ctx: OpContext<LayerNormAttrs>): { d: number; rows: number; eps: string } {
  const d = ctx.output.shape[ctx.output.shape.length - 1]!;
  return { d, rows: ctx.output.size / d, eps: lit(ctx.attrs.eps) };
}

export const layerNorm: OpDef<LayerNormAttrs> = {
  name: "layer_norm",
  inputNames: ["x", "weight", "bias"],
  lowers: {
    layer_norm: (node, b, [x]) => {
      const inputs = [x!, b.param(requireParam(node, "weight")), b.param(requireParam(node, "bias"))];
      return b.op(node, layerNorm, inputs, { eps: num(node, "eps") }, labelOf(node));
    },
  },
  shape: (inputs) => inputs[0]!.shape,
  scratch: (ctx) => [
    { perSample: 2 * dims(ctx).rows, fixed: 0, what: "per row: mean, 1 / std", name: "stats", float64: true },
    { perSample: 0, fixed: 2 * dims(ctx).d, what: "weight and bias gradient sums", name: "grad_sums", float64: true },
  ],
  forward(ctx) {
    const { d, rows, eps } = dims(ctx);
    ctx.use("n", "x", "weight", "bias", "y", "s0");
    return [
      `for (let r = 0; r < ${perBatch(rows)}; r++) {`,
      `const base = r * ${d};`,
      "let mean = 0;",
      `for (let j = 0; j < ${d}; j++) mean += x[base + j];`,
      `mean /= ${d};`,
      "let variance = 0;",
      `for (let j = 0; j < ${d}; j++) { const c = x[base + j] - mean; variance += c * c; }`,
      `const rstd = 1 / Math.sqrt(variance / ${d} + ${eps});`,
      "s0[2 * r] = mean;",
      "s0[2 * r + 1] = rstd;",
      `for (let j = 0; j < ${d}; j++) y[base + j] = (x[base + j] - mean) * rstd * weight[j] + bias[j];`,
      "}",
    ].join("\n");
  },
  backward(ctx) {
    const { d, rows } = dims(ctx);
    const [gIn, gW, gB] = ctx.grads;
    const lines: string[] = [];
    ctx.use("n", "gy", "s0");
    if (gW || gB) ctx.use("s1");
    if (gW) ctx.use("x", "gweight");
    if (gB) ctx.use("gbias");
    if (gIn) ctx.use("x", "weight", "gx");
    if (gW || gB) lines.push(`s1.fill(0, 0, ${2 * d});`);
    lines.push(`for (let r = 0; r < ${perBatch(rows)}; r++) {`, `const base = r * ${d};`, "const mean = s0[2 * r], rstd = s0[2 * r + 1];");
    if (gW || gB) {
      lines.push(`for (let j = 0; j < ${d}; j++) {`);
      if (gW) lines.push("s1[j] += gy[base + j] * (x[base + j] - mean) * rstd;");
      if (gB) lines.push(`s1[${d} + j] += gy[base + j];`);
      lines.push("}");
    }
    if (gIn) {
      lines.push(
        "let sumG = 0, sumGX = 0;",
        `for (let j = 0; j < ${d}; j++) { const g = gy[base + j] * weight[j]; sumG += g; sumGX += g * (x[base + j] - mean) * rstd; }`,
        `const meanG = sumG / ${d}, meanGX = sumGX / ${d};`,
        `for (let j = 0; j < ${d}; j++) {`,
        "const xhat = (x[base + j] - mean) * rstd;",
        `gx[base + j] ${assign(gIn)} rstd * (gy[base + j] * weight[j] - meanG - xhat * meanGX);`,
        "}",
      );
    }
    lines.push("}");
    if (gW) lines.push(`for (let j = 0; j < ${d}; j++) gweight[j] ${assign(gW)} s1[j];`);
    if (gB) lines.push(`for (let j = 0; j < ${d}; j++) gbias[j] ${assign(gB)} s1[${d} + j];`);
    return lines.join("\n");
  },
};
