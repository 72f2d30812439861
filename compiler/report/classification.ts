// How a classifier does on a dataset, class by class: the confusion matrix, each class's
// accuracy, and the samples it got most wrong. A model is a classifier here when it has one
// target that is a class index (`int(V)`, one per sample) and an output of V scores (argmax),
// or is a binary one (a float target of one value, a binary_cross_entropy loss, an output of
// one probability, threshold 0.5) — the same rules as the accuracy the runtime reports.

import type { Dataset } from "../../runtime/data.js";
import type { CompiledModel, ModelInfo } from "../../runtime/model.js";
import { predict } from "../../runtime/train.js";

export interface ClassifierShape {
  /** The output read and the target compared with. */
  output: string;
  target: string;
  /** V for `int(V)`; 2 for a binary classifier. */
  classes: number;
  binary: boolean;
}

export interface WorstSample {
  /** Index in the dataset. */
  index: number;
  label: number;
  predicted: number;
  /** The probability the model gave the true class. */
  trueProbability: number;
}

export interface Classification {
  labels: string[];
  /** matrix[true][predicted] counts. */
  matrix: number[][];
  /** Per class: correct / samples of that class (null for a class with no samples). */
  perClass: (number | null)[];
  accuracy: number;
  samples: number;
  /** The samples with the lowest probability of their true class, worst first. */
  worst: WorstSample[];
}

export function classifierShape(info: ModelInfo): ClassifierShape | null {
  if (info.targets.length !== 1) return null;
  const target = info.targets[0]!;
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  if (target.kind === "int" && target.vocab !== undefined && target.shape.length === 0) {
    const output = info.outputs.find((o) => o.kind === "float" && o.shape.length === 1 && o.shape[0] === target.vocab);
    return output ? { output: output.name, target: target.name, classes: target.vocab, binary: false } : null;
  }
  if (target.kind === "float" && size(target.shape) === 1 && info.losses.includes("binary_cross_entropy")) {
    const output = info.outputs.find((o) => o.kind === "float" && size(o.shape) === 1);
    return output ? { output: output.name, target: target.name, classes: 2, binary: true } : null;
  }
  return null;
}

/** Scores to probabilities: softmax, unless they already are a distribution (a softmax output). */
function probabilities(scores: ArrayLike<number>, start: number, count: number, out: Float64Array): void {
  let sum = 0;
  let nonNegative = true;
  for (let k = 0; k < count; k++) {
    const s = scores[start + k]!;
    sum += s;
    if (s < 0) nonNegative = false;
  }
  if (nonNegative && Math.abs(sum - 1) < 1e-3) {
    for (let k = 0; k < count; k++) out[k] = scores[start + k]! / sum;
    return;
  }
  let max = -Infinity;
  for (let k = 0; k < count; k++) max = Math.max(max, scores[start + k]!);
  let total = 0;
  for (let k = 0; k < count; k++) total += out[k] = Math.exp(scores[start + k]! - max);
  for (let k = 0; k < count; k++) out[k]! /= total;
}

/** Softmax of raw scores (or the scores themselves when already a distribution), for one sample. */
export function classProbabilities(scores: ArrayLike<number>): number[] {
  const out = new Float64Array(scores.length);
  probabilities(scores, 0, scores.length, out);
  return Array.from(out);
}

/** The confusion matrix and the worst `worstCount` samples of `data`, in inference mode. */
export function classify(model: CompiledModel, data: Dataset, shape: ClassifierShape, worstCount = 0): Classification {
  const outputs = predict(model, data) as Record<string, Float32Array | Float64Array>;
  const scores = outputs[shape.output]!;
  const targets = data.targets[shape.target]!;
  const n = shape.classes;
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const probs = new Float64Array(n);
  const worst: WorstSample[] = [];
  let correct = 0;
  for (let i = 0; i < data.size; i++) {
    let label: number;
    let predicted: number;
    let trueProbability: number;
    if (shape.binary) {
      const p = scores[i]!;
      label = targets[i]! > 0.5 ? 1 : 0;
      predicted = p > 0.5 ? 1 : 0;
      trueProbability = label === 1 ? p : 1 - p;
    } else {
      probabilities(scores, i * n, n, probs);
      label = targets[i]!;
      predicted = 0;
      for (let k = 1; k < n; k++) if (probs[k]! > probs[predicted]!) predicted = k;
      trueProbability = probs[label]!;
    }
    matrix[label]![predicted]!++;
    if (label === predicted) correct++;
    if (worstCount > 0 && (worst.length < worstCount || trueProbability < worst[worst.length - 1]!.trueProbability)) {
      worst.push({ index: i, label, predicted, trueProbability });
      worst.sort((a, b) => a.trueProbability - b.trueProbability);
      if (worst.length > worstCount) worst.pop();
    }
  }
  const perClass = matrix.map((row, k) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total > 0 ? row[k]! / total : null;
  });
  const labels = Array.from({ length: n }, (_, k) => String(k));
  return { labels, matrix, perClass, accuracy: data.size > 0 ? correct / data.size : 0, samples: data.size, worst };
}
