// lstm: PyTorch's LSTM (one layer, zero initial state) over each sample's sequence [T, D]:
//   a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, split into rows i, f, g, o of H each
//   i = sigma(a_i), f = sigma(a_f), g = tanh(a_g), o = sigma(a_o)
//   c_t = f c_{t-1} + i g,   h_t = o tanh(c_t)
// The output is every h_t [T, H] or the last [H]. The forward kernel keeps the gates and
// every c_t and h_t; the backward kernel walks t down, carrying dh and dc:
//   dc += dh o (1 - tanh(c_t)^2);  da_i = dc g i(1-i), da_f = dc c_{t-1} f(1-f),
//   da_g = dc i (1-g^2), da_o = dh tanh(c_t) o(1-o);  dc <- dc f;  dh <- W_hh^T da (+ gy_{t-1}).

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

const GATES = 4;

export const lstm: OpDef<RecurrentAttrs> = {
  name: "lstm",
  inputNames: RECURRENT_INPUTS,
  lowers: { lstm: recurrentLowering(() => lstm) },
  shape: (inputs, attrs) => recurrentShape(inputs, attrs, "lstm"),
  scratch(ctx) {
    const m = recurrentDims(ctx, GATES);
    return [
      { perSample: m.t * m.g, fixed: 0, what: "gates i, f, g, o of every step" },
      { perSample: (m.t + 1) * m.h, fixed: 0, what: "cell states c_-1 (zero) .. c_T-1" },
      { perSample: (m.t + 1) * m.h, fixed: 0, what: "hidden states h_-1 (zero) .. h_T-1" },
      { perSample: 0, fixed: weightGradSize(m), what: "weight gradient sums", float64: true, backwardOnly: true },
      { perSample: 0, fixed: 2 * m.h + m.g, what: "dh, dc and the gates' gradient of one step", float64: true, backwardOnly: true },
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
      `for (let j = 0; j < ${H}; j++) { s1[so + j] = 0; s2[so + j] = 0; }`,
      `for (let t = 0; t < ${T}; t++) {`,
      `const xt = i * ${T * D} + t * ${D}, hp = so + t * ${H}, gt = i * ${T * G} + t * ${G};`,
      `for (let r = 0; r < ${G}; r++) {`,
      "let a = bias_ih[r] + bias_hh[r];",
      rowDot("a", "weight_ih", "r", D, "x", "xt"),
      rowDot("a", "weight_hh", "r", H, "s2", "hp"),
      `s0[gt + r] = r >= ${2 * H} && r < ${3 * H} ? Math.tanh(a) : 1 / (1 + Math.exp(-a));`,
      "}",
      `for (let j = 0; j < ${H}; j++) {`,
      `const c = s0[gt + ${H} + j] * s1[hp + j] + s0[gt + j] * s0[gt + ${2 * H} + j];`,
      `s1[hp + ${H} + j] = c;`,
      `const hNew = s0[gt + ${3 * H} + j] * Math.tanh(c);`,
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
    // s4 holds dh [0, H), dc [H, 2H), da [2H, 2H + G).
    const lines: string[] = [];
    ctx.use("n", "gy", "weight_hh", "s0", "s1", "s4");
    if (weights) ctx.use("x", "s2", "s3");
    if (gIn) ctx.use("weight_ih", "gx");
    if (weights) lines.push(`s3.fill(0, 0, ${weightGradSize(m)});`);
    lines.push(
      "for (let i = 0; i < n; i++) {",
      `const so = i * ${(T + 1) * H};`,
      m.sequences
        ? `for (let j = 0; j < ${2 * H}; j++) s4[j] = 0;`
        : `for (let j = 0; j < ${H}; j++) { s4[j] = gy[i * ${H} + j]; s4[${H} + j] = 0; }`,
      `for (let t = ${T - 1}; t >= 0; t--) {`,
      `const xt = i * ${T * D} + t * ${D}, hp = so + t * ${H}, gt = i * ${T * G} + t * ${G};`,
      m.sequences ? `for (let j = 0; j < ${H}; j++) s4[j] += gy[i * ${T * H} + t * ${H} + j];` : "",
      `for (let j = 0; j < ${H}; j++) {`,
      `const ig = s0[gt + j], fg = s0[gt + ${H} + j], gg = s0[gt + ${2 * H} + j], og = s0[gt + ${3 * H} + j];`,
      `const tc = Math.tanh(s1[hp + ${H} + j]), dh = s4[j];`,
      `const dc = s4[${H} + j] + dh * og * (1 - tc * tc);`,
      `s4[${2 * H} + j] = dc * gg * ig * (1 - ig);`,
      `s4[${3 * H} + j] = dc * s1[hp + j] * fg * (1 - fg);`,
      `s4[${4 * H} + j] = dc * ig * (1 - gg * gg);`,
      `s4[${5 * H} + j] = dh * tc * og * (1 - og);`,
      `s4[${H} + j] = dc * fg;`,
      "}",
    );
    const da = (r: string): string => `s4[${2 * H} + ${r}]`;
    if (weights) lines.push(weightGradStep(m, da, da));
    if (gIn) lines.push(inputGradStep(m, da, gIn));
    lines.push(transposedProduct(G, H, "weight_hh", da, (k) => `s4[${k}]`, "0"), "}", "}");
    if (weights) lines.push(writeWeightGrads(ctx, m, ctx.grads));
    return lines.filter((l) => l !== "").join("\n");
  },
};
