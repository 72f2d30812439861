// Recurrent layers: scan a sequence [T, D] step by step, carrying a state. Equations, gate
// order, parameter names and init are PyTorch's (torch.nn.LSTMCell / GRUCell: `weight_ih`,
// `weight_hh`, `bias_ih`, `bias_hh`; torch.nn.LSTM and GRU name the same tensors with an
// `_l0` suffix), so a checkpoint moves between the two unchanged.
import { boolArg, numberArg } from "./args.js";
import { fixedInit, floatTensor, formatType, requireFloat } from "./tensor.js";
import type { LayerEntry, LayerError, WeightSpec } from "./types.js";

/** `gates` stacked blocks of H rows each; every tensor U(-1/sqrt(H), 1/sqrt(H)) as PyTorch's RNNBase.reset_parameters. */
function recurrentWeights(gates: number, input: number, hidden: number): WeightSpec[] {
  const init = fixedInit("uniform", hidden, gates * hidden, { limit: 1 / Math.sqrt(hidden) });
  return [
    { name: "weight_ih", shape: [gates * hidden, input], init, trainable: true },
    { name: "weight_hh", shape: [gates * hidden, hidden], init, trainable: true },
    { name: "bias_ih", shape: [gates * hidden], init, trainable: true },
    { name: "bias_hh", shape: [gates * hidden], init, trainable: true },
  ];
}

function requireSequence(layer: string, x: Parameters<typeof formatType>[0]): LayerError | null {
  const bad = requireFloat(layer, x);
  if (bad) return bad;
  if (x.shape.length !== 2) return { error: `'${layer}' needs a sequence [T, D] (rank 2), got ${formatType(x)}` };
  return null;
}

function recurrent(name: string, gates: number, doc: string, gateDoc: string): LayerEntry {
  return {
    name,
    group: "layer",
    doc,
    inputs: ["x"],
    args: [
      { name: "hidden", type: { kind: "int", min: 1 }, doc: "state width H" },
      { name: "return_sequences", type: { kind: "bool" }, default: false, doc: "output every step's hidden state [T, H] instead of the last one [H]" },
    ],
    shapeDoc: `[T, D] -> [T, hidden] (return_sequences) or [hidden]; state${gates === 4 ? "s h, c" : " h"} [hidden] per sample, zero at t = 0; weight_ih [${gates}H, D], weight_hh [${gates}H, H], bias_ih, bias_hh [${gates}H] (gates ${gateDoc})`,
    example: { inputs: [floatTensor([3, 4])], args: { hidden: 3, return_sequences: true } },
    infer([x], args) {
      const bad = requireSequence(name, x!);
      if (bad) return bad;
      const [t, d] = x!.shape as [number, number];
      const hidden = numberArg(args, "hidden");
      return {
        type: floatTensor(boolArg(args, "return_sequences") ? [t, hidden] : [hidden]),
        weights: recurrentWeights(gates, d, hidden),
        state: (gates === 4 ? ["h", "c"] : ["h"]).map((name) => ({ name, shape: [hidden] })),
      };
    },
  };
}

export const recurrents: readonly LayerEntry[] = [
  recurrent("lstm", 4, "Long short-term memory over a sequence, carrying states h and c [hidden] from step to step (zero at the start), as PyTorch's LSTM (one layer).", "i, f, g, o"),
  recurrent("gru", 3, "Gated recurrent unit over a sequence, carrying a state h [hidden] from step to step (zero at the start), as PyTorch's GRU (one layer; the reset gate scales W_hn h + b_hn).", "r, z, n"),
];
