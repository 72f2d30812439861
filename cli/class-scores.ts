// What `nnc predict --classes` and `--probabilities` print instead of an output's raw values:
// the softmax over its last axis (the classes), and the most likely class with its probability.
// An output the model already ends in `softmax` holds probabilities and is not softmaxed again.

/** Softmax over each run of `classes` values, in float64, stable for large logits. */
export function softmaxRows(values: ArrayLike<number>, offset: number, count: number, classes: number): Float64Array {
  const out = new Float64Array(count);
  for (let row = 0; row < count; row += classes) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, values[offset + row + k]!);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += out[row + k] = Math.exp(values[offset + row + k]! - max);
    for (let k = 0; k < classes; k++) out[row + k]! /= sum;
  }
  return out;
}

/** The values as they are (already probabilities), as float64. */
export function copyRows(values: ArrayLike<number>, offset: number, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = values[offset + i]!;
  return out;
}

export interface ClassChoice {
  class: number;
  probability: number;
}

/** The most likely class of each run of `classes` probabilities (the first on a tie). */
export function argmaxRows(probabilities: Float64Array, classes: number): ClassChoice[] {
  const choices: ClassChoice[] = [];
  for (let row = 0; row < probabilities.length; row += classes) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probabilities[row + k]! > probabilities[row + best]!) best = k;
    choices.push({ class: best, probability: probabilities[row + best]! });
  }
  return choices;
}
