// Initial values of parameters: one entry per scheme, each a uniform or normal draw (or a
// constant) whose scale comes from the scheme's arguments and the layer's fans.
//
// Values are drawn in row-major order over the checkpoint shape (PyTorch's layout), one
// draw per element, in float64 and then stored in the model's dtype. Normals are plain, not
// truncated, as PyTorch's `nn.init` functions draw them.

import type { DType, FloatArray, InitInfo, RandomSource } from "./model.js";
import { standardNormal } from "./rng.js";

/** How one element is drawn: a constant, U(-limit, limit), or N(mean, std^2). */
type Draw =
  | { kind: "constant"; value: number }
  | { kind: "uniform"; limit: number }
  | { kind: "normal"; mean: number; std: number };

type InitScheme = (init: InitInfo) => Draw;

function arg(init: InitInfo, name: string, fallback?: number): number {
  const value = init.args[name] ?? fallback;
  if (value === undefined) {
    throw new Error(`init scheme '${init.scheme}' needs the argument '${name}'`);
  }
  if (!Number.isFinite(value)) {
    throw new Error(`init scheme '${init.scheme}': argument '${name}' must be a finite number, got ${value}`);
  }
  return value;
}

function fan(init: InitInfo, which: "fanIn" | "fanOut"): number {
  const value = init[which];
  if (!(value > 0)) {
    throw new Error(`init scheme '${init.scheme}' needs a positive ${which}, got ${value}`);
  }
  return value;
}

/** `gain` is PyTorch's optional gain argument of the xavier schemes (default 1). */
const SCHEMES: Record<string, InitScheme> = {
  zeros: () => ({ kind: "constant", value: 0 }),
  ones: () => ({ kind: "constant", value: 1 }),
  constant: (i) => ({ kind: "constant", value: arg(i, "value") }),
  normal: (i) => ({ kind: "normal", mean: arg(i, "mean", 0), std: arg(i, "std", 1) }),
  uniform: (i) => ({ kind: "uniform", limit: arg(i, "limit") }),
  xavier_uniform: (i) => ({
    kind: "uniform",
    limit: arg(i, "gain", 1) * Math.sqrt(6 / (fan(i, "fanIn") + fan(i, "fanOut"))),
  }),
  xavier_normal: (i) => ({
    kind: "normal",
    mean: 0,
    std: arg(i, "gain", 1) * Math.sqrt(2 / (fan(i, "fanIn") + fan(i, "fanOut"))),
  }),
  he_normal: (i) => ({ kind: "normal", mean: 0, std: Math.sqrt(2 / fan(i, "fanIn")) }),
  he_uniform: (i) => ({ kind: "uniform", limit: Math.sqrt(6 / fan(i, "fanIn")) }),
  lecun_normal: (i) => ({ kind: "normal", mean: 0, std: Math.sqrt(1 / fan(i, "fanIn")) }),
  // PyTorch's default for Linear and Conv weights (kaiming_uniform_ with a = sqrt(5)) and
  // their biases both come to U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn being the weight's.
  torch_default: (i) => ({ kind: "uniform", limit: 1 / Math.sqrt(fan(i, "fanIn")) }),
};

/** The names of the supported init schemes, for messages and completion. */
export const initSchemes: readonly string[] = Object.keys(SCHEMES);

/** A parameter's initial values in checkpoint layout (`shape`, row-major). */
export function initTensor(init: InitInfo, shape: number[], rng: RandomSource, dtype: DType): FloatArray {
  const scheme = Object.hasOwn(SCHEMES, init.scheme) ? SCHEMES[init.scheme] : undefined;
  if (scheme === undefined) {
    throw new Error(`unknown init scheme '${init.scheme}' (known: ${initSchemes.join(", ")})`);
  }
  let size = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new Error(`init: shape [${shape.join(", ")}] has a dimension that is not a non-negative integer`);
    }
    size *= dim;
  }
  const out = dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
  const draw = scheme(init);
  switch (draw.kind) {
    case "constant":
      out.fill(draw.value);
      break;
    case "uniform":
      for (let i = 0; i < size; i++) out[i] = (2 * rng.next() - 1) * draw.limit;
      break;
    case "normal":
      for (let i = 0; i < size; i++) out[i] = draw.mean + draw.std * standardNormal(rng);
      break;
  }
  return out;
}
