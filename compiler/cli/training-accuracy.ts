// Training accuracy for models that do not report it themselves.
//
// A compiled model may implement `trainingMetrics()` (runtime/model.ts): the accuracy of its
// last training-mode forward pass, at no extra cost. Where it does not, `nnc train` still
// shows accuracy by evaluating each batch in inference mode just before its step: the same
// samples, the weights before the update, no dropout. That costs one extra forward pass per
// step, so it is used only when the model cannot report the figure itself. Evaluating
// touches neither the weights, nor the generators, nor batch_norm's running statistics, so
// a run trains bit for bit as without it (and resumes likewise).

import type { Batch, BatchMetrics, CompiledModel, FloatArray, Parameter } from "../../runtime/model.js";

/** `model` itself where it reports training metrics (or has no accuracy to report); else a wrapper that does. */
export function reportingTrainingAccuracy(model: CompiledModel): CompiledModel {
  if (model.trainingMetrics !== undefined || model.info.losses.length === 0) return model;
  return new EvaluatingBeforeEachStep(model);
}

class EvaluatingBeforeEachStep implements CompiledModel {
  private last: BatchMetrics = { loss: 0, correct: 0, count: 0 };

  constructor(private readonly model: CompiledModel) {}

  get info() {
    return this.model.info;
  }
  get maxBatch() {
    return this.model.maxBatch;
  }
  get optimizer() {
    return this.model.optimizer;
  }
  get rng() {
    return this.model.rng;
  }

  /** False once a batch has shown that the model has no accuracy to report (count 0), e.g. a regression. */
  private measuring = true;

  trainStep(batch: Batch): number {
    const before = this.measuring ? this.model.evaluate(batch) : this.last;
    this.measuring = before.count > 0;
    const loss = this.model.trainStep(batch);
    this.last = { loss, correct: before.correct, count: before.count };
    return loss;
  }

  trainingMetrics(): BatchMetrics {
    return this.last;
  }

  predict(inputs: Record<string, FloatArray | Int32Array>, size: number): Record<string, FloatArray> {
    return this.model.predict(inputs, size);
  }
  forwardBackward(batch: Batch): number {
    return this.model.forwardBackward(batch);
  }
  evaluate(batch: Batch): BatchMetrics {
    return this.model.evaluate(batch);
  }
  parameters(): Parameter[] {
    return this.model.parameters();
  }
  getWeights(): Map<string, FloatArray> {
    return this.model.getWeights();
  }
  setWeights(weights: Map<string, FloatArray>): void {
    this.model.setWeights(weights);
  }
  findNonFinite(): string | null {
    return this.model.findNonFinite();
  }
}
