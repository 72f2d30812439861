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
    try {
      weights.set(param.name, toFloatArray(tensor, info.dtype));
    } catch (error) {
      throw new CheckpointError((error as Error).message);
    }
  }
  return weights;
}
