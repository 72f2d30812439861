// A checkpoint: everything needed to continue a training run bit for bit, in one
// safetensors file.
//
//   <param name>            the weights, as in a plain weights file (model dtype)
//   optimizer.<param>.<slot> optimizer state (in the model's dtype), and optimizer.step (F64)
//   rng.model               the model's generator state, dropout's and rate_encode's (U32[4])
//   __metadata__            format, model, dtype, layout (`neuron`), and `progress`: a JSON object
//                           (TrainingProgress) with where the run stands
//
// A plain weights file (e.g. written by PyTorch's safetensors.torch.save_file) decodes as
// a checkpoint without optimizer, generator or progress.

import type { CompiledModel, DType, FloatArray, ModelInfo } from "./model.js";
import { optimizerStateKeys, STEP_STATE_KEY } from "./optim.js";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "./safetensors.js";
import { CheckpointError, checkFinite, checkWeights, weightsToTensors } from "./weights.js";

export const CHECKPOINT_FORMAT = "neuron-checkpoint/1";
const OPTIMIZER_PREFIX = "optimizer.";
const MODEL_RNG = "rng.model";
/**
 * Metadata `layout`: whose feature order a flattened image has in this file. Neuron's is
 * (h, w, c), channels-last; a channels-first PyTorch model's is (c, h, w) (`layout: pytorch`).
 */
export const NEURON_LAYOUT = "neuron";

/** Where a training run stands, saved so that a resumed run continues exactly. */
export interface TrainingProgress {
  /** The epoch in progress, from 0. */
  epoch: number;
  /** Batches of `epoch` already trained. */
  batchIndex: number;
  /** The data-order generator's state at the start of `epoch`, before its shuffle. */
  shuffleState: number[];
  /** The run's settings, which a resumed run must repeat to continue exactly. */
  batchSize: number;
  samples: number;
  shuffle: boolean;
  /** Sums over the trained batches of `epoch`, so that its metrics also survive a resume. */
  epochLossSum: number;
  epochSamples: number;
  epochCorrect: number;
  epochCount: number;
}

export interface Checkpoint {
  /** The model it was saved from, when saved by Neuron. */
  model: string | null;
  dtype: DType | null;
  weights: Map<string, FloatArray>;
  optimizer: Map<string, Float64Array> | null;
  rng: Uint32Array | null;
  progress: TrainingProgress | null;
  /** The file's `__metadata__` as written (`layout` says whose feature order it holds). */
  metadata: Record<string, string>;
}

/** The model's weights, optimizer and generator, and the run's progress, as safetensors bytes. */
export function encodeCheckpoint(model: CompiledModel, progress: TrainingProgress | null): Uint8Array {
  const info = model.info;
  for (const param of info.params) {
    if (param.name.startsWith(OPTIMIZER_PREFIX) || param.name === MODEL_RNG) {
      throw new CheckpointError(`parameter name '${param.name}' clashes with the checkpoint's own entries`);
    }
  }
  const tensors: SafeTensor[] = weightsToTensors(info, model.getWeights());
  if (model.optimizer !== null) {
    for (const [key, data] of model.optimizer.getState()) {
      // Moments of a float32 model are float32 values (the optimizer keeps them in the
      // parameters' dtype), so F32 stores them exactly in half the space; the step count
      // stays F64, exact beyond float32's 2^24.
      const narrow = info.dtype === "float32" && key !== STEP_STATE_KEY;
      tensors.push(
        narrow
          ? { name: OPTIMIZER_PREFIX + key, dtype: "F32", shape: [data.length], data: Float32Array.from(data) }
          : { name: OPTIMIZER_PREFIX + key, dtype: "F64", shape: [data.length], data },
      );
    }
  }
  tensors.push({ name: MODEL_RNG, dtype: "U32", shape: [4], data: model.rng.getState() });
  const metadata: Record<string, string> = { format: CHECKPOINT_FORMAT, model: info.name, dtype: info.dtype, layout: NEURON_LAYOUT };
  if (progress !== null) metadata.progress = JSON.stringify(progress);
  return encodeSafetensors(tensors, metadata);
}

/**
 * The model's weights alone, tagged with the model's name so that loading them into another
 * model is refused by name: what `nnc train --steps 0 --save` writes. It decodes as a
 * checkpoint without optimizer, generator or progress.
 */
export function encodeWeights(model: CompiledModel): Uint8Array {
  const info = model.info;
  return encodeSafetensors(weightsToTensors(info, model.getWeights()), { format: CHECKPOINT_FORMAT, model: info.name, dtype: info.dtype, layout: NEURON_LAYOUT });
}

/** Parses a checkpoint or weights file and checks that it fits the model; throws one-line errors. */
export function decodeCheckpoint(info: ModelInfo, bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const neuron = metadata.format === CHECKPOINT_FORMAT;
  if (neuron && metadata.model !== info.name) {
    throw new CheckpointError(`was saved from model ${metadata.model}, not ${info.name}: give the weights of a ${info.name} run`);
  }
  const weights = checkWeights(info, tensors);

  let optimizer: Map<string, Float64Array> | null = null;
  for (const [name, tensor] of tensors) {
    if (!name.startsWith(OPTIMIZER_PREFIX)) continue;
    if (!(tensor.data instanceof Float64Array || tensor.data instanceof Float32Array)) {
      throw new CheckpointError(`optimizer state '${name}' must be F32 or F64, got ${tensor.dtype}`);
    }
    checkFinite(`optimizer state '${name}'`, tensor.data);
    (optimizer ??= new Map()).set(name.slice(OPTIMIZER_PREFIX.length), Float64Array.from(tensor.data));
  }

  let rng: Uint32Array | null = null;
  const rngTensor = tensors.get(MODEL_RNG);
  if (rngTensor !== undefined) {
    if (!(rngTensor.data instanceof Uint32Array) || rngTensor.data.length !== 4) {
      throw new CheckpointError(`'${MODEL_RNG}' must be U32 [4], got ${rngTensor.dtype} [${rngTensor.shape.join(", ")}] with ${rngTensor.data.length} values`);
    }
    rng = rngTensor.data;
    if (isZeroState(rng)) throw new CheckpointError(`'${MODEL_RNG}' is all zeros, a state the xoshiro128** generator never leaves: the file is damaged; train from its weights alone with --init`);
  }

  const progress = metadata.progress === undefined ? null : parseProgress(metadata.progress);
  const dtype = metadata.dtype === "float32" || metadata.dtype === "float64" ? metadata.dtype : null;
  return { model: neuron ? metadata.model! : null, dtype, weights, optimizer, rng, progress, metadata };
}

/** Loads a checkpoint's weights, optimizer state and generator state into the model. */
export function restoreCheckpoint(model: CompiledModel, checkpoint: Checkpoint): void {
  model.setWeights(checkpoint.weights);
  if (checkpoint.optimizer !== null) {
    if (model.optimizer === null) throw new CheckpointError(`holds optimizer state, but model ${model.info.name} has no optimizer`);
    checkOptimizerState(model, checkpoint.optimizer);
    try {
      model.optimizer.setState(checkpoint.optimizer);
    } catch (error) {
      throw new CheckpointError((error as Error).message);
    }
  }
  if (checkpoint.rng !== null) model.rng.setState(checkpoint.rng);
}

/** The state must be exactly what this model's optimizer keeps: same optimizer, same parameters. */
function checkOptimizerState(model: CompiledModel, state: Map<string, Float64Array>): void {
  const optimizer = model.optimizer!;
  const expected = optimizerStateKeys(optimizer.info, model.parameters().map((p) => p.name));
  const fix = `(saved with another optimizer than ${optimizer.info.name}? train from the weights alone with a fresh run)`;
  for (const key of state.keys()) {
    if (!expected.includes(key)) throw new CheckpointError(`optimizer state 'optimizer.${key}' does not fit model ${model.info.name} ${fix}`);
  }
  for (const key of expected) {
    if (!state.has(key)) throw new CheckpointError(`optimizer state 'optimizer.${key}' is missing ${fix}`);
  }
}

function parseProgress(text: string): TrainingProgress {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CheckpointError("metadata 'progress' is not valid JSON");
  }
  const p = value as Record<string, unknown>;
  const counts = ["epoch", "batchIndex", "batchSize", "samples", "epochSamples", "epochCorrect", "epochCount"] as const;
  const ok =
    typeof value === "object" &&
    value !== null &&
    counts.every((key) => Number.isSafeInteger(p[key]) && (p[key] as number) >= 0) &&
    // JSON reads 1e999 as Infinity.
    typeof p.epochLossSum === "number" &&
    Number.isFinite(p.epochLossSum) &&
    typeof p.shuffle === "boolean" &&
    Array.isArray(p.shuffleState) &&
    p.shuffleState.length === 4 &&
    p.shuffleState.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32);
  if (!ok) throw new CheckpointError("metadata 'progress' is incomplete or malformed");
  if (isZeroState(p.shuffleState as number[])) {
    throw new CheckpointError("metadata 'progress' has an all-zero shuffleState, a state the xoshiro128** generator never leaves: the file is damaged; train from its weights alone with --init");
  }
  return value as TrainingProgress;
}

function isZeroState(state: ArrayLike<number>): boolean {
  return Array.from(state).every((word) => word === 0);
}
