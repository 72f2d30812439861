// batch_norm per channel (the last axis), over every other axis and the batch.
// Training: batch mean and biased variance normalise; the running statistics move as
// PyTorch's do, running = (1 - momentum) * running + momentum * batch_stat, the variance's
// with the unbiased estimate (count / (count - 1); a batch of one row leaves it biased, where
// PyTorch refuses). Inference: the running statistics normalise.
// Inputs: x, weight, bias, running_mean, running_var (the last two are buffers: no gradient).

import { labelOf, num, requireParam } from "../lowering.js";
import { activations, type FusedActivation } from "./activations.js";
import { activate } from "./dense.js";
import { perBatch, assign, lit, type OpContext, type OpDef } from "./op.js";
import { batchNormByBlocks, batchNormPartialFloats } from "../../wasm/batch_norm.js";
import { PARTIAL_SAMPLES } from "../../wasm/chunks.js";

export type BatchNormAttrs = { momentum: number; eps: number } & FusedActivation;

function dims(ctx: OpContext<BatchNormAttrs>): { c: number; rows: number; eps: string; momentum: number } {
  const c = ctx.output.shape[ctx.output.shape.length - 1]!;
  return { c, rows: ctx.output.size / c, eps: lit(ctx.attrs.eps), momentum: ctx.attrs.momentum };
}

// Every pass walks the batch row by row with the channel as the inner loop (contiguous
// memory), accumulating per-channel sums in scratch, rather than one strided pass per channel.
export const batchNorm: OpDef<BatchNormAttrs> = {
  name: "batch_norm",
  inputNames: ["x", "weight", "bias", "running_mean", "running_var"],
  fusesActivation: true,
  lowers: {
    batch_norm: (node, b, [x]) => {
      const inputs = [x!, ...["weight", "bias", "running_mean", "running_var"].map((s) => b.param(requireParam(node, s)))];
      return b.op(node, batchNorm, inputs, { momentum: num(node, "momentum"), eps: num(node, "eps") }, labelOf(node));
    },
  },
  shape: (inputs) => inputs[0]!.shape,
  constantInputs: [3, 4],
  scratch: (ctx) => [
    { perSample: 0, fixed: dims(ctx).c, what: "batch mean per channel", float64: true },
    { perSample: 0, fixed: dims(ctx).c, what: "batch 1 / std per channel", float64: true },
    // The last word: the backward's row count, for the wasm dx pass that runs on part of the batch.
    { perSample: 0, fixed: 2 * dims(ctx).c + 1, what: "per channel: scale and shift, or two gradient sums; then the row count", float64: true },
    // The WebAssembly kernels' (compiler/wasm/batch_norm.ts): each block of samples' sums.
    ...(batchNormByBlocks(dims(ctx)) ? [{ perSample: batchNormPartialFloats(dims(ctx).c) / PARTIAL_SAMPLES, fixed: batchNormPartialFloats(dims(ctx).c), name: "partials", what: "partial sums by blocks of samples" }] : []),
  ],
  forward(ctx) {
    const { c, rows, eps, momentum } = dims(ctx);
    ctx.use("n", "x", "weight", "bias", "running_mean", "running_var", "y", "s0", "s1", "s2");
    return [
      `const count = ${perBatch(rows)};`,
      `s0.fill(0, 0, ${c});`,
      `s1.fill(0, 0, ${c});`,
      `for (let r = 0, p = 0; r < count; r++) for (let ch = 0; ch < ${c}; ch++, p++) s0[ch] += x[p];`,
      `for (let ch = 0; ch < ${c}; ch++) s0[ch] /= count;`,
      `for (let r = 0, p = 0; r < count; r++) for (let ch = 0; ch < ${c}; ch++, p++) { const d = x[p] - s0[ch]; s1[ch] += d * d; }`,
      `for (let ch = 0; ch < ${c}; ch++) {`,
      "const mean = s0[ch], sq = s1[ch], variance = sq / count;",
      `const rstd = 1 / Math.sqrt(variance + ${eps});`,
      "s1[ch] = rstd;",
      `running_mean[ch] = ${lit(1 - momentum)} * running_mean[ch] + ${lit(momentum)} * mean;`,
      `running_var[ch] = ${lit(1 - momentum)} * running_var[ch] + ${lit(momentum)} * (count > 1 ? sq / (count - 1) : variance);`,
      `s2[ch] = weight[ch] * rstd;`,
      `s2[${c} + ch] = bias[ch] - mean * s2[ch];`,
      "}",
      `for (let r = 0, p = 0; r < count; r++) for (let ch = 0; ch < ${c}; ch++, p++) ${activate(ctx, "y[p]", `x[p] * s2[ch] + s2[${c} + ch]`)}`,
    ].join("\n");
  },
  inferForward(ctx) {
    const { c, rows, eps } = dims(ctx);
    ctx.use("n", "x", "weight", "bias", "running_mean", "running_var", "y", "s2");
    return [
      `for (let ch = 0; ch < ${c}; ch++) {`,
      `s2[ch] = weight[ch] / Math.sqrt(running_var[ch] + ${eps});`,
      `s2[${c} + ch] = bias[ch] - running_mean[ch] * s2[ch];`,
      "}",
      `for (let r = 0, p = 0; r < ${perBatch(rows)}; r++) for (let ch = 0; ch < ${c}; ch++, p++) ${activate(ctx, "y[p]", `x[p] * s2[ch] + s2[${c} + ch]`)}`,
    ].join("\n");
  },
  backward(ctx) {
    const { c, rows } = dims(ctx);
    const [gIn, gW, gB] = ctx.grads;
    // A fused activation's derivative turns gy into the gradient of the normalised value, in
    // place, in the same pass that sums s2[ch] = sum(gy) and s2[c + ch] = sum(gy * xhat).
    const fn = ctx.attrs.activation;
    const derivative = fn !== undefined ? activations[fn]?.fromOutput?.("y[p]", ctx.attrs) : undefined;
    ctx.use("n", "gy", "x", "s0", "s1", "s2", ...(derivative ? ["y"] : []), ...(gW ? ["gweight"] : []), ...(gB ? ["gbias"] : []));
    if (gIn) ctx.use("weight", "gx");
    const lines = [
      `const count = ${perBatch(rows)};`,
      `s2.fill(0, 0, ${2 * c});`,
      `for (let r = 0, p = 0; r < count; r++) for (let ch = 0; ch < ${c}; ch++, p++) {`,
      ...(derivative ? [`const g = gy[p] * ${derivative};`, "gy[p] = g;"] : ["const g = gy[p];"]),
      "s2[ch] += g;",
      `s2[${c} + ch] += g * (x[p] - s0[ch]) * s1[ch];`,
      "}",
    ];
    if (gW) lines.push(`for (let ch = 0; ch < ${c}; ch++) gweight[ch] ${assign(gW)} s2[${c} + ch];`);
    if (gB) lines.push(`for (let ch = 0; ch < ${c}; ch++) gbias[ch] ${assign(gB)} s2[ch];`);
    if (gIn) {
      lines.push(
        `for (let r = 0, p = 0; r < count; r++) for (let ch = 0; ch < ${c}; ch++, p++) {`,
        "const rstd = s1[ch];",
        `gx[p] ${assign(gIn)} weight[ch] * rstd * (gy[p] - s2[ch] / count - (x[p] - s0[ch]) * rstd * s2[${c} + ch] / count);`,
        "}",
      );
    }
    return lines.join("\n");
  },
};
