// The losses: each its mean value over the batch, its gradient, and (where the target is a
// class) the accuracy it implies. Kernel parameters: `n`, `prediction`, `target`, and for
// the gradient `gprediction`. Every loss averages as PyTorch's default `mean`.
//
// Accuracy (`correct` out of `count`): for softmax_cross_entropy, one prediction per
// position (argmax of the logits against the int target; count = batch x positions); for
// binary_cross_entropy, one per element (p > 0.5 against target > 0.5; count = elements).
// mse and cross_entropy report no accuracy (count 0).

import type { IrValue } from "../ir.js";
import { perBatch, assign, type GradTarget } from "./op.js";

export interface LossContext {
  prediction: IrValue;
  target: IrValue;
}

export interface LossDef {
  name: string;
  /** The target must be an int tensor of the prediction's shape minus its last axis. */
  intTarget: boolean;
  /** Body returning the mean loss over the first n samples. */
  value(ctx: LossContext): string;
  /** Body writing d(mean loss)/d(prediction) into gprediction. */
  gradient(ctx: LossContext, target: GradTarget): string;
  /** Body returning the number of correct predictions, and how many predictions that counts per sample. */
  accuracy?: { body(ctx: LossContext): string; perSample(ctx: LossContext): number };
}

function classes(ctx: LossContext): number {
  return ctx.prediction.shape[ctx.prediction.shape.length - 1]!;
}

/**
 * The start of row r of the logits, its max and the sum of exp(logit - max): the stable
 * log-sum-exp that the loss and its gradient both need.
 */
function rowMaxAndExpSum(k: number): string[] {
  return [
    `const base = r * ${k};`,
    "let max = -Infinity;",
    `for (let j = 0; j < ${k}; j++) if (prediction[base + j] > max) max = prediction[base + j];`,
    "let sum = 0;",
    `for (let j = 0; j < ${k}; j++) sum += Math.exp(prediction[base + j] - max);`,
  ];
}

/**
 * Log clamped at -100, as PyTorch's BCELoss does, so that a probability of exactly 0 or 1
 * gives a large finite loss instead of an infinity.
 */
/** The target of logit row r when every `rows` targets repeat over `steps` steps (r counts rows of every step). */
function sequenceLabel(rows: number, steps: number): string {
  if (steps === 1) return "r";
  return rows === 1 ? `Math.floor(r / ${steps})` : `Math.floor(r / ${rows * steps}) * ${rows} + (r % ${rows})`;
}

/**
 * Cross-entropy of the softmax of each row of logits, divided by the labels of the batch:
 * `steps` rows share a label (1: a row per label; T: summed over the time steps).
 */
function softmaxCrossEntropy(steps: (ctx: LossContext) => number): Pick<LossDef, "value" | "gradient"> {
  return {
    value(ctx) {
      const [k, rows, t] = [classes(ctx), ctx.target.size, steps(ctx)];
      return [
        "let total = 0;",
        `for (let r = 0; r < ${perBatch(rows * t)}; r++) {`,
        ...rowMaxAndExpSum(k),
        `const label = target[${sequenceLabel(rows, t)}];`,
        "total += max + Math.log(sum) - prediction[base + label];",
        "}",
        `return total / (${perBatch(rows)});`,
      ].join("\n");
    },
    gradient(ctx, target) {
      const [k, rows, t] = [classes(ctx), ctx.target.size, steps(ctx)];
      return [
        `const scale = 1 / (${perBatch(rows)});`,
        `for (let r = 0; r < ${perBatch(rows * t)}; r++) {`,
        ...rowMaxAndExpSum(k),
        "const inv = scale / sum;",
        `const label = target[${sequenceLabel(rows, t)}];`,
        `for (let j = 0; j < ${k}; j++) {`,
        `gprediction[base + j] ${assign(target)} Math.exp(prediction[base + j] - max) * inv - (j === label ? scale : 0);`,
        "}",
        "}",
      ].join("\n");
    },
  };
}

const clampedLog = (x: string): string => `Math.max(Math.log(${x}), -100)`;

export const losses: Readonly<Record<string, LossDef>> = {
  softmax_cross_entropy: {
    name: "softmax_cross_entropy",
    intTarget: true,
    ...softmaxCrossEntropy(() => 1),
    accuracy: {
      perSample: (ctx) => ctx.target.size,
      body(ctx) {
        const k = classes(ctx);
        return [
          "let correct = 0;",
          `for (let r = 0; r < ${perBatch(ctx.target.size)}; r++) {`,
          `const base = r * ${k};`,
          "let best = 0;",
          `for (let j = 1; j < ${k}; j++) if (prediction[base + j] > prediction[base + best]) best = j;`,
          "if (best === target[r]) correct++;",
          "}",
          "return correct;",
        ].join("\n");
      },
    },
  },

  // softmax_cross_entropy at each of the T steps (axis 0 of each sample's logits), summed
  // over the steps and averaged over the batch and positions, as snnTorch's tutorial sums
  // CrossEntropyLoss over its output membranes. Accuracy: argmax of the logits summed over time.
  softmax_cross_entropy_sum_time: {
    name: "softmax_cross_entropy_sum_time",
    intTarget: true,
    ...softmaxCrossEntropy((ctx) => ctx.prediction.shape[0]!),
    accuracy: {
      perSample: (ctx) => ctx.target.size,
      body(ctx) {
        const k = classes(ctx);
        const rows = ctx.target.size;
        const steps = ctx.prediction.shape[0]!;
        return [
          "let correct = 0;",
          `for (let r = 0; r < ${perBatch(rows)}; r++) {`,
          `const first = (Math.floor(r / ${rows}) * ${rows * steps} + (r % ${rows})) * ${k};`,
          "let best = 0, bestSum = -Infinity;",
          `for (let j = 0; j < ${k}; j++) {`,
          "let sum = 0;",
          `for (let s = 0; s < ${steps}; s++) sum += prediction[first + s * ${rows * k} + j];`,
          "if (sum > bestSum) { bestSum = sum; best = j; }",
          "}",
          "if (best === target[r]) correct++;",
          "}",
          "return correct;",
        ].join("\n");
      },
    },
  },

  // PyTorch's BCELoss: -(t log p + (1 - t) log(1 - p)) with each log clamped at -100; its
  // gradient (p - t) / max(p (1 - p), 1e-12), as PyTorch computes it.
  binary_cross_entropy: {
    name: "binary_cross_entropy",
    intTarget: false,
    value: (ctx) =>
      [
        "let total = 0;",
        `for (let i = 0; i < ${perBatch(ctx.prediction.size)}; i++) {`,
        "const p = prediction[i], q = target[i];",
        `total -= q * ${clampedLog("p")} + (1 - q) * ${clampedLog("1 - p")};`,
        "}",
        `return total / (${perBatch(ctx.prediction.size)});`,
      ].join("\n"),
    gradient: (ctx, target) =>
      [
        `const scale = 1 / (${perBatch(ctx.prediction.size)});`,
        `for (let i = 0; i < ${perBatch(ctx.prediction.size)}; i++) {`,
        "const p = prediction[i];",
        `gprediction[i] ${assign(target)} scale * (p - target[i]) / Math.max(p * (1 - p), 1e-12);`,
        "}",
      ].join("\n"),
    accuracy: {
      perSample: (ctx) => ctx.prediction.size,
      body: (ctx) =>
        [
          "let correct = 0;",
          `for (let i = 0; i < ${perBatch(ctx.prediction.size)}; i++) if ((prediction[i] > 0.5) === (target[i] > 0.5)) correct++;`,
          "return correct;",
        ].join("\n"),
    },
  },

  // -sum_k t_k log p_k over the last axis, averaged over batch and positions; the log
  // clamped at -100 like binary_cross_entropy's, and no gradient where the clamp holds.
  cross_entropy: {
    name: "cross_entropy",
    intTarget: false,
    value(ctx) {
      const rows = ctx.prediction.size / classes(ctx);
      return [
        "let total = 0;",
        `for (let i = 0; i < ${perBatch(ctx.prediction.size)}; i++) total -= target[i] * ${clampedLog("prediction[i]")};`,
        `return total / (${perBatch(rows)});`,
      ].join("\n");
    },
    gradient(ctx, target) {
      const rows = ctx.prediction.size / classes(ctx);
      return [
        `const scale = 1 / (${perBatch(rows)});`,
        `for (let i = 0; i < ${perBatch(ctx.prediction.size)}; i++) {`,
        "const p = prediction[i];",
        `gprediction[i] ${assign(target)} Math.log(p) >= -100 ? -scale * target[i] / p : 0;`,
        "}",
      ].join("\n");
    },
  },

  mse: {
    name: "mse",
    intTarget: false,
    value: (ctx) =>
      [
        "let total = 0;",
        `for (let i = 0; i < ${perBatch(ctx.prediction.size)}; i++) { const d = prediction[i] - target[i]; total += d * d; }`,
        `return total / (${perBatch(ctx.prediction.size)});`,
      ].join("\n"),
    gradient: (ctx, target) =>
      [
        `const scale = 2 / (${perBatch(ctx.prediction.size)});`,
        `for (let i = 0; i < ${perBatch(ctx.prediction.size)}; i++) gprediction[i] ${assign(target)} scale * (prediction[i] - target[i]);`,
      ].join("\n"),
  },
};
