// A hand-written CompiledModel for testing the runtime without the compiler: softmax
// regression with inverted dropout on its input,
//   logits = W · dropout(x) + b,  loss = mean softmax cross-entropy against an int(K) label.
// Checkpoint layout: `logits.dense_0.weight` [K, D] and `logits.dense_0.bias` [K].

import { initTensor } from "../../runtime/init.js";
import type { Batch, BatchMetrics, CompiledModel, CreateOptions, FloatArray, ModelInfo, Optimizer, OptimizerInfo, Parameter } from "../../runtime/model.js";
import { createOptimizer } from "../../runtime/optim.js";
import { Rng, RngStream } from "../../runtime/rng.js";

export const FEATURES = 4;
export const CLASSES = 3;
const DROPOUT = 0.1;

export function regressionInfo(optimizer: OptimizerInfo | null = { name: "adam", args: { lr: 0.05 }, schedule: { name: "constant", args: {} } }): ModelInfo {
  const init = { scheme: "xavier_uniform", args: {}, fanIn: FEATURES, fanOut: CLASSES };
  return {
    name: "SoftmaxRegression",
    dtype: "float64",
    inputs: [{ name: "x", shape: [FEATURES], kind: "float" }],
    targets: [{ name: "label", shape: [], kind: "int", vocab: CLASSES }],
    outputs: [{ name: "logits", shape: [CLASSES], kind: "float" }],
    params: [
      { name: "logits.dense_0.weight", shape: [CLASSES, FEATURES], init, trainable: true },
      { name: "logits.dense_0.bias", shape: [CLASSES], init: { ...init, scheme: "zeros" }, trainable: true },
    ],
    losses: ["softmax_cross_entropy"],
    optimizer,
    train: { batch: 10, epochs: 3, seed: 0 },
  };
}

export class SoftmaxRegression implements CompiledModel {
  readonly maxBatch: number;
  readonly optimizer: Optimizer | null;
  readonly rng: Rng;
  /** Test hook: make the next losses NaN. */
  poisoned = false;

  private readonly weight: Parameter;
  private readonly bias: Parameter;
  private readonly dropped: Float64Array;
  private readonly logits: Float64Array;
  private readonly probs: Float64Array;
  private lastMetrics: BatchMetrics = { loss: 0, correct: 0, count: 0 };

  constructor(
    readonly info: ModelInfo,
    options: CreateOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? info.train.batch ?? 32;
    const root = new Rng(options.seed ?? info.train.seed ?? 0);
    const initRng = root.fork(RngStream.init);
    this.rng = root.fork(RngStream.dropout);
    const [w, b] = info.params;
    this.weight = { name: w!.name, value: initTensor(w!.init, w!.shape, initRng, "float64"), grad: new Float64Array(CLASSES * FEATURES) };
    this.bias = { name: b!.name, value: initTensor(b!.init, b!.shape, initRng, "float64"), grad: new Float64Array(CLASSES) };
    if (options.weights !== undefined) this.setWeights(options.weights);
    this.optimizer = info.optimizer === null ? null : createOptimizer(info.optimizer);
    this.dropped = new Float64Array(this.maxBatch * FEATURES);
    this.logits = new Float64Array(this.maxBatch * CLASSES);
    this.probs = new Float64Array(this.maxBatch * CLASSES);
  }

  private forward(x: FloatArray, size: number, training: boolean): void {
    const keep = 1 - DROPOUT;
    for (let i = 0; i < size * FEATURES; i++) {
      this.dropped[i] = training ? (this.rng.next() < DROPOUT ? 0 : x[i]! / keep) : x[i]!;
    }
    const w = this.weight.value;
    for (let n = 0; n < size; n++) {
      for (let k = 0; k < CLASSES; k++) {
        let s = this.bias.value[k]!;
        for (let d = 0; d < FEATURES; d++) s += w[k * FEATURES + d]! * this.dropped[n * FEATURES + d]!;
        this.logits[n * CLASSES + k] = s;
      }
    }
  }

  /** Softmax, loss and correct count for the current logits. */
  private lossOf(labels: Int32Array, size: number): BatchMetrics {
    let loss = 0;
    let correct = 0;
    for (let n = 0; n < size; n++) {
      let max = -Infinity;
      let best = 0;
      for (let k = 0; k < CLASSES; k++) {
        const v = this.logits[n * CLASSES + k]!;
        if (v > max) [max, best] = [v, k];
      }
      let z = 0;
      for (let k = 0; k < CLASSES; k++) z += Math.exp(this.logits[n * CLASSES + k]! - max);
      for (let k = 0; k < CLASSES; k++) this.probs[n * CLASSES + k] = Math.exp(this.logits[n * CLASSES + k]! - max) / z;
      loss -= Math.log(this.probs[n * CLASSES + labels[n]!]!);
      if (best === labels[n]) correct++;
    }
    return { loss: this.poisoned ? NaN : loss / size, correct, count: size };
  }

  predict(inputs: Record<string, FloatArray | Int32Array>, size: number): Record<string, FloatArray> {
    this.forward(inputs.x as FloatArray, size, false);
    return { logits: this.logits };
  }

  forwardBackward(batch: Batch): number {
    const size = batch.size;
    this.forward(batch.inputs.x as FloatArray, size, true);
    const labels = batch.targets.label as Int32Array;
    this.lastMetrics = this.lossOf(labels, size);
    this.weight.grad.fill(0);
    this.bias.grad.fill(0);
    for (let n = 0; n < size; n++) {
      for (let k = 0; k < CLASSES; k++) {
        const dl = (this.probs[n * CLASSES + k]! - (labels[n] === k ? 1 : 0)) / size;
        this.bias.grad[k] = this.bias.grad[k]! + dl;
        for (let d = 0; d < FEATURES; d++) {
          this.weight.grad[k * FEATURES + d] = this.weight.grad[k * FEATURES + d]! + dl * this.dropped[n * FEATURES + d]!;
        }
      }
    }
    return this.lastMetrics.loss;
  }

  trainStep(batch: Batch): number {
    const loss = this.forwardBackward(batch);
    this.optimizer!.update([this.weight, this.bias]);
    return loss;
  }

  trainingMetrics(): BatchMetrics {
    return this.lastMetrics;
  }

  evaluate(batch: Batch): BatchMetrics {
    this.forward(batch.inputs.x as FloatArray, batch.size, false);
    return this.lossOf(batch.targets.label as Int32Array, batch.size);
  }

  parameters(): Parameter[] {
    return [this.weight, this.bias];
  }

  getWeights(): Map<string, FloatArray> {
    return new Map([
      [this.weight.name, this.weight.value.slice()],
      [this.bias.name, this.bias.value.slice()],
    ]);
  }

  setWeights(weights: Map<string, FloatArray>): void {
    for (const p of [this.weight, this.bias]) {
      const w = weights.get(p.name);
      if (w === undefined) throw new Error(`missing weights '${p.name}'`);
      if (w.length !== p.value.length) throw new Error(`'${p.name}' has ${w.length} values, expected ${p.value.length}`);
      p.value.set(w);
    }
  }

  findNonFinite(): string | null {
    return this.poisoned ? "logits (test poison)" : null;
  }
}

/** A linearly separable-ish 3-class problem: class = argmax of three fixed projections, plus noise. */
export function syntheticSamples(count: number, seed: number): { x: number[]; label: number }[] {
  const rng = new Rng(seed);
  const centers = [
    [2, 0, 0, 1],
    [0, 2, 0, -1],
    [0, 0, 2, 0],
  ];
  return Array.from({ length: count }, () => {
    const label = rng.int(CLASSES);
    return { x: centers[label]!.map((c) => c + 0.7 * rng.normal()), label };
  });
}
