// Init schemes: how a parameter's first values are drawn. The runtime (runtime/init.ts)
// implements each scheme; the checker only names it and fills its arguments.
import type { ArgValue, CallValue, InitSpec } from "../graph.js";
import { fixedInit } from "./tensor.js";
import type { InitEntry } from "./types.js";

export const inits: readonly InitEntry[] = [
  { name: "zeros", doc: "All zeros.", args: [] },
  { name: "ones", doc: "All ones.", args: [] },
  {
    name: "constant",
    doc: "Every element equal to `value`.",
    args: [{ name: "value", type: { kind: "float" }, doc: "the value" }],
  },
  {
    name: "normal",
    doc: "Normal with mean 0 and standard deviation `std`.",
    args: [{ name: "std", type: { kind: "float", min: 0 }, default: 1, doc: "standard deviation" }],
  },
  {
    name: "uniform",
    doc: "Uniform on [-limit, limit].",
    args: [{ name: "limit", type: { kind: "float", min: 0 }, doc: "half-width of the interval" }],
  },
  { name: "xavier_uniform", doc: "Glorot uniform: limit sqrt(6 / (fanIn + fanOut)).", args: [] },
  { name: "xavier_normal", doc: "Glorot normal: std sqrt(2 / (fanIn + fanOut)).", args: [] },
  { name: "he_normal", doc: "He (Kaiming) normal: std sqrt(2 / fanIn).", args: [] },
  { name: "he_uniform", doc: "He (Kaiming) uniform: limit sqrt(6 / fanIn).", args: [] },
  { name: "lecun_normal", doc: "LeCun normal: std sqrt(1 / fanIn).", args: [] },
];

function isCallValue(v: ArgValue | undefined): v is CallValue {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The InitSpec for a resolved `init:` argument, or `fallback` when the user gave none. */
export function initFromArg(value: ArgValue | undefined, fallback: InitSpec): InitSpec {
  if (!isCallValue(value)) return fallback;
  const args: Record<string, number> = {};
  for (const [k, v] of Object.entries(value.args)) if (typeof v === "number") args[k] = v;
  return fixedInit(value.name, fallback.fanIn, fallback.fanOut, args);
}

/** Shared like the specs themselves (see fixedInit): one frozen argument form per shared spec. */
const argForms = new WeakMap<InitSpec, CallValue>();

/** The resolved-argument form of an InitSpec, so that GraphNode.args shows the init actually used. */
export function initAsArg(spec: InitSpec): CallValue {
  let form = argForms.get(spec);
  if (!form) {
    form = Object.freeze({ kind: "call", name: spec.scheme, args: Object.freeze({ ...spec.args }) }) as CallValue;
    argForms.set(spec, form);
  }
  return form;
}
