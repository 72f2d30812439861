// Spiking neurons and the time axis they run over. A spiking layer takes a sequence [T, ...]
// of input currents and scans it with a membrane state, like the recurrent layers
// (recurrent.ts); `repeat` makes such a sequence from a static input, and the reductions
// over time turn spike trains back into one value per sample.
import { boolArg, numberArg } from "./args.js";
import { fixedInit, floatTensor, formatType, requireFloat } from "./tensor.js";
import type { LayerEntry, LayerError, SurrogateEntry } from "./types.js";
import type { ArgValue, CallValue, TensorType } from "../graph.js";

function requireTime(layer: string, x: TensorType): LayerError | null {
  const bad = requireFloat(layer, x);
  if (bad) return bad;
  if (x.shape.length < 2) return { error: `'${layer}' needs a sequence [T, ...] with time first, got ${formatType(x)}` };
  return null;
}

/** The spike's stand-ins for a derivative, as snnTorch's surrogate.fast_sigmoid and surrogate.atan. */
export const surrogates: readonly SurrogateEntry[] = [
  {
    name: "fast_sigmoid",
    doc: "dS/dU = 1/(1 + slope·abs(U - θ))², snnTorch's fast_sigmoid.",
    args: [{ name: "slope", type: { kind: "float", min: 0, minExclusive: true }, default: 25, doc: "the slope k: larger is sharper" }],
  },
  {
    name: "atan",
    doc: "dS/dU = (alpha/2)/(1 + (π/2·alpha·(U - θ))²), snnTorch's atan.",
    args: [{ name: "alpha", type: { kind: "float", min: 0, minExclusive: true }, default: 2, doc: "alpha: larger is sharper" }],
  },
];

const defaultSurrogate: CallValue = { kind: "call", name: "fast_sigmoid", args: { slope: 25 } };

/**
 * lif's `surrogate: atan(alpha: 3)` as the back end reads it: the surrogate's name and every
 * surrogate's number (the ones not chosen at their defaults), so that the op's attributes do
 * not depend on how the call was written.
 */
function flatSurrogate(value: ArgValue | undefined): Record<string, ArgValue> {
  const call = typeof value === "object" && !Array.isArray(value) ? value : defaultSurrogate;
  const out: Record<string, ArgValue> = { surrogate: call.name };
  for (const entry of surrogates) for (const arg of entry.args) out[arg.name] = arg.default!;
  return { ...out, ...call.args };
}

const lif: LayerEntry = {
  name: "lif",
  group: "layer",
  doc: "Leaky integrate-and-fire neurons over time, as snnTorch's Leaky: a membrane U [...] per sample carried from step to step (zero at the start), spikes where it crosses the threshold, a surrogate gradient in place of the spike's.",
  inputs: ["x"],
  args: [
    { name: "beta", type: { kind: "float", min: 0, max: 1 }, default: 0.95, doc: "membrane decay per step (clamped to [0, 1] when learned)" },
    { name: "threshold", type: { kind: "float", min: 0, minExclusive: true }, default: 1, doc: "firing threshold θ" },
    { name: "reset", type: { kind: "word", words: ["subtract", "zero", "none"] }, default: "subtract", doc: "after a spike: subtract θ, set U to zero, or nothing" },
    { name: "surrogate", type: { kind: "surrogate" }, default: defaultSurrogate, doc: "the spike's gradient: fast_sigmoid(slope: 25), 1/(1 + slope|U - θ|)², or atan(alpha: 2), (alpha/2)/(1 + (π/2 alpha (U - θ))²)" },
    { name: "membrane", type: { kind: "bool" }, default: false, doc: "output the membrane U [T, ...] instead of the spikes S (snnTorch's membrane-loss convention)" },
    { name: "learn_beta", type: { kind: "bool" }, default: false, doc: "train beta" },
    { name: "learn_threshold", type: { kind: "bool" }, default: false, doc: "train the threshold" },
  ],
  shapeDoc: "[T, ...] -> [T, ...]; state U [...] per sample; beta, threshold [1] (buffers unless learned)",
  example: { inputs: [floatTensor([4, 3])], args: { membrane: true, learn_beta: true, learn_threshold: true } },
  infer([x], args) {
    const bad = requireTime("lif", x!);
    if (bad) return bad;
    return {
      type: floatTensor([...x!.shape]),
      args: flatSurrogate(args["surrogate"]),
      state: [{ name: "membrane U", shape: x!.shape.slice(1) }],
      weights: [
        { name: "beta", shape: [1], init: fixedInit("constant", 1, 1, { value: numberArg(args, "beta") }), trainable: boolArg(args, "learn_beta") },
        { name: "threshold", shape: [1], init: fixedInit("constant", 1, 1, { value: numberArg(args, "threshold") }), trainable: boolArg(args, "learn_threshold") },
      ],
    };
  },
};

/** The shape rule of an entry that puts a time axis of `steps` in front of a float input. */
function stepsFirst(name: string): LayerEntry["infer"] {
  return ([x], args) => requireFloat(name, x!) ?? { type: floatTensor([numberArg(args, "steps"), ...x!.shape]), weights: [] };
}

const repeat: LayerEntry = {
  name: "repeat",
  group: "layer",
  doc: "The same input at every one of `steps` time steps (a static input for a spiking or recurrent layer).",
  inputs: ["x"],
  args: [{ name: "steps", type: { kind: "int", min: 1 }, doc: "number of time steps T" }],
  shapeDoc: "[...] -> [steps, ...]",
  example: { inputs: [floatTensor([3])], args: { steps: 4 } },
  infer: stepsFirst("repeat"),
};

const rateEncode: LayerEntry = {
  name: "rate_encode",
  group: "layer",
  doc: "Spikes at each of `steps` time steps, 1 with the input (clamped to [0, 1]) as probability, else 0 (snnTorch's spikegen.rate), drawn from the model's seeded generator in training and prediction alike; no gradient reaches the input.",
  inputs: ["x"],
  args: [{ name: "steps", type: { kind: "int", min: 1 }, doc: "number of time steps T" }],
  shapeDoc: "[...] -> [steps, ...]; no gradient to x",
  example: { inputs: [floatTensor([3])], args: { steps: 4 }, certain: true },
  noGradient: true,
  infer: stepsFirst("rate_encode"),
};

function overTime(name: string, doc: string): LayerEntry {
  return {
    name,
    group: "layer",
    doc,
    inputs: ["x"],
    args: [],
    shapeDoc: "[T, ...] -> [...]",
    infer([x]) {
      const bad = requireTime(name, x!);
      if (bad) return bad;
      return { type: floatTensor(x!.shape.slice(1)), weights: [] };
    },
  };
}

export const spiking: readonly LayerEntry[] = [
  lif,
  repeat,
  rateEncode,
  overTime("sum_time", "Sums over the time axis (a spike count per neuron)."),
  overTime("mean_time", "Averages over the time axis (a firing rate per neuron)."),
  overTime("last", "The last time step."),
];
