// The public, browser-safe runtime: everything an emitted model module and `nnc train` use.
// Node-only file and data loaders live in runtime/node/ (import runtime/node/index.js).

export type * from "./model.js";
export { Rng, RngStream, standardNormal } from "./rng.js";
export { initTensor, initSchemes } from "./init.js";
export { createOptimizer, clipGradNorm, optimizerNames, optimizerStateKeys, STEP_STATE_KEY } from "./optim.js";
export { createSchedule, scheduleNames, type Schedule } from "./schedule.js";
export { erf, erfc } from "./math.js";
export { WasmKernelModule, createModelMemory, hasWasmSimd, type HeldCalls, type WasmKernel } from "./wasm.js";
export { allocateBuffers, bufferBytes, parameterBuffers, watchedBuffers, type BufferLayout, type Buffers, type BufferTable, type BufferType } from "./buffers.js";
export { samplesIn, floatArg, intArg, checkMaxBatch, checkBatchSize, checkParameterValues, firstNonFinite, type FloatType } from "./module-support.js";
export {
  encodeSafetensors,
  decodeSafetensors,
  toFloatArray,
  SafetensorsError,
  MAX_HEADER_BYTES,
  type SafeTensor,
  type SafetensorsDType,
  type TensorData,
  type DecodedSafetensors,
} from "./safetensors.js";
export { checkWeights, weightsToTensors, CheckpointError } from "./weights.js";
export {
  encodeCheckpoint,
  encodeWeights,
  decodeCheckpoint,
  restoreCheckpoint,
  CHECKPOINT_FORMAT,
  type Checkpoint,
  type TrainingProgress,
} from "./checkpoint.js";
export {
  Batcher,
  DataError,
  datasetFromSamples,
  checkDataset,
  subset,
  sampleSize,
  formatShape,
  checkValue,
  storeValue,
  allocateColumn,
  requiredTensors,
  type Dataset,
  type Sample,
  type SampleSource,
  type NestedNumbers,
  type TensorValues,
} from "./data.js";
export {
  train,
  evaluate,
  predict,
  TrainingError,
  type TrainOptions,
  type TrainResult,
  type EpochMetrics,
  type BatchProgress,
  type EvaluationResult,
  type Monitor,
  type BestEpoch,
} from "./train.js";
export { kernelWorkerFactory, setKernelWorkerFactory, type KernelWorker, type KernelWorkerFactory, type KernelWorkerInit, type KernelSplit } from "./threads.js";
export { ThreadChooser, hasThreadChoice, type ThreadChoice, type ThreadChoiceOptions, type ThreadedModel } from "./thread-choice.js";
export { useWebWorkerThreads, webWorkerThreadsAvailable } from "./browser-threads.js";
