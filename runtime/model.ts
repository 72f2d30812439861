// The contract between an emitted model module and the runtime around it (training loop,
// checkpoints, data). An emitted module exports a class implementing `CompiledModel` and a
// `create` function; everything else in runtime/ only talks to models through this.

export type FloatArray = Float32Array | Float64Array;
export type DType = "float32" | "float64";

/** A named tensor of one sample: inputs, targets and outputs. */
export interface TensorInfo {
  name: string;
  /** Per-sample shape; the batch dimension comes first at run time. */
  shape: number[];
  kind: "float" | "int";
  /** For `int(V)` tensors. */
  vocab?: number;
}

export interface InitInfo {
  scheme: string;
  args: Record<string, number>;
  fanIn: number;
  fanOut: number;
}

/** A parameter as checkpoints see it: PyTorch's layout and a name that survives edits elsewhere in the file. */
export interface ParamInfo {
  name: string;
  shape: number[];
  init: InitInfo;
  trainable: boolean;
}

export interface ScheduleInfo {
  name: string;
  args: Record<string, number>;
}

export interface OptimizerInfo {
  name: string;
  args: Record<string, number | boolean>;
  schedule: ScheduleInfo;
}

/** What the emitted module knows about its model, as plain data. */
export interface ModelInfo {
  name: string;
  dtype: DType;
  inputs: TensorInfo[];
  targets: TensorInfo[];
  outputs: TensorInfo[];
  params: ParamInfo[];
  /** Names of the losses, summed into the reported loss. */
  losses: string[];
  optimizer: OptimizerInfo | null;
  train: { batch?: number; epochs?: number; seed?: number };
}

/**
 * One batch, row-major with the batch dimension first. Float tensors are FloatArray of the
 * model's dtype; int tensors are Int32Array. `size` may be anything from 1 to `maxBatch`
 * (a partial last batch).
 */
export interface Batch {
  size: number;
  inputs: Record<string, FloatArray | Int32Array>;
  targets: Record<string, FloatArray | Int32Array>;
}

/**
 * A trainable tensor seen by optimizers: the value and its gradient, both in the module's
 * own memory layout (optimizers are element-wise, so the layout does not matter to them).
 */
export interface Parameter {
  name: string;
  value: FloatArray;
  grad: FloatArray;
}

/** Loss and metrics summed over a batch; divide by `count` for means. */
export interface BatchMetrics {
  /** Mean loss over the batch (the sum of the model's losses, each averaged as PyTorch does). */
  loss: number;
  /** Correct predictions, for models whose loss has an integer target (per position for sequences). */
  correct: number;
  /** How many predictions `correct` counts (batch size times positions). */
  count: number;
}

export interface CompiledModel {
  readonly info: ModelInfo;
  /** Stops any worker threads of the kernels (wasm modules); the model still works, on one thread. */
  dispose?(): void;
  /** The threads its WebAssembly kernels may run on (wasm modules: create()'s, or 1 without workers). */
  readonly threads?: number;
  /**
   * Splits later kernel calls among at most `threads` of them (1: the calling thread alone) and
   * returns how many that is (wasm modules). Results are bit-identical for any number.
   */
  useThreads?(threads: number): number;
  /** The largest batch this instance's buffers hold. */
  readonly maxBatch: number;

  /**
   * Inference mode (no dropout, batch_norm running statistics) on `size` samples; each input
   * holds exactly that many (without `size`: as many as the inputs hold). Returns views of
   * internal buffers, valid until the next call.
   */
  predict(inputs: Record<string, FloatArray | Int32Array>, size?: number): Record<string, FloatArray>;
  /** Training mode: forward, backward, and one optimizer step. Returns the batch's loss. Allocates nothing. */
  trainStep(batch: Batch): number;
  /** Training mode forward and backward only: fills every parameter's grad and returns the loss. */
  forwardBackward(batch: Batch): number;
  /** Inference mode loss and accuracy on a batch. */
  evaluate(batch: Batch): BatchMetrics;
  /**
   * Optional: loss and accuracy of the batch of the last `trainStep` or `forwardBackward`,
   * from its training-mode forward pass, so that the training loop can report training
   * accuracy without a second forward pass. Where absent, training accuracy is not reported.
   */
  trainingMetrics?(): BatchMetrics;

  /** Trainable parameters with their gradients, in `info.params` order. */
  parameters(): Parameter[];
  /** Every parameter and buffer in checkpoint layout (fresh copies), keyed by name, in `info.params` order. */
  getWeights(): Map<string, FloatArray>;
  /**
   * The gradients left by the last `forwardBackward` (or `trainStep`), in checkpoint layout
   * (fresh copies), keyed by name, trainable parameters only, in `info.params` order: what
   * reference comparisons (TensorFlow.js, PyTorch) read. Every emitted module has it; it is
   * optional only so that hand-written test models need not.
   */
  getGradients?(): Map<string, FloatArray>;
  /** Loads weights in checkpoint layout; throws an Error naming the first missing or misshapen one. */
  setWeights(weights: Map<string, FloatArray>): void;

  /** The optimizer driving `trainStep`, or null where the model declares none. */
  readonly optimizer: Optimizer | null;
  /** The generator behind dropout, so that checkpoints can save and restore it. */
  readonly rng: RandomSource;

  /** After a non-finite loss: the first activation, gradient or parameter holding a NaN or infinity, by name. */
  findNonFinite(): string | null;
}

/** The generator interface the emitted code uses; implemented by runtime/rng.ts. */
export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
  /** State as 32-bit words, to save in checkpoints. */
  getState(): Uint32Array;
  setState(state: Uint32Array): void;
}

/** Implemented in runtime/optim.ts. */
export interface Optimizer {
  readonly info: OptimizerInfo;
  /** Steps taken so far; schedules read it. */
  step: number;
  /** Total steps of the run, for schedules that need it (cosine); set by the training loop. */
  totalSteps: number;
  /** Base learning rate; `--lr` overrides the file's. */
  lr: number;
  /** Applies one update to every parameter from its grad (clipping first if asked). */
  update(params: readonly Parameter[]): void;
  /** The learning rate the next update will use. */
  currentLr(): number;
  /** Optimizer state (moments, step) as named arrays for checkpoints. */
  getState(): Map<string, Float64Array>;
  setState(state: Map<string, Float64Array>): void;
}

/** What every emitted module exports besides its class. */
export interface CreateOptions {
  /** Seed for initial weights and dropout; default the file's `train { seed }` or 0. */
  seed?: number;
  /** Largest batch the buffers are sized for; default the file's `train { batch }` or 32. */
  maxBatch?: number;
  /** Start from these weights (checkpoint layout) instead of initialising. */
  weights?: Map<string, FloatArray>;
  /**
   * For a module compiled with `--backend wasm`: "js" runs its JavaScript kernels instead of
   * the WebAssembly ones (default "wasm", which falls back to JavaScript with a note where the
   * engine has no SIMD). A module compiled for js always runs JavaScript.
   */
  backend?: "wasm" | "js";
  /**
   * For a module compiled with `--backend wasm`: the threads its WebAssembly kernels run on
   * (default 1). Above 1 it needs a host that starts worker threads (in Node,
   * `useNodeThreads()` of the runtime's node part; in a cross-origin isolated page,
   * `useWebWorkerThreads()`) and shared memory; else it runs on one.
   * Results are bit-identical for any number.
   */
  threads?: number;
}

export interface ModelModule {
  info: ModelInfo;
  create(options?: CreateOptions): CompiledModel;
}
