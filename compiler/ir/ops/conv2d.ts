// conv2d on channels-last [H, W, C] inputs, through im2col: each output position's receptive
// field is copied into one row of a scratch matrix (zeros where the window hangs over the
// padding), and the convolution becomes the same register-blocked product as dense, with
// the weight kept as [out, kh, kw, in] so that a weight row lines up with an im2col row.
//
// Padding `same` pads ceil-less TensorFlow style: total (Ho - 1) * stride + k - H, the extra
// row or column at the bottom/right. For stride 1 that is PyTorch's padding='same'.

import { errorAt, labelOf, pair, paramBySuffix, requireParam } from "../lowering.js";
import type { FusedActivation } from "./activations.js";
import { activate, biasSumScratch, preActivationAndBiasGrad } from "./dense.js";
import { PARTIAL_SAMPLES } from "../../wasm/chunks.js";
import { convWeightByBlocks } from "../../wasm/conv2d.js";
import { weightBlocksScratch } from "../../wasm/weight-blocks.js";
import { cacheTile, matmul, plus, rowMajor, times, type Dim } from "./matmul.js";

/** `a - k`, with `- 0` folded away. */
function minus(a: Dim, k: number): Dim {
  return k === 0 ? a : `${a} - ${k}`;
}
import { perBatch, type OpContext, type OpDef } from "./op.js";

export interface ConvGeometry {
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  oh: number;
  ow: number;
  filters: number;
  padTop: number;
  padLeft: number;
  /** Elements of one im2col row. */
  patch: number;
}

function outSize(size: number, k: number, stride: number, same: boolean): number {
  return same ? Math.ceil(size / stride) : Math.floor((size - k) / stride) + 1;
}

/** Filters, kernel [kh, kw], stride [sh, sw], padding, and a fused activation (fuse.ts). */
export type ConvAttrs = { filters: number; kh: number; kw: number; sh: number; sw: number; padding: "same" | "valid" } & FusedActivation;

export function convGeometry(shape: readonly number[], attrs: ConvAttrs): ConvGeometry {
  const [h, w, c] = shape as [number, number, number];
  const { kh, kw, sh, sw } = attrs;
  const same = attrs.padding === "same";
  const oh = outSize(h, kh, sh, same);
  const ow = outSize(w, kw, sw, same);
  const padTop = same ? Math.floor(Math.max((oh - 1) * sh + kh - h, 0) / 2) : 0;
  const padLeft = same ? Math.floor(Math.max((ow - 1) * sw + kw - w, 0) / 2) : 0;
  return { h, w, c, kh, kw, sh, sw, oh, ow, filters: attrs.filters, padTop, padLeft, patch: kh * kw * c };
}

function geometry(ctx: OpContext<ConvAttrs>): ConvGeometry {
  return convGeometry(ctx.inputs[0]!.shape, ctx.attrs);
}

/** Loops over every (sample, output position, kernel offset) with `src` the input index or -1 in the padding. */
function overPatches(g: ConvGeometry, body: string): string {
  return [
    `for (let s = 0, row = 0; s < n; s++) {`,
    `for (let oy = 0; oy < ${g.oh}; oy++) {`,
    `for (let ox = 0; ox < ${g.ow}; ox++, row++) {`,
    `let q = row * ${g.patch};`,
    `for (let ky = 0; ky < ${g.kh}; ky++) {`,
    `const iy = ${minus(plus(times("oy", g.sh), "ky"), g.padTop)};`,
    `for (let kx = 0; kx < ${g.kw}; kx++, q += ${g.c}) {`,
    `const ix = ${minus(plus(times("ox", g.sw), "kx"), g.padLeft)};`,
    `const inside = iy >= 0 && iy < ${g.h} && ix >= 0 && ix < ${g.w};`,
    `const src = ${plus(times("s", g.h * g.w * g.c), times("(iy * " + g.w + " + ix)", g.c))};`,
    body,
    "}",
    "}",
    "}",
    "}",
    "}",
  ].join("\n");
}

export const conv2d: OpDef<ConvAttrs> = {
  name: "conv2d",
  inputNames: ["x", "weight", "bias"],
  fusesActivation: true,
  lowers: {
    conv2d: (node, b, [x]) => {
      const weight = requireParam(node, "weight");
      const bias = paramBySuffix(node, "bias");
      const inputs = [x!, b.param(weight, "ohwi")];
      if (bias) inputs.push(b.param(bias));
      const padding = node.args["padding"];
      if (padding !== "same" && padding !== "valid") {
        throw errorAt(node, `padding must be same or valid, got ${JSON.stringify(padding)}`);
      }
      const [sh, sw] = pair(node, "stride", 1);
      return b.op(node, conv2d, inputs, { filters: weight.shape[0]!, kh: weight.shape[2]!, kw: weight.shape[3]!, sh, sw, padding }, labelOf(node));
    },
  },
  shape(inputs, attrs) {
    const x = inputs[0]!;
    if (x.shape.length !== 3) return `conv2d needs an [H, W, C] input, got [${x.shape.join(", ")}]`;
    const g = convGeometry(x.shape, attrs);
    if (g.c !== inputs[1]!.shape[3]) return `conv2d: ${g.c} input channels but weight [${inputs[1]!.shape.join(", ")}]`;
    if (g.oh < 1 || g.ow < 1) return `conv2d: a ${g.kh}x${g.kw} kernel does not fit a ${g.h}x${g.w} input`;
    return [g.oh, g.ow, g.filters];
  },
  scratch(ctx) {
    const g = geometry(ctx);
    return [
      { perSample: g.oh * g.ow * g.patch, fixed: 0, what: "im2col: one receptive field per row" },
      { perSample: g.oh * g.ow * g.patch, fixed: 0, what: "gradient of the im2col matrix", backwardOnly: true },
      biasSumScratch(g.filters),
      // The WebAssembly kernels' (compiler/wasm/conv2d.ts): each block of samples' partial db and dW.
      ...(convWeightByBlocks(g) ? [weightBlocksScratch({ inWidth: g.patch, out: g.filters }, PARTIAL_SAMPLES)] : []),
    ];
  },
  forward(ctx) {
    const g = geometry(ctx);
    const hasBias = ctx.inputs.length > 2;
    ctx.use("n", "x", "weight", "y", "s0", ...(hasBias ? ["bias"] : []));
    return [
      "// im2col",
      overPatches(g, g.c === 1 ? "s0[q] = inside ? x[src] : 0;" : `for (let ch = 0; ch < ${g.c}; ch++) s0[q + ch] = inside ? x[src + ch] : 0;`),
      "// y = im2col W^T + b",
      matmul({
        M: perBatch(g.oh * g.ow),
        N: g.filters,
        K: g.patch,
        a: { buf: "s0", offset: 0, rowStride: g.patch, colStride: 1 },
        b: { buf: "weight", offset: 0, rowStride: 1, colStride: g.patch },
        store: (i, j, acc) => activate(ctx, `y[${rowMajor(i, g.filters, j)}]`, hasBias ? `${acc} + bias[${j}]` : acc),
      }),
    ].join("\n");
  },
  backward(ctx) {
    const g = geometry(ctx);
    // The WebAssembly weight-gradient kernels' partial sums (s3), passed along so that their
    // calls can stand in for this kernel's (compiler/emit/module.ts's adapters); no JavaScript reads them.
    if (convWeightByBlocks(g) && (ctx.grads[1] || ctx.grads[2])) ctx.pass("s3");
    const rows = perBatch(g.oh * g.ow);
    const parts = [preActivationAndBiasGrad(ctx, rows, g.filters, ctx.inputs.length > 2 ? 2 : null, "s2")];
    const gw = ctx.grads[1];
    if (gw) {
      ctx.use("n", "gy", "s0", "gweight");
      parts.push(
        "// gW = gy^T im2col, a cache-sized tile of rows at a time",
        ...(gw.accumulate ? [] : [`gweight.fill(0, 0, ${g.filters * g.patch});`]),
        matmul({
          M: g.filters,
          N: g.patch,
          K: rows,
          a: { buf: "gy", offset: 0, rowStride: 1, colStride: g.filters },
          b: { buf: "s0", offset: 0, rowStride: g.patch, colStride: 1 },
          store: (i, j, acc) => `gweight[${rowMajor(i, g.patch, j)}] += ${acc};`,
          kTile: cacheTile(g.filters, g.patch),
        }),
      );
    }
    const gxIn = ctx.grads[0];
    if (gxIn) {
      ctx.use("n", "gy", "weight", "s1", "gx");
      parts.push(
        "// gradient of im2col = gy W, then scattered back (col2im)",
        matmul({
          M: rows,
          N: g.patch,
          K: g.filters,
          a: { buf: "gy", offset: 0, rowStride: g.filters, colStride: 1 },
          b: { buf: "weight", offset: 0, rowStride: g.patch, colStride: 1 },
          store: (i, j, acc) => `s1[${rowMajor(i, g.patch, j)}] = ${acc};`,
        }),
      );
      if (!gxIn.accumulate) parts.push(`gx.fill(0, 0, ${perBatch(g.h * g.w * g.c)});`);
      parts.push(overPatches(g, g.c === 1 ? "if (inside) gx[src] += s1[q];" : `if (inside) for (let ch = 0; ch < ${g.c}; ch++) gx[src + ch] += s1[q + ch];`));
    }
    return parts.filter((p) => p !== "").join("\n");
  },
};
