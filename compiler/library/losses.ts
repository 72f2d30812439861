// Losses: a prediction against a target. Each states what target it wants; the checker
// reports a refusal at the target, as language.md places a loss mismatch.
import type { TensorType } from "../graph.js";
import { formatShape, formatType } from "./tensor.js";
import type { LossEntry } from "./types.js";

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The check shared by the losses that compare a float prediction with a float target of the same shape. */
function equalFloatShapes(loss: string, intAdvice: string) {
  return (p: TensorType, t: TensorType, names: { prediction: string; target: string }): string | null => {
    if (t.kind === "int") return `'${loss}' needs a float target, but '${names.target}' is ${formatType(t)}; ${intAdvice}`;
    if (p.kind === "int") return `'${loss}' needs a float prediction, got ${formatType(p)}`;
    if (!sameShape(p.shape, t.shape))
      return `loss shape mismatch: prediction ${formatType(p)} vs target '${names.target}' ${formatType(t)}`;
    return null;
  };
}

const forLabels = "use softmax_cross_entropy for class labels";

export const losses: readonly LossEntry[] = [
  {
    name: "mse",
    doc: "Mean squared error over all elements.",
    targetDoc: "float, same shape as the prediction",
    check: equalFloatShapes("mse", forLabels),
  },
  {
    name: "binary_cross_entropy",
    doc: "Binary cross-entropy of probabilities (clamped before the log).",
    targetDoc: "float in [0, 1], same shape as the prediction",
    check: equalFloatShapes("binary_cross_entropy", forLabels),
  },
  {
    name: "softmax_cross_entropy",
    doc: "Softmax of logits then cross-entropy against integer class labels, averaged over the batch and positions.",
    targetDoc: "int(K) labels of shape S; logits [...S, K]",
    check(p, t, names) {
      if (t.kind !== "int")
        return `'softmax_cross_entropy' needs an int(K) target, but '${names.target}' is ${formatType(t)}; use cross_entropy for probability targets`;
      if (p.kind === "int") return `'softmax_cross_entropy' needs float logits, got ${formatType(p)}`;
      const want = [...t.shape, t.vocab ?? 0];
      if (!sameShape(p.shape, want))
        return `loss shape mismatch: logits ${formatType(p)} vs target '${names.target}' ${formatType(t)} (logits should be ${formatShape(want)})`;
      return null;
    },
  },
  {
    name: "softmax_cross_entropy_sum_time",
    doc: "softmax_cross_entropy at every time step (axis 0 of the logits), summed over the steps: snnTorch's tutorial loss on output membranes (`loss += CrossEntropyLoss(mem[t], y)`); accuracy from the logits summed over time.",
    targetDoc: "int(K) labels of shape S; logits [T, ...S, K]",
    check(p, t, names) {
      if (t.kind !== "int") return `'softmax_cross_entropy_sum_time' needs an int(K) target, but '${names.target}' is ${formatType(t)}`;
      if (p.kind === "int") return `'softmax_cross_entropy_sum_time' needs float logits, got ${formatType(p)}`;
      const want = [...t.shape, t.vocab ?? 0];
      if (p.shape.length !== want.length + 1 || !sameShape(p.shape.slice(1), want))
        return `loss shape mismatch: logits ${formatType(p)} vs target '${names.target}' ${formatType(t)} (logits should be [T, ${want.join(", ")}], time first)`;
      return null;
    },
  },
  {
    name: "cross_entropy",
    doc: "Cross-entropy of predicted probabilities against target probabilities (clamped before the log).",
    targetDoc: "float probabilities, same shape as the prediction",
    check: equalFloatShapes("cross_entropy", forLabels),
  },
];
