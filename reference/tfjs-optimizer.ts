// A graph's optimizer (OptimizerSpec) built from TensorFlow.js's own optimizers, as a tfjs
// user would train the model, with the pieces tfjs lacks added around them.
//
// Where tfjs and PyTorch (hence Neuron's runtime) differ:
// - sgd with momentum -> tf.train.momentum: accum = m*accum + g; p -= lr*accum, which is
//   PyTorch's SGD with dampening 0 (nesterov: p -= lr*(g + m*accum), also PyTorch's). Equal.
// - adam -> tf.train.adam: bias-corrected as PyTorch; eps is added to sqrt(v_hat) as PyTorch. Equal.
// - adamw: tfjs has none; decoupled decay p *= 1 - lr*wd is applied before tfjs's Adam
//   update, which is what torch.optim.AdamW does. Equal.
// - rmsprop -> tf.train.rmsprop: p -= lr*g / sqrt(ms + eps) (eps inside the root; PyTorch
//   puts it outside: sqrt(ms) + eps). `decay` is PyTorch's alpha in both. Differs slightly.
// - weight_decay of sgd/adam/rmsprop is L2 added to the gradient (PyTorch's), done here.
// - clip_norm: PyTorch's clip_grad_norm_ (scale by max/(norm + 1e-6) when that is below 1), done here.
// - schedules: the runtime's formulas (runtime/schedule.ts) set tfjs's learning rate before
//   each update.
import type { OptimizerSpec } from "../compiler/graph.js";
import { createSchedule, type Schedule } from "../runtime/schedule.js";
import { tf } from "./tfjs-backend.js";

export class TfjsOptimizer {
  /** Updates taken so far. */
  step = 0;
  /** Length of the run, for the cosine schedule. */
  totalSteps = 1;
  private readonly optimizer: tf.Optimizer;
  private readonly schedule: Schedule;
  private readonly baseLr: number;
  private readonly weightDecay: number;
  private readonly decoupledDecay: boolean;
  private readonly clipNorm: number;

  constructor(readonly spec: OptimizerSpec) {
    const arg = (name: string, fallback: number): number => {
      const value = spec.args[name];
      return typeof value === "number" ? value : fallback;
    };
    this.baseLr = arg("lr", spec.name === "sgd" || spec.name === "rmsprop" ? 0.01 : 0.001);
    this.weightDecay = arg("weight_decay", spec.name === "adamw" ? 0.01 : 0);
    this.decoupledDecay = spec.name === "adamw";
    this.clipNorm = arg("clip_norm", 0);
    this.schedule = createSchedule(spec.schedule);
    const lr = this.baseLr;
    switch (spec.name) {
      case "sgd": {
        const momentum = arg("momentum", 0);
        this.optimizer = momentum > 0 ? tf.train.momentum(lr, momentum, spec.args["nesterov"] === true) : tf.train.sgd(lr);
        break;
      }
      case "adam":
      case "adamw":
        this.optimizer = tf.train.adam(lr, arg("beta1", 0.9), arg("beta2", 0.999), arg("eps", 1e-8));
        break;
      case "rmsprop":
        this.optimizer = tf.train.rmsprop(lr, arg("decay", 0.99), arg("momentum", 0), arg("eps", 1e-8));
        break;
      default:
        throw new Error(`the tfjs reference has no optimizer '${spec.name}'`);
    }
  }

  /** Applies one update to `variables` from `grads` (keyed by variable name); disposes nothing it was given. */
  apply(variables: readonly tf.Variable[], grads: tf.NamedTensorMap): void {
    const lr = this.schedule(this.baseLr, this.step, this.totalSteps);
    this.setLearningRate(lr);
    tf.tidy(() => {
      let adjusted: tf.NamedTensorMap = grads;
      if (this.clipNorm > 0) adjusted = clipByGlobalNorm(adjusted, this.clipNorm);
      if (this.weightDecay > 0) {
        if (this.decoupledDecay) {
          for (const v of variables) v.assign(tf.mul(v, 1 - lr * this.weightDecay));
        } else {
          const withDecay: tf.NamedTensorMap = {};
          for (const v of variables) withDecay[v.name] = tf.add(adjusted[v.name]!, tf.mul(v, this.weightDecay));
          adjusted = withDecay;
        }
      }
      // Always the same variable order: tfjs's optimizers index their slots by position.
      const ordered: tf.NamedTensorMap = {};
      for (const v of variables) ordered[v.name] = adjusted[v.name]!;
      this.optimizer.applyGradients(ordered);
    });
    this.step++;
  }

  dispose(): void {
    this.optimizer.dispose();
  }

  private setLearningRate(lr: number): void {
    // Not `instanceof`: tfjs's optimizers answer it for each other's instances (Symbol.hasInstance).
    if (this.spec.name === "sgd") {
      (this.optimizer as tf.SGDOptimizer).setLearningRate(lr);
    } else {
      // Adam and RMSProp read this field at every update but offer no setter.
      (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
    }
  }
}

function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
  const norm = Math.sqrt(tf.addN(squares).dataSync()[0]!);
  const factor = maxNorm / (norm + 1e-6);
  if (factor >= 1) return grads;
  const clipped: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, factor);
  return clipped;
}
