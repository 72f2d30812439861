// gru: PyTorch's GRU (one layer, zero initial state) over each sample's sequence [T, D], with
// rows r, z, n of H each in W_ih, W_hh, b_ih, b_hh:
//   r = sigma(W_ir x + b_ir + W_hr h + b_hr),  z = sigma(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r (W_hn h + b_hn)),  h_t = (1 - z) n + z h_{t-1}
// The reset gate scales W_hn h + b_hn (PyTorch's, Keras's reset_after), which the forward
// kernel keeps with the gates. Backward, per step from t = T - 1 down, from dh:
//   dn = dh (1 - z) (1 - n^2),  dz = dh (h_{t-1} - n) z(1-z),  dr = dn (W_hn h + b_hn) r(1-r)
//   input side [dr, dz, dn], hidden side [dr, dz, dn r];  dh <- dh z + W_hh^T (hidden side).

import type { OpDef } from "./op.js";
import {
  inputGradStep,
  recurrentDims,
  recurrentLowering,
  recurrentShape,
  rowDot,
  transposedProduct,
  wantsWeightGrads,
  weightGradSize,
  weightGradStep,
  writeWeightGrads,
  RECURRENT_INPUTS,
  type RecurrentAttrs,
} from "./recurrence.js";

const GATES = 3;

export const gru: OpDef<RecurrentAttrs> = {
  name: "gru",
  inputNames: RECURRENT_INPUTS,
  lowers: { gru: recurrentLowering(() => gru) },
  shape: (inputs, attrs) => recurrentShape(inputs, attrs, "gru"),
  scratch(ctx) {
    const m = recurrentDims(ctx, GATES);
    return [
      { perSample: m.t * m.g, fixed: 0, what: "gates r, z, n of every step" },
      { perSample: m.t * m.h, fixed: 0, what: "W_hn h + b_hn of every step" },
      { perSample: (m.t + 1) * m.h, fixed: 0, what: "hidden states h_-1 (zero) .. h_T-1" },
      { perSample: 0, fixed: weightGradSize(m), what: "weight gradient sums", float64: true, backwardOnly: true },
      { perSample: 0, fixed: 2 * m.h + 2 * m.g, what: "dh, dh through z, and the gates' input and hidden gradients of one step", float64: true, backwardOnly: true },
    ];
  },
  forward(ctx) {
    const m = recurrentDims(ctx, GATES);
    const { t: T, d: D, h: H, g: G } = m;
    ctx.use("n", "x", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "y", "s0", "s1", "s2");
    const store = m.sequences ? `y[i * ${T * H} + t * ${H} + j] = hNew;` : `if (t === ${T - 1}) y[i * ${H} + j] = hNew;`;
    return [
      "for (let i = 0; i < n; i++) {",
      `const so = i * ${(T + 1) * H};`,
      `for (let j = 0; j < ${H}; j++) s2[so + j] = 0;`,
      `for (let t = 0; t < ${T}; t++) {`,
      `const xt = i * ${T * D} + t * ${D}, hp = so + t * ${H}, gt = i * ${T * G} + t * ${G}, nt = i * ${T * H} + t * ${H};`,
      `for (let j = 0; j < ${H}; j++) {`,
      "let ar = bias_ih[j] + bias_hh[j];",
      rowDot("ar", "weight_ih", "j", D, "x", "xt"),
      rowDot("ar", "weight_hh", "j", H, "s2", "hp"),
      `let az = bias_ih[${H} + j] + bias_hh[${H} + j];`,
      rowDot("az", "weight_ih", `(${H} + j)`, D, "x", "xt"),
      rowDot("az", "weight_hh", `(${H} + j)`, H, "s2", "hp"),
      `let ai = bias_ih[${2 * H} + j];`,
      rowDot("ai", "weight_ih", `(${2 * H} + j)`, D, "x", "xt"),
      `let ah = bias_hh[${2 * H} + j];`,
      rowDot("ah", "weight_hh", `(${2 * H} + j)`, H, "s2", "hp"),
      "const rg = 1 / (1 + Math.exp(-ar)), zg = 1 / (1 + Math.exp(-az));",
      "const ng = Math.tanh(ai + rg * ah);",
      `s0[gt + j] = rg; s0[gt + ${H} + j] = zg; s0[gt + ${2 * H} + j] = ng; s1[nt + j] = ah;`,
      `const hNew = (1 - zg) * ng + zg * s2[hp + j];`,
      `s2[hp + ${H} + j] = hNew;`,
      store,
      "}",
      "}",
      "}",
    ].join("\n");
  },
  backward(ctx) {
    const m = recurrentDims(ctx, GATES);
    const { t: T, d: D, h: H, g: G } = m;
    const weights = wantsWeightGrads(ctx.grads);
    const gIn = ctx.grads[0];
    // s4 holds dh [0, H), dh through z [H, 2H), input-side [2H, 2H + G), hidden-side [2H + G, 2H + 2G).
    const di = (r: string): string => `s4[${2 * H} + ${r}]`;
    const dhh = (r: string): string => `s4[${2 * H + G} + ${r}]`;
    const lines: string[] = [];
    ctx.use("n", "gy", "weight_hh", "s0", "s1", "s2", "s4");
    if (weights) ctx.use("x", "s2", "s3");
    if (gIn) ctx.use("weight_ih", "gx");
    if (weights) lines.push(`s3.fill(0, 0, ${weightGradSize(m)});`);
    lines.push(
      "for (let i = 0; i < n; i++) {",
      `const so = i * ${(T + 1) * H};`,
      m.sequences ? `for (let j = 0; j < ${H}; j++) s4[j] = 0;` : `for (let j = 0; j < ${H}; j++) s4[j] = gy[i * ${H} + j];`,
      `for (let t = ${T - 1}; t >= 0; t--) {`,
      `const xt = i * ${T * D} + t * ${D}, hp = so + t * ${H}, gt = i * ${T * G} + t * ${G}, nt = i * ${T * H} + t * ${H};`,
      m.sequences ? `for (let j = 0; j < ${H}; j++) s4[j] += gy[i * ${T * H} + t * ${H} + j];` : "",
      `for (let j = 0; j < ${H}; j++) {`,
      `const rg = s0[gt + j], zg = s0[gt + ${H} + j], ng = s0[gt + ${2 * H} + j], dh = s4[j];`,
      "const dn = dh * (1 - zg) * (1 - ng * ng);",
      `const dz = dh * (s2[hp + j] - ng) * zg * (1 - zg);`,
      `const dr = dn * s1[nt + j] * rg * (1 - rg);`,
      `${di("j")} = dr; ${di(`${H} + j`)} = dz; ${di(`${2 * H} + j`)} = dn;`,
      `${dhh("j")} = dr; ${dhh(`${H} + j`)} = dz; ${dhh(`${2 * H} + j`)} = dn * rg;`,
      `s4[${H} + j] = dh * zg;`,
      "}",
    );
    if (weights) lines.push(weightGradStep(m, di, dhh));
    if (gIn) lines.push(inputGradStep(m, di, gIn));
    lines.push(transposedProduct(G, H, "weight_hh", dhh, (k) => `s4[${k}]`, `s4[${H} + k]`), "}", "}");
    if (weights) lines.push(writeWeightGrads(ctx, m, ctx.grads));
    return lines.filter((l) => l !== "").join("\n");
  },
};
