// The time axis of spiking and recurrent models (axis 0 of each sample): `repeat` copies a
// static input to every step; `sum_time`, `mean_time` and `last` reduce a sequence [T, ...]
// to one step. Each sample is T rows of F elements.

import { labelOf, num } from "../lowering.js";
import { assign, lit, type OpDef } from "./op.js";

export type RepeatAttrs = { steps: number };

export const repeat: OpDef<RepeatAttrs> = {
  name: "repeat",
  inputNames: ["x"],
  lowers: { repeat: (node, b, [x]) => b.op(node, repeat, [x!], { steps: num(node, "steps") }, labelOf(node)) },
  shape: (inputs, attrs) => [attrs.steps, ...inputs[0]!.shape],
  forward(ctx) {
    const F = ctx.inputs[0]!.size;
    const T = ctx.attrs.steps;
    ctx.use("n", "x", "y");
    return [
      "for (let i = 0; i < n; i++)",
      `for (let t = 0; t < ${T}; t++)`,
      `for (let f = 0; f < ${F}; f++) y[i * ${T * F} + t * ${F} + f] = x[i * ${F} + f];`,
    ].join("\n");
  },
  backward(ctx) {
    const F = ctx.inputs[0]!.size;
    const T = ctx.attrs.steps;
    ctx.use("n", "gy", "gx");
    return [
      "for (let i = 0; i < n; i++)",
      `for (let f = 0; f < ${F}; f++) {`,
      "let sum = 0;",
      `for (let t = 0; t < ${T}; t++) sum += gy[i * ${T * F} + t * ${F} + f];`,
      `gx[i * ${F} + f] ${assign(ctx.grads[0])} sum;`,
      "}",
    ].join("\n");
  },
};

type Reduction = "sum_time" | "mean_time" | "last";

function overTime(name: Reduction): OpDef {
  const def: OpDef = {
    name,
    inputNames: ["x"],
    lowers: { [name]: (node, b, [x]) => b.op(node, def, [x!], {}, labelOf(node)) },
    shape: (inputs) => inputs[0]!.shape.slice(1),
    forward(ctx) {
      const T = ctx.inputs[0]!.shape[0]!;
      const F = ctx.output.size;
      ctx.use("n", "x", "y");
      const read = (t: string) => `x[i * ${T * F} + ${t} * ${F} + f]`;
      if (name === "last") return `for (let i = 0; i < n; i++) for (let f = 0; f < ${F}; f++) y[i * ${F} + f] = ${read(String(T - 1))};`;
      return [
        "for (let i = 0; i < n; i++)",
        `for (let f = 0; f < ${F}; f++) {`,
        "let sum = 0;",
        `for (let t = 0; t < ${T}; t++) sum += ${read("t")};`,
        `y[i * ${F} + f] = ${name === "mean_time" ? `sum / ${T}` : "sum"};`,
        "}",
      ].join("\n");
    },
    backward(ctx) {
      const T = ctx.inputs[0]!.shape[0]!;
      const F = ctx.output.size;
      ctx.use("n", "gy", "gx");
      const g = name === "mean_time" ? `gy[i * ${F} + f] * ${lit(1 / T)}` : `gy[i * ${F} + f]`;
      const value = name === "last" ? `t === ${T - 1} ? gy[i * ${F} + f] : 0` : g;
      return [
        "for (let i = 0; i < n; i++)",
        `for (let t = 0; t < ${T}; t++)`,
        `for (let f = 0; f < ${F}; f++) gx[i * ${T * F} + t * ${F} + f] ${assign(ctx.grads[0])} ${value};`,
      ].join("\n");
    },
  };
  return def;
}

export const sumTime = overTime("sum_time");
export const meanTime = overTime("mean_time");
export const last = overTime("last");
