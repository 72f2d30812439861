// max_pool2d and avg_pool2d on [H, W, C], windows of kh x kw every sh, sw (stride = size by
// default), no padding. Max pooling remembers each window's winner (its index within the
// sample) for the backward pass, which routes the gradient to it alone; ties go to the first.

import { labelOf, pair, type Lowering } from "../lowering.js";
import { perBatch, assign, type OpContext, type OpDef } from "./op.js";
import { plus, times } from "./matmul.js";

interface PoolGeometry {
  h: number; w: number; c: number; kh: number; kw: number; sh: number; sw: number; oh: number; ow: number;
}

/** Window and stride, each as [height, width]. */
export type PoolAttrs = { kh: number; kw: number; sh: number; sw: number };

function geometry(shape: readonly number[], attrs: PoolAttrs): PoolGeometry {
  const [h, w, c] = shape as [number, number, number];
  const { kh, kw, sh, sw } = attrs;
  return { h, w, c, kh, kw, sh, sw, oh: Math.floor((h - kh) / sh) + 1, ow: Math.floor((w - kw) / sw) + 1 };
}

function overWindows(g: PoolGeometry, body: string[]): string {
  return [
    `for (let s = 0, p = 0; s < n; s++) {`,
    `const base = s * ${g.h * g.w * g.c};`,
    `for (let oy = 0; oy < ${g.oh}; oy++) for (let ox = 0; ox < ${g.ow}; ox++) for (let ch = 0; ch < ${g.c}; ch++, p++) {`,
    `const corner = ${plus(times(plus(times("oy", g.sh * g.w), times("ox", g.sw)), g.c), "ch")};`,
    ...body,
    "}",
    "}",
  ].join("\n");
}

function shapeRule(name: string) {
  return (inputs: readonly { shape: number[] }[], attrs: PoolAttrs): number[] | string => {
    const x = inputs[0]!;
    if (x.shape.length !== 3) return `${name} needs an [H, W, C] input, got [${x.shape.join(", ")}]`;
    const g = geometry(x.shape, attrs);
    if (g.oh < 1 || g.ow < 1) return `${name}: a ${g.kh}x${g.kw} window does not fit ${g.h}x${g.w}`;
    return [g.oh, g.ow, g.c];
  };
}

const ctxGeometry = (ctx: OpContext<PoolAttrs>): PoolGeometry => geometry(ctx.inputs[0]!.shape, ctx.attrs);

/** Offsets of a window's elements from its corner, in row-major order (the windows are small). */
function windowOffsets(g: PoolGeometry): number[] {
  const offsets: number[] = [];
  for (let y = 0; y < g.kh; y++) for (let x = 0; x < g.kw; x++) offsets.push((y * g.w + x) * g.c);
  return offsets;
}

function lowerPool(def: () => OpDef<PoolAttrs>): Lowering {
  return (node, b, [x]) => {
    const [kh, kw] = pair(node, "size", 2);
    const strideArg = node.args["stride"];
    const [sh, sw] = strideArg === undefined || strideArg === null ? [kh, kw] : pair(node, "stride", kh);
    return b.op(node, def(), [x!], { kh, kw, sh, sw }, labelOf(node));
  };
}

export const maxPool2d: OpDef<PoolAttrs> = {
  name: "max_pool2d",
  inputNames: ["x"],
  keepsZeros: true,
  lowers: { max_pool2d: lowerPool(() => maxPool2d) },
  shape: shapeRule("max_pool2d"),
  scratch: (ctx) => [{ perSample: ctx.output.size, fixed: 0, what: "index of each window's maximum within its sample" }],
  forward(ctx) {
    const g = ctxGeometry(ctx);
    const [first, ...rest] = windowOffsets(g);
    ctx.use("n", "x", "y", "s0");
    return overWindows(g, [
      `let best = ${plus("corner", first!)}, max = x[base + best];`,
      ...rest.map((o) => `if (x[base + ${plus("corner", o)}] > max) { best = ${plus("corner", o)}; max = x[base + best]; }`),
      "y[p] = max;",
      "s0[p] = best;",
    ]);
  },
  backward(ctx) {
    const g = ctxGeometry(ctx);
    const lines: string[] = [];
    ctx.use("n", "gy", "gx", "s0");
    if (!ctx.grads[0]!.accumulate) lines.push(`gx.fill(0, 0, ${perBatch(g.h * g.w * g.c)});`);
    lines.push(`for (let s = 0, p = 0; s < n; s++) for (let j = 0; j < ${ctx.output.size}; j++, p++) gx[s * ${g.h * g.w * g.c} + s0[p]] += gy[p];`);
    return lines.join("\n");
  },
};

export const avgPool2d: OpDef<PoolAttrs> = {
  name: "avg_pool2d",
  inputNames: ["x"],
  lowers: { avg_pool2d: lowerPool(() => avgPool2d) },
  shape: shapeRule("avg_pool2d"),
  forward(ctx) {
    const g = ctxGeometry(ctx);
    ctx.use("n", "x", "y");
    const sum = windowOffsets(g).map((o) => `x[base + ${plus("corner", o)}]`).join(" + ");
    const size = g.kh * g.kw;
    return overWindows(g, [size === 1 ? `y[p] = ${sum};` : `y[p] = (${sum}) * ${1 / size};`]);
  },
  backward(ctx) {
    const g = ctxGeometry(ctx);
    const lines: string[] = [];
    ctx.use("n", "gy", "gx");
    if (!ctx.grads[0]!.accumulate) lines.push(`gx.fill(0, 0, ${perBatch(g.h * g.w * g.c)});`);
    lines.push(
      overWindows(g, [
        g.kh * g.kw === 1 ? "const share = gy[p];" : `const share = gy[p] * ${1 / (g.kh * g.kw)};`,
        ...windowOffsets(g).map((o) => `gx[base + ${plus("corner", o)}] ${assign({ accumulate: true })} share;`),
      ]),
    );
    return lines.join("\n");
  },
};
