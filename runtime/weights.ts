// A model's weights as safetensors tensors and back: parameters (and buffers such as
// batch_norm's running statistics) under their checkpoint names, in PyTorch's layout, so
// that a weights file can be read by `safetensors.torch.load_file` and vice versa.

import type { FloatArray, ModelInfo } from "./model.js";
import { toFloatArray, type SafeTensor } from "./safetensors.js";

/** A weights or checkpoint file that does not fit the model it is loaded into. */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
}

/** The model's weights (checkpoint layout, from `getWeights()`) as tensors in the model's dtype. */
export function weightsToTensors(info: ModelInfo, weights: Map<string, FloatArray>): SafeTensor[] {
  return info.params.map((param) => {
    const data = weights.get(param.name);
    if (data === undefined) throw new CheckpointError(`model ${info.name} gave no weights for '${param.name}'`);
    return { name: param.name, dtype: data instanceof Float64Array ? "F64" : "F32", shape: param.shape, data };
  });
}

/**
 * Checks that every parameter and buffer of the model is among `tensors` with its exact
 * shape and a float dtype, and returns the weights converted to the model's dtype, ready
 * for `setWeights`. Other tensors (optimizer state) are ignored.
 */
export function checkWeights(info: ModelInfo, tensors: Map<string, SafeTensor>): Map<string, FloatArray> {
  const weights = new Map<string, FloatArray>();
  for (const param of info.params) {
    const tensor = tensors.get(param.name);
    const expected = `[${param.shape.join(", ")}]`;
    if (tensor === undefined) {
      throw new CheckpointError(`has no tensor '${param.name}' (model ${info.name} needs it, shape ${expected}): is it a checkpoint of this model?`);
    }
    const actual = `[${tensor.shape.join(", ")}]`;
    if (actual !== expected) {
      throw new CheckpointError(`tensor '${param.name}' has shape ${actual}, model ${info.name} needs ${expected}`);
    }
    let values: FloatArray;
    try {
      values = toFloatArray(tensor, info.dtype);
    } catch (error) {
      throw new CheckpointError((error as Error).message);
    }
    // Only an F64 value can overflow on the way (into a float32 model); F16/BF16 data are bit patterns.
    checkFinite(`tensor '${param.name}'`, values, tensor.dtype === "F64" ? (tensor.data as Float64Array) : values);
    weights.set(param.name, values);
  }
  return weights;
}

/**
 * Refuses a NaN or an infinity among loaded values: a ReLU or a max would hide it, so that
 * evaluation reports a finite loss of a broken model. `stored` are the values as the file
 * holds them, to tell a bad value in the file from one too large for the model's dtype.
 */
export function checkFinite(what: string, values: ArrayLike<number>, stored: ArrayLike<number> = values): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (Number.isFinite(value)) continue;
    const original = stored[i]!;
    if (Number.isFinite(original)) {
      throw new CheckpointError(`${what} holds ${original} at index ${i}, too large for float32: load it into a float64 model (--dtype float64)`);
    }
    throw new CheckpointError(`${what} holds ${original} at index ${i}: a checkpoint must hold finite numbers (was it saved after training diverged?)`);
  }
}
