// Regularisation and normalisation: behave differently in training and inference
// (dropout, batch_norm) or normalise over the last axis (layer_norm).
import { fixedInit, floatTensor, requireFloat, requireRankAtLeast } from "./tensor.js";
import { numberArg } from "./args.js";
import type { LayerEntry, WeightSpec } from "./types.js";

const dropout: LayerEntry = {
  name: "dropout",
  // p = 0 keeps training deterministic, so that finite differences apply.
  example: { inputs: [floatTensor([4, 6])], args: { p: 0 } },
  group: "regularisation",
  doc: "In training, zeroes each element with probability p and scales the rest by 1/(1-p); identity in inference.",
  inputs: ["x"],
  args: [{ name: "p", type: { kind: "float", min: 0, max: 1, maxExclusive: true }, default: 0.5, doc: "drop probability, in [0, 1)" }],
  shapeDoc: "same shape",
  infer([x]) {
    const bad = requireFloat("dropout", x!);
    if (bad) return bad;
    return { type: floatTensor([...x!.shape]), weights: [] };
  },
};

/** Scale and shift per channel, initialised to the identity as PyTorch does. */
function affine(channels: number): WeightSpec[] {
  return [
    { name: "weight", shape: [channels], init: fixedInit("ones", channels, channels), trainable: true },
    { name: "bias", shape: [channels], init: fixedInit("zeros", channels, channels), trainable: true },
  ];
}

const eps = { name: "eps", type: { kind: "float", min: 0, minExclusive: true }, default: 1e-5, doc: "added to the variance" } as const;

const batchNorm: LayerEntry = {
  name: "batch_norm",
  group: "regularisation",
  doc: "Normalises each channel (last axis) over the batch and the other axes; running statistics for inference.",
  inputs: ["x"],
  args: [
    { name: "momentum", type: { kind: "float", min: 0, max: 1 }, default: 0.1, doc: "weight of the new batch in the running statistics (PyTorch's sense)" },
    eps,
  ],
  shapeDoc: "[..., C] -> [..., C]; weight, bias [C]; buffers running_mean, running_var [C]",
  infer([x]) {
    const bad = requireFloat("batch_norm", x!) ?? requireRankAtLeast("batch_norm", x!, 1, "an input with a channel axis");
    if (bad) return bad;
    const c = x!.shape[x!.shape.length - 1]!;
    return {
      type: floatTensor([...x!.shape]),
      weights: [
        ...affine(c),
        { name: "running_mean", shape: [c], init: fixedInit("zeros", c, c), trainable: false },
        { name: "running_var", shape: [c], init: fixedInit("ones", c, c), trainable: false },
      ],
    };
  },
};

const layerNorm: LayerEntry = {
  name: "layer_norm",
  group: "regularisation",
  doc: "Normalises each position over its last axis, then scales and shifts.",
  inputs: ["x"],
  args: [eps],
  shapeDoc: "[..., D] -> [..., D]; weight, bias [D]",
  infer([x]) {
    const bad = requireFloat("layer_norm", x!) ?? requireRankAtLeast("layer_norm", x!, 1, "an input with at least one axis");
    if (bad) return bad;
    const d = x!.shape[x!.shape.length - 1]!;
    return { type: floatTensor([...x!.shape]), weights: affine(d) };
  },
};

const groupNorm: LayerEntry = {
  name: "group_norm",
  group: "regularisation",
  doc: "Normalises each sample's channel groups (last axis) over their channels and positions, then scales and shifts per channel, as PyTorch's GroupNorm.",
  inputs: ["x"],
  args: [{ name: "groups", type: { kind: "int", min: 1 }, doc: "number of groups; must divide the channels" }, eps],
  shapeDoc: "[..., C] -> [..., C]; weight, bias [C]",
  example: { inputs: [floatTensor([3, 6])], args: { groups: 2 } },
  infer([x], args) {
    const bad = requireFloat("group_norm", x!) ?? requireRankAtLeast("group_norm", x!, 1, "an input with a channel axis");
    if (bad) return bad;
    const c = x!.shape[x!.shape.length - 1]!;
    const groups = numberArg(args, "groups");
    if (c % groups !== 0) return { error: `${groups} groups do not divide the ${c} channels of 'group_norm'`, at: "groups" };
    return { type: floatTensor([...x!.shape]), weights: affine(c) };
  },
};

export const normalisations: readonly LayerEntry[] = [dropout, batchNorm, layerNorm, groupNorm];
