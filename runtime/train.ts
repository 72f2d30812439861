// The training loop around a CompiledModel: epochs or a step budget, shuffled batches,
// per-epoch metrics, checkpoints, and resuming from one exactly where the run stood.
//
// Reproducibility: the data order comes from its own generator, `Rng(seed).fork(shuffle)`,
// drawn once per epoch; dropout from the model's generator; weights from the model's seed.
// A checkpoint saves the model, its optimizer and generator, and the data-order generator's
// state at the start of the current epoch with the number of batches done, so a resumed run
// re-draws the same order, skips the done batches, and ends with the same weights bit for
// bit as a run that was never interrupted.
//
// Keeping the best epoch and stopping early: with `monitor` (val_loss or val_acc), every epoch
// that improves on the best so far is handed to `onBest` (its weights' bytes), and `patience`
// epochs in a row without improvement end the run, as a finished one (a checkpoint saved).
//
// Nothing here prints: progress goes to callbacks, files to `onCheckpoint` and `onBest`.

import { restoreCheckpoint, encodeCheckpoint, encodeWeights, type Checkpoint, type TrainingProgress } from "./checkpoint.js";
import { Batcher, checkDataset, sampleSize, type Dataset } from "./data.js";
import type { CompiledModel } from "./model.js";
import { namedRecord, ownValue } from "./records.js";
import { Rng, RngStream } from "./rng.js";
import { hasThreadChoice, ThreadChooser, type ThreadChoice, type ThreadChoiceOptions } from "./thread-choice.js";

/** A run that cannot start or cannot go on; the message is one line with the fix. */
export class TrainingError extends Error {
  override readonly name = "TrainingError";
}

export interface EpochMetrics {
  /** 1-based, as users count epochs. */
  epoch: number;
  /** Optimizer steps taken so far in the run. */
  step: number;
  /** Mean training loss over the epoch's samples (training mode). */
  loss: number;
  /** Training accuracy, where the model reports it (`trainingMetrics`) and has an integer target; else null. */
  accuracy: number | null;
  val_loss: number | null;
  val_accuracy: number | null;
  /** Training samples per second over the epoch's training steps (validation excluded). */
  samples_per_sec: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
}

export interface BatchProgress {
  epoch: number;
  /** 1-based batch number within the epoch. */
  batch: number;
  batches: number;
  step: number;
  totalSteps: number;
  /** The batch's loss. */
  loss: number;
  /** Samples in the batch (the last one of an epoch may be partial). */
  samples: number;
  /** Mean loss over the epoch's batches so far (a resumed epoch's earlier batches included). */
  epochLoss: number;
  /** Training accuracy over the epoch so far, where the model reports it (`trainingMetrics`); else null. */
  epochAccuracy: number | null;
}

export interface TrainOptions {
  /** Default: the model's `train { epochs }`, else 1. Ignored when `steps` is given. */
  epochs?: number;
  /** A budget of optimizer steps for the whole run, instead of epochs (the last epoch may stop part-way). */
  steps?: number;
  /** Default: the model's `train { batch }`, else 32, capped to nothing: it must be <= model.maxBatch. */
  batchSize?: number;
  /** Shuffle the training data each epoch (default true). */
  shuffle?: boolean;
  /** Seed of the data order; default the model's `train { seed }`, else 0. */
  seed?: number;
  /** Overrides the optimizer's base learning rate (`--lr`). */
  lr?: number;
  /** Held-out data, evaluated at the end of every epoch. */
  validation?: Dataset;
  /** Continue a run from this checkpoint: restores the model, its optimizer and generators, and the position in the data. */
  resume?: Checkpoint;
  /** Steps between checkpoints; 0 or absent: only at the end (and when stopped). Needs `onCheckpoint`. */
  checkpointEvery?: number;
  /** Receives each checkpoint's bytes (the caller writes them, atomically). */
  onCheckpoint?: (bytes: Uint8Array, progress: TrainingProgress) => void;
  onBatch?: (progress: BatchProgress) => void;
  onEpoch?: (metrics: EpochMetrics) => void;
  /** Asked after every step; true stops the run (a checkpoint is saved first), e.g. on Ctrl-C. */
  shouldStop?: () => boolean;
  /** Milliseconds, for timing; default performance.now. */
  clock?: () => number;
  /** Wall time between yields to the event loop, in milliseconds (default 50). */
  yieldEveryMs?: number;
  /**
   * Epochs of metrics kept for `TrainResult.history` (default 1,000): a run of millions of tiny
   * epochs must not hold them all. Every epoch still reaches `onEpoch`, which keeps what it wants.
   */
  historyLimit?: number;
  /** The held-out metric that says which epoch is best (default val_loss, lower is better; val_acc higher). Needs `validation`. */
  monitor?: Monitor;
  /** Called after each epoch better than every earlier one, with its weights (a weights file's bytes) and metrics. */
  onBest?: (weights: Uint8Array, metrics: EpochMetrics) => void;
  /** Stop once this many epochs in a row have not improved on the best (early stopping); absent: never. */
  patience?: number;
  /**
   * Time the first steps on all the model's threads and on one, and keep the faster
   * (runtime/thread-choice.ts; a wasm model created with several threads). Results are the same
   * bytes either way. Default false: the model keeps the threads it was created with.
   */
  chooseThreads?: boolean | ThreadChoiceOptions;
  /** Receives the threads chosen (with `chooseThreads`), once. */
  onThreads?: (choice: ThreadChoice) => void;
}

export type Monitor = "val_loss" | "val_acc";

/** The best epoch by the monitored metric. */
export interface BestEpoch {
  epoch: number;
  step: number;
  monitor: Monitor;
  value: number;
}

const DEFAULT_HISTORY_LIMIT = 1000;

export interface TrainResult {
  /** The metrics of the last `historyLimit` epochs (all of them in a shorter run), oldest first. */
  history: EpochMetrics[];
  /** Optimizer steps taken in the whole run (including before a resume). */
  steps: number;
  /** Steps already taken when this call began: those of a resumed checkpoint, else 0. */
  startStep: number;
  /** True when `shouldStop` ended the run early. */
  stopped: boolean;
  /** True when `patience` ended the run: that many epochs without improvement. */
  stoppedEarly: boolean;
  /** The best epoch of this call, when `monitor`, `onBest` or `patience` was given; else null. */
  best: BestEpoch | null;
}

export interface EvaluationResult {
  loss: number;
  accuracy: number | null;
  samples: number;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new TrainingError(`${what} must be a positive integer, got ${value}`);
  return value;
}

/** The batch size where neither the call nor the model's `train { batch }` gives one (the library's DEFAULT_BATCH). */
export const DEFAULT_BATCH_SIZE = 32;

/** The settings of a run, checked against the model and the data, in the order their errors are reported. */
function runSettings(model: CompiledModel, data: Dataset, options: TrainOptions) {
  const info = model.info;
  const optimizer = model.optimizer;
  if (optimizer === null || info.losses.length === 0) {
    throw new TrainingError(`model ${info.name} cannot be trained: it declares no ${optimizer === null ? "optimizer (add e.g. `optimizer adam(lr: 0.001)`)" : "loss"}`);
  }
  const batchSize = positiveInteger(options.batchSize ?? info.train.batch ?? DEFAULT_BATCH_SIZE, "batch size");
  if (batchSize > model.maxBatch) {
    throw new TrainingError(`batch size ${batchSize} is larger than the model's buffers (maxBatch ${model.maxBatch}): create the model with maxBatch >= ${batchSize}`);
  }
  checkDataset(info, data, true);
  if (options.validation !== undefined) checkDataset(info, options.validation, true);
  const batcher = new Batcher(data, batchSize);
  const totalSteps =
    options.steps !== undefined
      ? positiveInteger(options.steps, "steps")
      : positiveInteger(options.epochs ?? info.train.epochs ?? 1, "epochs") * batcher.batchesPerEpoch;
  return { optimizer, batchSize, batcher, totalSteps };
}

/** The error for a non-finite loss, naming the first non-finite value the model holds. */
function nonFiniteLoss(model: CompiledModel, loss: number, step: number, epoch: number, batch: number): TrainingError {
  const culprit = model.findNonFinite();
  return new TrainingError(
    `loss became ${loss} at step ${step} (epoch ${epoch + 1}, batch ${batch})` +
      (culprit !== null ? `; first non-finite value: ${culprit}` : "") +
      "; try a lower learning rate (--lr) or gradient clipping (clip_norm)",
  );
}

/** Running sums over an epoch's batches, for its mean loss and accuracy. */
interface EpochSums {
  lossSum: number;
  samples: number;
  correct: number;
  count: number;
}

function addBatch(sums: EpochSums, model: CompiledModel, loss: number, size: number): void {
  sums.lossSum += loss * size;
  sums.samples += size;
  const metrics = model.trainingMetrics?.();
  if (metrics !== undefined) {
    sums.correct += metrics.correct;
    sums.count += metrics.count;
  }
}

function epochMetrics(
  epoch: number,
  step: number,
  sums: EpochSums,
  val: EvaluationResult | null,
  time: { trainMs: number; trainedSamples: number; seconds: number },
): EpochMetrics {
  return {
    epoch: epoch + 1,
    step,
    loss: sums.lossSum / sums.samples,
    accuracy: sums.count > 0 ? sums.correct / sums.count : null,
    val_loss: val?.loss ?? null,
    val_accuracy: val?.accuracy ?? null,
    samples_per_sec: time.trainMs > 0 ? (time.trainedSamples / time.trainMs) * 1000 : 0,
    seconds: time.seconds,
  };
}

/** Appends an epoch's metrics, keeping about the last `limit`. */
function keepHistory(history: EpochMetrics[], metrics: EpochMetrics, limit: number): void {
  history.push(metrics);
  // Trimmed in chunks rather than shifted one by one, so that keeping the last N costs O(1) per epoch.
  if (history.length >= 2 * limit + 1) history.splice(0, history.length - limit);
}

/**
 * Trains `model` on `data`; rejects with a TrainingError for settings that do not fit and
 * for a non-finite loss. Asynchronous only to yield to the event loop now and then (so that
 * Ctrl-C handlers run and pages stay responsive); the arithmetic does not depend on it.
 */
export async function train(model: CompiledModel, data: Dataset, options: TrainOptions = {}): Promise<TrainResult> {
  const info = model.info;
  const { optimizer, batchSize, batcher, totalSteps } = runSettings(model, data, options);
  const shuffle = options.shuffle ?? true;
  const seed = options.seed ?? info.train.seed ?? 0;
  const perEpoch = batcher.batchesPerEpoch;
  const clock = options.clock ?? (() => performance.now());
  const checkpointEvery = options.checkpointEvery ?? 0;
  const validation = options.validation === undefined ? null : new Batcher(options.validation, batchSize);

  const orderRng = new Rng(seed).fork(RngStream.shuffle);
  let epoch = 0;
  let startBatch = 0;
  let sums: EpochSums = { lossSum: 0, samples: 0, correct: 0, count: 0 };
  if (options.resume !== undefined) {
    const resumed = resumeFrom(model, options.resume, { batchSize, samples: data.size, shuffle });
    if (resumed !== null) {
      epoch = resumed.epoch;
      startBatch = resumed.batchIndex;
      orderRng.setState(Uint32Array.from(resumed.shuffleState));
      sums = { lossSum: resumed.epochLossSum, samples: resumed.epochSamples, correct: resumed.epochCorrect, count: resumed.epochCount };
    }
  }
  if (options.lr !== undefined) {
    if (!(options.lr > 0) || !Number.isFinite(options.lr)) throw new TrainingError(`learning rate must be a positive number, got ${options.lr}`);
    optimizer.lr = options.lr;
  }
  optimizer.totalSteps = totalSteps;

  const isDue = (step: number) => checkpointEvery > 0 && step % checkpointEvery === 0;
  const save = (at: Omit<TrainingProgress, "batchSize" | "samples" | "shuffle">) => {
    const progress: TrainingProgress = { ...at, batchSize, samples: data.size, shuffle };
    if (options.onCheckpoint !== undefined) options.onCheckpoint(encodeCheckpoint(model, progress), progress);
  };

  const yieldEveryMs = options.yieldEveryMs ?? 50;
  let lastYield = clock();
  const chooseThreads = options.chooseThreads ?? false;
  const chooser = chooseThreads !== false && hasThreadChoice(model) ? new ThreadChooser(model, chooseThreads === true ? {} : chooseThreads) : null;

  const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(historyLimit) || historyLimit < 0) throw new TrainingError(`historyLimit must be a whole number (0 or more), got ${historyLimit}`);
  const history: EpochMetrics[] = [];
  const startStep = optimizer.step;
  const tracking = options.monitor !== undefined || options.onBest !== undefined || options.patience !== undefined;
  const monitor: Monitor = options.monitor ?? "val_loss";
  if (monitor !== "val_loss" && monitor !== "val_acc") throw new TrainingError(`monitor must be val_loss or val_acc, got ${String(monitor)}`);
  if (options.patience !== undefined) positiveInteger(options.patience, "patience");
  if (tracking && validation === null) {
    throw new TrainingError(`keeping the best epoch or stopping early compares epochs by ${monitor} on held-out data: give validation data (--val SPEC)`);
  }
  let best: BestEpoch | null = null;
  let epochsWithoutImprovement = 0;
  let stoppedEarly = false;
  let stopped = false;
  while (optimizer.step < totalSteps && !stopped && !stoppedEarly) {
    const epochStartState = orderRng.getState();
    if (shuffle) batcher.shuffle(orderRng);
    else batcher.resetOrder();
    const started = clock();
    const stepsBefore = optimizer.step;
    // This session's share of the epoch, for the throughput (a resumed epoch began earlier).
    let trainMs = 0;
    let trainedSamples = 0;

    let done = startBatch;
    while (done < perEpoch && optimizer.step < totalSteps && !stopped) {
      const batch = batcher.fill(done);
      chooser?.beforeStep();
      const t0 = clock();
      const loss = model.trainStep(batch);
      const stepMs = clock() - t0;
      trainMs += stepMs;
      const choice = chooser?.afterStep(stepMs, batch.size) ?? null;
      if (choice !== null) options.onThreads?.(choice);
      done++;
      if (!Number.isFinite(loss)) throw nonFiniteLoss(model, loss, optimizer.step, epoch, done);
      addBatch(sums, model, loss, batch.size);
      trainedSamples += batch.size;
      options.onBatch?.({
        epoch: epoch + 1,
        batch: done,
        batches: perEpoch,
        step: optimizer.step,
        totalSteps,
        loss,
        samples: batch.size,
        epochLoss: sums.lossSum / sums.samples,
        epochAccuracy: sums.count > 0 ? sums.correct / sums.count : null,
      });
      if (clock() - lastYield >= yieldEveryMs) {
        await yieldToEventLoop();
        lastYield = clock();
      }
      stopped = options.shouldStop?.() ?? false;
      // A checkpoint at the end of an epoch is saved below, after the epoch's metrics.
      if (done < perEpoch && (isDue(optimizer.step) || stopped || optimizer.step >= totalSteps)) {
        save({ epoch, batchIndex: done, shuffleState: Array.from(epochStartState), ...progressSums(sums) });
      }
    }

    if (optimizer.step === stepsBefore && !stopped) {
      throw new TrainingError(`model ${info.name}: trainStep did not advance its optimizer's step count, so training would never end`);
    }
    const complete = done === perEpoch;
    // A step budget that ends part-way through an epoch still reports that epoch.
    if (complete || (!stopped && optimizer.step >= totalSteps && sums.samples > 0)) {
      const val = validation === null ? null : evaluateBatches(model, validation);
      const metrics = epochMetrics(epoch, optimizer.step, sums, val, { trainMs, trainedSamples, seconds: (clock() - started) / 1000 });
      keepHistory(history, metrics, historyLimit);
      options.onEpoch?.(metrics);
      if (tracking) {
        const value = monitor === "val_loss" ? metrics.val_loss : metrics.val_accuracy;
        if (value === null) throw new TrainingError(`model ${info.name} reports no accuracy to monitor: use val_loss`);
        if (best === null || (monitor === "val_loss" ? value < best.value : value > best.value)) {
          best = { epoch: metrics.epoch, step: metrics.step, monitor, value };
          epochsWithoutImprovement = 0;
          options.onBest?.(encodeWeights(model), metrics);
        } else if (++epochsWithoutImprovement >= (options.patience ?? Infinity)) {
          stoppedEarly = complete;
        }
      }
    }
    if (complete) {
      epoch++;
      startBatch = 0;
      sums = { lossSum: 0, samples: 0, correct: 0, count: 0 };
      if (isDue(optimizer.step) || stopped || stoppedEarly || optimizer.step >= totalSteps) {
        save({ epoch, batchIndex: 0, shuffleState: Array.from(orderRng.getState()), ...progressSums(sums) });
      }
    }
  }
  if (history.length > historyLimit) history.splice(0, history.length - historyLimit);
  return { history, steps: optimizer.step, startStep, stopped, stoppedEarly, best };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function progressSums(sums: EpochSums) {
  return { epochLossSum: sums.lossSum, epochSamples: sums.samples, epochCorrect: sums.correct, epochCount: sums.count };
}

/** Restores the model from a checkpoint and checks that the run's settings allow an exact continuation. */
function resumeFrom(
  model: CompiledModel,
  checkpoint: Checkpoint,
  run: { batchSize: number; samples: number; shuffle: boolean },
): TrainingProgress | null {
  const progress = checkpoint.progress;
  if (progress !== null) {
    if (progress.batchSize !== run.batchSize) {
      throw new TrainingError(`the checkpoint was trained with batch size ${progress.batchSize}, this run uses ${run.batchSize}: resume with --batch ${progress.batchSize}`);
    }
    if (progress.samples !== run.samples) {
      throw new TrainingError(`the checkpoint was trained on ${progress.samples} samples, this data has ${run.samples}: resume with the same data`);
    }
    if (progress.shuffle !== run.shuffle) {
      throw new TrainingError(`the checkpoint was trained with shuffling ${progress.shuffle ? "on" : "off"}: resume with the same setting`);
    }
  }
  restoreCheckpoint(model, checkpoint);
  return progress;
}

function evaluateBatches(model: CompiledModel, batcher: Batcher): EvaluationResult {
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  batcher.resetOrder();
  for (let b = 0; b < batcher.batchesPerEpoch; b++) {
    const batch = batcher.fill(b);
    const metrics = model.evaluate(batch);
    lossSum += metrics.loss * batch.size;
    correct += metrics.correct;
    count += metrics.count;
  }
  return { loss: lossSum / batcher.dataset.size, accuracy: count > 0 ? correct / count : null, samples: batcher.dataset.size };
}

/** Inference-mode loss and accuracy over a whole dataset, in batches of at most `batchSize` (default maxBatch). */
export function evaluate(model: CompiledModel, data: Dataset, batchSize: number = model.maxBatch): EvaluationResult {
  if (model.info.losses.length === 0) throw new TrainingError(`model ${model.info.name} declares no loss to evaluate`);
  checkDataset(model.info, data, true);
  return evaluateBatches(model, new Batcher(data, Math.min(positiveInteger(batchSize, "batch size"), model.maxBatch)));
}

/**
 * Every output of the model for every sample of `data` (targets not needed), sample-major,
 * typed as the model's own `predict` returns them (`XorOutputs` for an emitted `Xor`).
 */
export function predict<Model extends CompiledModel>(model: Model, data: Dataset, batchSize: number = model.maxBatch): ReturnType<Model["predict"]> {
  checkDataset(model.info, data, false);
  const batcher = new Batcher(data, Math.min(positiveInteger(batchSize, "batch size"), model.maxBatch), false);
  const outputs = namedRecord<Float32Array | Float64Array>();
  for (let b = 0; b < batcher.batchesPerEpoch; b++) {
    const batch = batcher.fill(b);
    const result = model.predict(batch.inputs, batch.size);
    for (const tensor of model.info.outputs) {
      const values = ownValue(result, tensor.name);
      if (values === undefined) throw new TrainingError(`model ${model.info.name} returned no output '${tensor.name}'`);
      const per = sampleSize(tensor);
      const out = (outputs[tensor.name] ??= model.info.dtype === "float64" ? new Float64Array(data.size * per) : new Float32Array(data.size * per));
      out.set(values.subarray(0, batch.size * per), b * batcher.batchSize * per);
    }
  }
  // One array per declared output, of the model's dtype: what its own predict returns, whole.
  return outputs as ReturnType<Model["predict"]>;
}
