// group_norm as PyTorch's GroupNorm over channels-last tensors: the C channels (last axis) fall
// into `groups` groups of C / groups; each sample's group is normalised over its channels at
// every position, with the biased variance, then scaled and shifted per channel:
//   y = (x - mean_g) / sqrt(var_g + eps) * weight[c] + bias[c].
// Each group's mean and 1/std are kept for the backward pass, which is layer_norm's:
//   gx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)),  gxhat = gy * weight,
// the means taken over the group.

import { labelOf, num, requireParam } from "../lowering.js";
import { assign, lit, type OpContext, type OpDef } from "./op.js";

interface Dims {
  /** Channels, groups, channels per group, positions per sample, elements per group. */
  c: number;
  groups: number;
  per: number;
  positions: number;
  count: number;
  eps: string;
}

export type GroupNormAttrs = { groups: number; eps: number };

function dims(ctx: OpContext<GroupNormAttrs>): Dims {
  const c = ctx.output.shape[ctx.output.shape.length - 1]!;
  const groups = ctx.attrs.groups;
  const positions = ctx.output.size / c;
  return { c, groups, per: c / groups, positions, count: positions * (c / groups), eps: lit(ctx.attrs.eps) };
}

/** `body` once per element of sample i's group g, with `q` its index and `ch` its channel. */
function overGroup(d: Dims, body: string): string {
  return [
    `for (let pos = 0; pos < ${d.positions}; pos++) {`,
    `for (let ch = g * ${d.per}; ch < (g + 1) * ${d.per}; ch++) {`,
    `const q = i * ${d.positions * d.c} + pos * ${d.c} + ch;`,
    body,
    "}",
    "}",
  ].join("\n");
}

export const groupNorm: OpDef<GroupNormAttrs> = {
  name: "group_norm",
  inputNames: ["x", "weight", "bias"],
  lowers: {
    group_norm: (node, b, [x]) => {
      const inputs = [x!, b.param(requireParam(node, "weight")), b.param(requireParam(node, "bias"))];
      return b.op(node, groupNorm, inputs, { groups: num(node, "groups"), eps: num(node, "eps") }, labelOf(node));
    },
  },
  shape(inputs, attrs) {
    const shape = inputs[0]!.shape;
    const c = shape[shape.length - 1];
    const groups = attrs.groups;
    if (c === undefined || c % groups !== 0) return `group_norm: ${groups} groups do not divide the channels of [${shape.join(", ")}]`;
    return shape;
  },
  scratch: (ctx) => [
    { perSample: 2 * dims(ctx).groups, fixed: 0, what: "per sample and group: mean, 1 / std", float64: true },
    { perSample: 0, fixed: 2 * dims(ctx).c, what: "weight and bias gradient sums", float64: true },
  ],
  forward(ctx) {
    const d = dims(ctx);
    ctx.use("n", "x", "weight", "bias", "y", "s0");
    return [
      "for (let i = 0; i < n; i++) {",
      `for (let g = 0; g < ${d.groups}; g++) {`,
      "let mean = 0;",
      overGroup(d, "mean += x[q];"),
      `mean /= ${d.count};`,
      "let variance = 0;",
      overGroup(d, "const centred = x[q] - mean; variance += centred * centred;"),
      `const rstd = 1 / Math.sqrt(variance / ${d.count} + ${d.eps});`,
      `s0[2 * (i * ${d.groups} + g)] = mean;`,
      `s0[2 * (i * ${d.groups} + g) + 1] = rstd;`,
      overGroup(d, "y[q] = (x[q] - mean) * rstd * weight[ch] + bias[ch];"),
      "}",
      "}",
    ].join("\n");
  },
  backward(ctx) {
    const d = dims(ctx);
    const [gIn, gW, gB] = ctx.grads;
    const lines: string[] = [];
    ctx.use("n", "gy", "s0");
    if (gW || gB) ctx.use("s1");
    if (gW) ctx.use("x", "gweight");
    if (gB) ctx.use("gbias");
    if (gIn) ctx.use("x", "weight", "gx");
    if (gW || gB) lines.push(`s1.fill(0, 0, ${2 * d.c});`);
    lines.push(
      "for (let i = 0; i < n; i++) {",
      `for (let g = 0; g < ${d.groups}; g++) {`,
      `const mean = s0[2 * (i * ${d.groups} + g)], rstd = s0[2 * (i * ${d.groups} + g) + 1];`,
    );
    const sums: string[] = [];
    if (gW) sums.push("s1[ch] += gy[q] * (x[q] - mean) * rstd;");
    if (gB) sums.push(`s1[${d.c} + ch] += gy[q];`);
    if (sums.length > 0) lines.push(overGroup(d, sums.join(" ")));
    if (gIn) {
      lines.push(
        "let sumG = 0, sumGX = 0;",
        overGroup(d, "const gh = gy[q] * weight[ch]; sumG += gh; sumGX += gh * (x[q] - mean) * rstd;"),
        `const meanG = sumG / ${d.count}, meanGX = sumGX / ${d.count};`,
        overGroup(d, `gx[q] ${assign(gIn)} rstd * (gy[q] * weight[ch] - meanG - (x[q] - mean) * rstd * meanGX);`),
      );
    }
    lines.push("}", "}");
    if (gW) lines.push(`for (let ch = 0; ch < ${d.c}; ch++) gweight[ch] ${assign(gW)} s1[ch];`);
    if (gB) lines.push(`for (let ch = 0; ch < ${d.c}; ch++) gbias[ch] ${assign(gB)} s1[${d.c} + ch];`);
    return lines.join("\n");
  },
};
