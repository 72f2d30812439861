// Optimizers and learning-rate schedules, with PyTorch's defaults. The runtime
// (runtime/optim.ts, runtime/schedule.ts) implements them; the checker fills every argument.
import { MAX_BATCH, MAX_SEED } from "../../runtime/limits.js";
import type { ArgDecl, OptimizerEntry, ScheduleEntry } from "./types.js";

const lr = (value: number): ArgDecl => ({
  name: "lr",
  type: { kind: "float", min: 0, minExclusive: true },
  default: value,
  doc: "learning rate",
});
const weightDecay = (value: number, doc: string): ArgDecl => ({
  name: "weight_decay",
  type: { kind: "float", min: 0 },
  default: value,
  doc,
});
const eps: ArgDecl = { name: "eps", type: { kind: "float", min: 0, minExclusive: true }, default: 1e-8, doc: "added to the denominator" };
const beta = (name: string, value: number): ArgDecl => ({
  name,
  type: { kind: "float", min: 0, max: 1, maxExclusive: true },
  default: value,
  doc: `decay of the ${name === "beta1" ? "first" : "second"} moment`,
});
const momentum: ArgDecl = { name: "momentum", type: { kind: "float", min: 0, max: 1, maxExclusive: true }, default: 0, doc: "momentum factor" };

/** Every optimizer also clips gradients and follows a schedule. */
const common: ArgDecl[] = [
  { name: "clip_norm", type: { kind: "float", min: 0 }, default: 0, doc: "clip the global gradient norm to this (0: no clipping)" },
  { name: "schedule", type: { kind: "schedule" }, default: "constant", doc: "learning-rate schedule, counted in steps" },
];

const adamArgs = (decay: ArgDecl): ArgDecl[] => [lr(0.001), beta("beta1", 0.9), beta("beta2", 0.999), eps, decay, ...common];

export const optimizers: readonly OptimizerEntry[] = [
  {
    name: "sgd",
    doc: "Stochastic gradient descent, with optional (Nesterov) momentum.",
    args: [
      lr(0.01),
      momentum,
      { name: "nesterov", type: { kind: "bool" }, default: false, doc: "Nesterov momentum" },
      weightDecay(0, "L2 penalty added to the gradient"),
      ...common,
    ],
  },
  { name: "adam", doc: "Adam with bias correction.", args: adamArgs(weightDecay(0, "L2 penalty added to the gradient")) },
  { name: "adamw", doc: "Adam with decoupled weight decay.", args: adamArgs(weightDecay(0.01, "decoupled weight decay")) },
  {
    name: "rmsprop",
    doc: "RMSprop; `decay` is PyTorch's alpha.",
    args: [
      lr(0.01),
      { name: "decay", type: { kind: "float", min: 0, max: 1, maxExclusive: true }, default: 0.99, doc: "smoothing of the squared gradient" },
      eps,
      momentum,
      weightDecay(0, "L2 penalty added to the gradient"),
      ...common,
    ],
  },
];

export const schedules: readonly ScheduleEntry[] = [
  { name: "constant", doc: "The optimizer's lr throughout.", args: [] },
  {
    name: "step",
    doc: "lr * gamma^floor(step / every).",
    args: [
      { name: "every", type: { kind: "int", min: 1 }, doc: "steps between decays" },
      { name: "gamma", type: { kind: "float", min: 0, minExclusive: true }, default: 0.1, doc: "decay factor" },
    ],
  },
  {
    name: "cosine",
    doc: "Linear warm-up from 0 over `warmup` steps, then cosine decay to 0 at the last step.",
    args: [{ name: "warmup", type: { kind: "int", min: 0 }, default: 0, doc: "warm-up steps" }],
  },
];

/**
 * The batch size where neither `train { batch }` nor `--batch` gives one. The runtime, which
 * cannot import the library, states it too (`DEFAULT_BATCH_SIZE`); a test holds the two equal.
 */
export const DEFAULT_BATCH = 32;

/** The keys of a `train { ... }` block and what each accepts. */
export const trainKeys: readonly ArgDecl[] = [
  { name: "batch", type: { kind: "int", min: 1, max: MAX_BATCH }, defaultDoc: String(DEFAULT_BATCH), doc: "samples per step" },
  { name: "epochs", type: { kind: "int", min: 1, max: Number.MAX_SAFE_INTEGER }, doc: "passes over the training data" },
  { name: "seed", type: { kind: "int", min: 0, max: MAX_SEED }, doc: "seed of the init, dropout and shuffling generators" },
];
