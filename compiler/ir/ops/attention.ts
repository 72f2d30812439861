// The attention core of self_attention and attention (the q, k, v and output projections are
// ordinary dense ops around it): per sample and head,
//   P = softmax(Q_h K_h^T / sqrt(d_head))   (with j > i masked out when causal)
//   y_h = P V_h
// The heads are column slices of the [T, D] projections, concatenated back in place. P is
// kept for the backward pass:
//   gV_h = P^T gy_h,  gP = gy_h V_h^T,  gS = P * (gP - rowsum(gP * P)) / sqrt(d_head),
//   gQ_h = gS K_h,    gK_h = gS^T Q_h.

import { lowerDense } from "./dense.js";
import { labelOf, num, paramBySuffix, requireParam, type Lowering } from "../lowering.js";
import { perBatch, assign, lit, type OpContext, type OpDef } from "./op.js";

interface Dims {
  tq: number;
  tk: number;
  d: number;
  heads: number;
  dh: number;
  scale: string;
  causal: boolean;
}

export type AttentionAttrs = { heads: number; causal: boolean };

function dims(ctx: OpContext<AttentionAttrs>): Dims {
  const [q, k] = ctx.inputs;
  const heads = ctx.attrs.heads;
  const d = q!.shape[1]!;
  return {
    tq: q!.shape[0]!,
    tk: k!.shape[0]!,
    d,
    heads,
    dh: d / heads,
    scale: lit(1 / Math.sqrt(d / heads)),
    causal: ctx.attrs.causal,
  };
}

/** Keys row t may attend to: all, or up to t itself when causal. */
function keys(m: Dims): string {
  return m.causal ? "t + 1" : String(m.tk);
}

/** Loops over sample, head and query row, with the row's offsets into q/y and P. */
function overRows(m: Dims, body: string[]): string {
  return [
    "for (let s = 0; s < n; s++) {",
    `const qs = s * ${m.tq * m.d}, ks = s * ${m.tk * m.d};`,
    `for (let h = 0; h < ${m.heads}; h++) {`,
    `for (let t = 0; t < ${m.tq}; t++) {`,
    `const qb = qs + t * ${m.d} + h * ${m.dh};`,
    `const pb = ((s * ${m.heads} + h) * ${m.tq} + t) * ${m.tk};`,
    `const kh = ks + h * ${m.dh};`,
    ...body,
    "}",
    "}",
    "}",
  ].join("\n");
}

/** q, k and v projections, the attention core, and the output projection. */
function lowerAttention(self: boolean): Lowering {
  return (node, b, inputs) => {
    const [q, k, v] = self ? [inputs[0]!, inputs[0]!, inputs[0]!] : [inputs[0]!, inputs[1]!, inputs[2]!];
    const label = labelOf(node);
    const project = (x: number, which: string): number =>
      lowerDense(b, node, x, requireParam(node, `${which}.weight`), paramBySuffix(node, `${which}.bias`), `${label}.${which}`);
    const attrs = { heads: num(node, "heads"), causal: node.args["causal"] === true };
    const core = b.op(node, attention, [project(q, "q"), project(k, "k"), project(v, "v")], attrs, `${label}.core`);
    return project(core, "out");
  };
}

export const attention: OpDef<AttentionAttrs> = {
  name: "attention",
  inputNames: ["q", "k", "v"],
  lowers: { self_attention: lowerAttention(true), attention: lowerAttention(false) },
  shape(inputs, attrs) {
    const [q, k, v] = inputs;
    const heads = attrs.heads;
    if (q!.shape.length !== 2 || k!.shape.length !== 2 || v!.shape.length !== 2) return "attention needs [T, D] inputs";
    if (q!.shape[1] !== k!.shape[1] || k!.shape.join() !== v!.shape.join()) {
      return `attention: q [${q!.shape.join(", ")}], k [${k!.shape.join(", ")}], v [${v!.shape.join(", ")}] do not fit`;
    }
    if (q!.shape[1]! % heads !== 0) return `attention: width ${q!.shape[1]} is not divisible by ${heads} heads`;
    return q!.shape;
  },
  scratch(ctx) {
    const m = dims(ctx);
    return [
      { perSample: m.heads * m.tq * m.tk, fixed: 0, what: "attention weights P per head", name: "P" },
      // A row a sample though only one is in use at a time: the WebAssembly backward splits by
      // samples, each chunk of the batch using the row of its first sample.
      { perSample: m.tk, fixed: 0, what: "one row of the score gradient", name: "dscore_row", backwardOnly: true },
    ];
  },
  forward(ctx) {
    const m = dims(ctx);
    ctx.use("n", "q", "k", "v", "y", "s0");
    const lines = [
      "let max = -Infinity;",
      `for (let j = 0; j < ${keys(m)}; j++) {`,
      `let dot = 0;`,
      `const kb = kh + j * ${m.d};`,
      `for (let e = 0; e < ${m.dh}; e++) dot += q[qb + e] * k[kb + e];`,
      `dot *= ${m.scale};`,
      "s0[pb + j] = dot;",
      "if (dot > max) max = dot;",
      "}",
      "let sum = 0;",
      `for (let j = 0; j < ${keys(m)}; j++) { const w = Math.exp(s0[pb + j] - max); s0[pb + j] = w; sum += w; }`,
      `for (let j = 0; j < ${keys(m)}; j++) s0[pb + j] /= sum;`,
      ...(m.causal ? [`for (let j = t + 1; j < ${m.tk}; j++) s0[pb + j] = 0;`] : []),
      `for (let e = 0; e < ${m.dh}; e++) {`,
      "let acc = 0;",
      `for (let j = 0; j < ${keys(m)}; j++) acc += s0[pb + j] * v[kh + j * ${m.d} + e];`,
      "y[qb + e] = acc;",
      "}",
    ];
    return overRows(m, lines);
  },
  backward(ctx) {
    const m = dims(ctx);
    const [gq, gk, gv] = ctx.grads;
    ctx.use("n", "gy", "v", "s0", "s1");
    if (gq) ctx.use("k", "gq");
    if (gk) ctx.use("q", "gk");
    if (gv) ctx.use("gv");
    const pre: string[] = [];
    if (gk && !gk.accumulate) pre.push(`gk.fill(0, 0, ${perBatch(m.tk * m.d)});`);
    if (gv && !gv.accumulate) pre.push(`gv.fill(0, 0, ${perBatch(m.tk * m.d)});`);
    const body = [
      "let dot = 0;",
      `for (let j = 0; j < ${keys(m)}; j++) {`,
      `const vb = kh + j * ${m.d};`,
      "let g = 0;",
      `for (let e = 0; e < ${m.dh}; e++) g += gy[qb + e] * v[vb + e];`,
      "s1[j] = g;",
      "dot += g * s0[pb + j];",
      ...(gv ? [`const p = s0[pb + j];`, `for (let e = 0; e < ${m.dh}; e++) gv[vb + e] += p * gy[qb + e];`] : []),
      "}",
      `for (let j = 0; j < ${keys(m)}; j++) s1[j] = s0[pb + j] * (s1[j] - dot) * ${m.scale};`,
    ];
    if (gq) {
      body.push(
        `for (let e = 0; e < ${m.dh}; e++) {`,
        "let acc = 0;",
        `for (let j = 0; j < ${keys(m)}; j++) acc += s1[j] * k[kh + j * ${m.d} + e];`,
        `gq[qb + e] ${assign(gq)} acc;`,
        "}",
      );
    }
    if (gk) {
      body.push(
        `for (let j = 0; j < ${keys(m)}; j++) {`,
        `const kb = kh + j * ${m.d}, g = s1[j];`,
        `for (let e = 0; e < ${m.dh}; e++) gk[kb + e] += g * q[qb + e];`,
        "}",
      );
    }
    return [...pre, overRows(m, body)].join("\n");
  },
};
