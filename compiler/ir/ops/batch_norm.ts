// batch_norm per channel (the last axis), over every other axis and the batch.
// Training: batch mean and biased variance normalise; the running statistics move as
// PyTorch's do, running = (1 - momentum) * running + momentum * batch_stat, the variance's
// with the unbiased estimate (count / (count - 1); a batch of one row leaves it biased, where
// PyTorch refuses). Inference: the running statistics normalise.
// Inputs: x, weight, bias, running_mean, running_var (the last two are buffers: no gradient).

import { assign, lit, type KernelContext, type OpDef } from "./op.js";

function dims(ctx: KernelContext): { c: number; rows: number; eps: string; momentum: number } {
  const c = ctx.output.shape[ctx.output.shape.length - 1]!;
  return { c, rows: ctx.output.size / c, eps: lit(ctx.attrs["eps"] as number), momentum: ctx.attrs["momentum"] as number };
}

export const batchNorm: OpDef = {
  name: "batch_norm",
  shape: (inputs) => inputs[0]!.shape,
  constantInputs: [3, 4],
  scratch: (ctx) => [
    { perSample: 0, fixed: dims(ctx).c, what: "batch mean per channel" },
    { perSample: 0, fixed: dims(ctx).c, what: "batch 1 / std per channel" },
  ],
  forward(ctx) {
    const { c, rows, eps, momentum } = dims(ctx);
    return [
      `const count = n * ${rows};`,
      `for (let ch = 0; ch < ${c}; ch++) {`,
      "let mean = 0;",
      `for (let p = ch; p < count * ${c}; p += ${c}) mean += x0[p];`,
      "mean /= count;",
      "let sq = 0;",
      `for (let p = ch; p < count * ${c}; p += ${c}) { const d = x0[p] - mean; sq += d * d; }`,
      "const variance = sq / count;",
      `const rstd = 1 / Math.sqrt(variance + ${eps});`,
      "s0[ch] = mean;",
      "s1[ch] = rstd;",
      `x3[ch] = ${lit(1 - momentum)} * x3[ch] + ${lit(momentum)} * mean;`,
      `x4[ch] = ${lit(1 - momentum)} * x4[ch] + ${lit(momentum)} * (count > 1 ? sq / (count - 1) : variance);`,
      "const w = x1[ch] * rstd, b = x2[ch] - mean * w;",
      `for (let p = ch; p < count * ${c}; p += ${c}) y[p] = x0[p] * w + b;`,
      "}",
    ].join("\n");
  },
  inferForward(ctx) {
    const { c, rows, eps } = dims(ctx);
    return [
      `for (let ch = 0; ch < ${c}; ch++) {`,
      `const w = x1[ch] / Math.sqrt(x4[ch] + ${eps}), b = x2[ch] - x3[ch] * w;`,
      `for (let p = ch; p < n * ${rows * c}; p += ${c}) y[p] = x0[p] * w + b;`,
      "}",
    ].join("\n");
  },
  backward(ctx) {
    const { c, rows } = dims(ctx);
    const [gIn, gW, gB] = ctx.grads;
    const lines = [`const count = n * ${rows};`, `for (let ch = 0; ch < ${c}; ch++) {`, "const mean = s0[ch], rstd = s1[ch];", "let sumG = 0, sumGX = 0;"];
    lines.push(`for (let p = ch; p < count * ${c}; p += ${c}) { sumG += gy[p]; sumGX += gy[p] * (x0[p] - mean) * rstd; }`);
    if (gW) lines.push(`gx1[ch] ${assign(gW)} sumGX;`);
    if (gB) lines.push(`gx2[ch] ${assign(gB)} sumG;`);
    if (gIn) {
      lines.push(
        "const k = x1[ch] * rstd, meanG = sumG / count, meanGX = sumGX / count;",
        `for (let p = ch; p < count * ${c}; p += ${c}) gx0[p] ${assign(gIn)} k * (gy[p] - meanG - (x0[p] - mean) * rstd * meanGX);`,
      );
    }
    lines.push("}");
    return lines.join("\n");
  },
};
