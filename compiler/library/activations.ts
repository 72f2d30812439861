// Element-wise activations: float in, same shape out, no weights. `softmax` normalises the
// last axis. Adding one is one `activation(...)` line here, plus its value and derivative in
// compiler/ir/ops/activations.ts, or none where it is a `composite` of others (mish).
import { floatTensor, requireFloat, requireRankAtLeast } from "./tensor.js";
import type { ArgDecl, LayerEntry } from "./types.js";

function activation(name: string, doc: string, args: ArgDecl[] = [], minRank = 0): LayerEntry {
  return {
    name,
    group: "activation",
    doc,
    inputs: ["x"],
    args,
    shapeDoc: minRank > 0 ? "[..., n] -> [..., n]" : "same shape",
    infer([x]) {
      const bad =
        requireFloat(name, x!) ?? (minRank > 0 ? requireRankAtLeast(name, x!, minRank, "an input with at least one axis") : null);
      if (bad) return bad;
      return { type: floatTensor([...x!.shape]), weights: [] };
    },
  };
}

export const activations: readonly LayerEntry[] = [
  activation("relu", "max(x, 0)."),
  activation("leaky_relu", "x for x > 0, alpha * x otherwise.", [
    { name: "alpha", type: { kind: "float", min: 0 }, default: 0.01, doc: "slope for negative x" },
  ]),
  activation("sigmoid", "1 / (1 + exp(-x))."),
  activation("tanh", "Hyperbolic tangent."),
  activation("softmax", "exp(x) / sum(exp(x)) over the last axis.", [], 1),
  activation("gelu", "x * Phi(x), the exact (erf) form, as PyTorch's default."),
  activation("silu", "x * sigmoid(x) (swish)."),
  activation("elu", "x for x > 0, alpha * (exp(x) - 1) otherwise.", [
    { name: "alpha", type: { kind: "float", min: 0 }, default: 1, doc: "scale for negative x" },
  ]),
  activation("identity", "x unchanged."),
  activation("softplus", "log(1 + exp(x)), and x itself above 20, as PyTorch."),
  {
    ...activation("mish", "x * tanh(softplus(x)), as PyTorch."),
    composite: { entry: "mul", inputs: [{ input: 0 }, { entry: "tanh", inputs: [{ entry: "softplus", inputs: [{ input: 0 }] }] }] },
  },
];
