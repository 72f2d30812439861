// Optimizers, with PyTorch's update rules exactly (torch.optim, foreach=False semantics).
// One registry entry per optimizer: its arguments with defaults, its state slots per
// parameter, and its element-wise update. Shared by all: the learning-rate schedule, global
// norm clipping (`clip_norm`), the step counter, and state kept in checkpoints.
//
// State arrays (moments, momentum buffers) are allocated once, on the first update, in the
// parameter's own dtype as PyTorch keeps them; later updates allocate nothing.

import type { FloatArray, Optimizer, OptimizerInfo, Parameter } from "./model.js";
import { createSchedule, type Schedule } from "./schedule.js";

type Args = Record<string, number | boolean>;

/** Updates one parameter in place from its grad; `t` is this update's 1-based step number. */
type UpdateRule = (value: FloatArray, grad: FloatArray, slots: FloatArray[], lr: number, t: number) => void;

/** A WebAssembly kernel: numbers in (byte addresses, lengths, scalars), as runtime/wasm.ts's WasmKernel. */
type Kernel = (...args: number[]) => number | undefined;

/**
 * Where a `--backend wasm` model keeps its optimizer: the state arrays as views of a region of
 * the one WebAssembly.Memory (carved in parameter order), and the Adam step compiled into the
 * model's module (compiler/wasm/adam.ts), null where the model runs its JavaScript kernels.
 */
export interface OptimizerMemory {
  slots: Float32Array;
  adam: Kernel | null;
}

interface OptimizerEntry {
  /** Every argument with its default (PyTorch's, or the language's where it says otherwise). */
  args: Args;
  /** Names of the per-parameter state arrays, in the order the rule receives them. */
  slots(args: Args): string[];
  make(args: Args, memory: OptimizerMemory | null): UpdateRule;
}

const num = (args: Args, name: string): number => args[name] as number;
const flag = (args: Args, name: string): boolean => args[name] as boolean;

/**
 * torch.optim.SGD: d = g + wd*p; with momentum, buf = d on the first step, then
 * buf = momentum*buf + (1-dampening)*d; d = nesterov ? d + momentum*buf : buf; p -= lr*d.
 */
const sgd: OptimizerEntry = {
  args: { lr: 0.01, momentum: 0, dampening: 0, nesterov: false, weight_decay: 0, clip_norm: 0 },
  slots: (args) => (num(args, "momentum") !== 0 ? ["momentum_buffer"] : []),
  make(args) {
    const momentum = num(args, "momentum");
    const dampening = num(args, "dampening");
    const nesterov = flag(args, "nesterov");
    const wd = num(args, "weight_decay");
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new Error("sgd: nesterov needs a momentum above 0 and dampening 0 (as in PyTorch)");
    }
    if (momentum === 0) {
      return (p, g, _slots, lr) => {
        for (let i = 0; i < p.length; i++) p[i] = p[i]! - lr * (g[i]! + wd * p[i]!);
      };
    }
    return (p, g, slots, lr, t) => {
      const buf = slots[0]!;
      for (let i = 0; i < p.length; i++) {
        const d = g[i]! + wd * p[i]!;
        const b = t === 1 ? d : momentum * buf[i]! + (1 - dampening) * d;
        buf[i] = b;
        p[i] = p[i]! - lr * (nesterov ? d + momentum * buf[i]! : buf[i]!);
      }
    };
  },
};

/**
 * torch.optim.Adam / AdamW (amsgrad off): m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 * p -= (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps). Adam adds wd*p to g (L2);
 * AdamW first decays p *= 1 - lr*wd (decoupled).
 */
function adamEntry(decoupled: boolean, defaultDecay: number): OptimizerEntry {
  return {
    args: { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: defaultDecay, clip_norm: 0 },
    slots: () => ["exp_avg", "exp_avg_sq"],
    make(args, memory) {
      const b1 = num(args, "beta1");
      const b2 = num(args, "beta2");
      const eps = num(args, "eps");
      const wd = num(args, "weight_decay");
      for (const [name, beta] of [["beta1", b1], ["beta2", b2]] as const) {
        if (!(beta >= 0 && beta < 1)) throw new Error(`${decoupled ? "adamw" : "adam"}: ${name} must be in [0, 1), got ${beta}`);
      }
      // The update runs over every weight every step (a tenth of an mnist_mlp step), so the
      // loop is kept to one sqrt and one division per element: the moments stay in locals
      // rather than being read back, sqrt(1 - b2^t) is applied as a reciprocal, and the
      // common case without weight decay has a loop of its own.
      const c1 = 1 - b1;
      const c2 = 1 - b2;
      const kernel = memory?.adam ?? null;
      return (p, g, slots, lr, t) => {
        const m = slots[0]!;
        const v = slots[1]!;
        const stepSize = lr / (1 - Math.pow(b1, t));
        const invBc2Sqrt = 1 / Math.sqrt(1 - Math.pow(b2, t));
        const length = p.length;
        // The kernel reads and writes the memory itself: every array must be a view of it.
        if (kernel !== null && p.buffer === m.buffer && g.buffer === m.buffer && v.buffer === m.buffer) {
          const decay = decoupled ? 1 - lr * wd : 1;
          kernel(p.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, length, stepSize, invBc2Sqrt, b1, c1, b2, c2, eps, decay, decoupled ? 0 : wd);
          return;
        }
        if (wd === 0) {
          for (let i = 0; i < length; i++) {
            const gi = g[i]!;
            const mi = b1 * m[i]! + c1 * gi;
            const vi = b2 * v[i]! + c2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi) * invBc2Sqrt + eps);
          }
          return;
        }
        const decay = decoupled ? 1 - lr * wd : 1;
        const l2 = decoupled ? 0 : wd;
        for (let i = 0; i < length; i++) {
          const pi = p[i]! * decay;
          const gi = g[i]! + l2 * pi;
          const mi = b1 * m[i]! + c1 * gi;
          const vi = b2 * v[i]! + c2 * gi * gi;
          m[i] = mi;
          v[i] = vi;
          p[i] = pi - (stepSize * mi) / (Math.sqrt(vi) * invBc2Sqrt + eps);
        }
      };
    },
  };
}

/**
 * torch.optim.RMSprop with alpha = `decay`: sa = alpha*sa + (1-alpha)*g^2 (g with L2 added);
 * centered: ga = alpha*ga + (1-alpha)*g, avg = sqrt(sa - ga^2) + eps, else avg = sqrt(sa) + eps;
 * with momentum buf = momentum*buf + g/avg, p -= lr*buf; without, p -= lr*g/avg.
 */
const rmsprop: OptimizerEntry = {
  args: { lr: 0.01, decay: 0.99, eps: 1e-8, momentum: 0, centered: false, weight_decay: 0, clip_norm: 0 },
  slots: (args) => [
    "square_avg",
    ...(num(args, "momentum") !== 0 ? ["momentum_buffer"] : []),
    ...(flag(args, "centered") ? ["grad_avg"] : []),
  ],
  make(args) {
    const alpha = num(args, "decay");
    const eps = num(args, "eps");
    const momentum = num(args, "momentum");
    const centered = flag(args, "centered");
    const wd = num(args, "weight_decay");
    const bufSlot = momentum !== 0 ? 1 : -1;
    const avgSlot = centered ? (momentum !== 0 ? 2 : 1) : -1;
    return (p, g, slots, lr) => {
      const sa = slots[0]!;
      const buf = bufSlot >= 0 ? slots[bufSlot]! : null;
      const ga = avgSlot >= 0 ? slots[avgSlot]! : null;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! + wd * p[i]!;
        sa[i] = alpha * sa[i]! + (1 - alpha) * gi * gi;
        let avg: number;
        if (ga !== null) {
          ga[i] = alpha * ga[i]! + (1 - alpha) * gi;
          avg = Math.sqrt(sa[i]! - ga[i]! * ga[i]!) + eps;
        } else {
          avg = Math.sqrt(sa[i]!) + eps;
        }
        if (buf !== null) {
          buf[i] = momentum * buf[i]! + gi / avg;
          p[i] = p[i]! - lr * buf[i]!;
        } else {
          p[i] = p[i]! - (lr * gi) / avg;
        }
      }
    };
  },
};

const OPTIMIZERS: Record<string, OptimizerEntry> = {
  sgd,
  adam: adamEntry(false, 0),
  adamw: adamEntry(true, 0.01),
  rmsprop,
};

/** The names of the supported optimizers. */
export const optimizerNames: readonly string[] = Object.keys(OPTIMIZERS);

/**
 * The arguments an optimizer takes, with the defaults it falls back on; the language's library
 * states the same defaults (test/runtime/library-defaults.test.ts holds the two together).
 */
export function optimizerDefaults(name: string): Readonly<Record<string, number | boolean>> | undefined {
  return Object.hasOwn(OPTIMIZERS, name) ? OPTIMIZERS[name]!.args : undefined;
}

/** Name of the step counter in `getState()`; every other key is `<param>.<slot>`. */
export const STEP_STATE_KEY = "step";

function resolveArgs(info: OptimizerInfo, entry: OptimizerEntry): Args {
  const args: Args = { ...entry.args };
  for (const [name, value] of Object.entries(info.args)) {
    if (!Object.hasOwn(entry.args, name)) {
      throw new Error(`optimizer ${info.name} has no argument '${name}' (it takes: ${Object.keys(entry.args).join(", ")})`);
    }
    const expected = typeof entry.args[name];
    if (typeof value !== expected) {
      throw new Error(`optimizer ${info.name}: '${name}' must be a ${expected}, got ${String(value)}`);
    }
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new Error(`optimizer ${info.name}: '${name}' must be a finite number, got ${value}`);
    }
    args[name] = value;
  }
  for (const name of ["lr", "weight_decay", "clip_norm", "momentum", "eps"]) {
    const value = args[name];
    if (typeof value === "number" && value < 0) {
      throw new Error(`optimizer ${info.name}: '${name}' must not be negative, got ${value}`);
    }
  }
  return args;
}

class RegistryOptimizer implements Optimizer {
  step = 0;
  totalSteps = 0;
  lr: number;

  private readonly slotNames: string[];
  private readonly rule: UpdateRule;
  private readonly schedule: Schedule;
  private readonly clipNorm: number;
  /** Per parameter, its slot arrays; null until the first update. */
  private slots: FloatArray[][] | null = null;
  private paramNames: string[] = [];
  /** State restored before the first update, applied when the arrays are allocated. */
  private pending: Map<string, Float64Array> | null = null;

  constructor(
    readonly info: OptimizerInfo,
    entry: OptimizerEntry,
    private readonly memory: OptimizerMemory | null,
  ) {
    const args = resolveArgs(info, entry);
    this.lr = num(args, "lr");
    this.clipNorm = num(args, "clip_norm");
    this.slotNames = entry.slots(args);
    this.rule = entry.make(args, memory);
    this.schedule = createSchedule(info.schedule);
  }

  currentLr(): number {
    return this.schedule(this.lr, this.step, this.totalSteps);
  }

  update(params: readonly Parameter[]): void {
    const slots = this.slots ?? this.allocate(params);
    if (params.length !== slots.length) {
      throw new Error(`optimizer ${this.info.name}: update called with ${params.length} parameters, state holds ${slots.length}`);
    }
    if (this.clipNorm > 0) clipGradNorm(params, this.clipNorm);
    const lr = this.currentLr();
    const t = this.step + 1;
    for (let i = 0; i < params.length; i++) {
      const param = params[i]!;
      this.rule(param.value, param.grad, slots[i]!, lr, t);
    }
    this.step = t;
  }

  getState(): Map<string, Float64Array> {
    const state = new Map<string, Float64Array>([[STEP_STATE_KEY, Float64Array.of(this.step)]]);
    if (this.slots !== null) {
      this.slots.forEach((arrays, i) => {
        arrays.forEach((array, s) => state.set(`${this.paramNames[i]}.${this.slotNames[s]}`, Float64Array.from(array)));
      });
    } else if (this.pending !== null) {
      for (const [key, array] of this.pending) if (key !== STEP_STATE_KEY) state.set(key, array.slice());
    }
    return state;
  }

  setState(state: Map<string, Float64Array>): void {
    const step = state.get(STEP_STATE_KEY);
    if (step === undefined || step.length !== 1 || !Number.isInteger(step[0]) || step[0]! < 0) {
      throw new Error(`optimizer state has no valid '${STEP_STATE_KEY}' entry`);
    }
    if (this.slots !== null) {
      this.checkKeys(state);
      this.slots.forEach((arrays, i) => arrays.forEach((array, s) => array.set(this.slotState(state, i, s, array.length))));
    } else {
      this.pending = new Map([...state].map(([key, array]) => [key, array.slice()]));
    }
    this.step = step[0]!;
  }

  private allocate(params: readonly Parameter[]): FloatArray[][] {
    this.paramNames = params.map((p) => p.name);
    const region = this.memory?.slots;
    const needed = params.reduce((sum, p) => sum + p.value.length, 0) * this.slotNames.length;
    const inMemory = region !== undefined && needed <= region.length && params.every((p) => p.value instanceof Float32Array);
    let at = 0;
    const carve = (length: number): Float32Array => {
      const view = region!.subarray(at, at + length);
      at += length;
      return view.fill(0);
    };
    const slots = params.map((p) =>
      this.slotNames.map(() =>
        inMemory ? carve(p.value.length) : p.value instanceof Float64Array ? new Float64Array(p.value.length) : new Float32Array(p.value.length),
      ),
    );
    this.slots = slots;
    if (this.pending !== null) {
      const pending = this.pending;
      this.pending = null;
      this.checkKeys(pending);
      slots.forEach((arrays, i) => arrays.forEach((array, s) => array.set(this.slotState(pending, i, s, array.length))));
    }
    return slots;
  }

  private slotState(state: Map<string, Float64Array>, param: number, slot: number, length: number): Float64Array {
    const key = `${this.paramNames[param]}.${this.slotNames[slot]}`;
    const array = state.get(key);
    if (array === undefined) throw new Error(`optimizer state is missing '${key}'`);
    if (array.length !== length) {
      throw new Error(`optimizer state '${key}' has ${array.length} values, the parameter has ${length}`);
    }
    return array;
  }

  private checkKeys(state: Map<string, Float64Array>): void {
    const expected = new Set([STEP_STATE_KEY]);
    for (const name of this.paramNames) for (const slot of this.slotNames) expected.add(`${name}.${slot}`);
    for (const key of state.keys()) {
      if (!expected.has(key)) throw new Error(`optimizer state has an unexpected entry '${key}' (a different optimizer or model?)`);
    }
  }
}

/**
 * torch.nn.utils.clip_grad_norm_: scales every grad by maxNorm / (norm + 1e-6) when that is
 * below 1, norm being the 2-norm over all grads together. Returns the norm before clipping.
 */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number): number {
  let sumSq = 0;
  for (let p = 0; p < params.length; p++) {
    const g = params[p]!.grad;
    for (let i = 0; i < g.length; i++) sumSq += g[i]! * g[i]!;
  }
  const norm = Math.sqrt(sumSq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (let p = 0; p < params.length; p++) {
      const g = params[p]!.grad;
      for (let i = 0; i < g.length; i++) g[i] = g[i]! * coef;
    }
  }
  return norm;
}

/**
 * The keys `getState()` of this optimizer returns for parameters named `paramNames`, so that
 * a checkpoint can be checked against the model before training resumes.
 */
export function optimizerStateKeys(info: OptimizerInfo, paramNames: readonly string[]): string[] {
  const entry = Object.hasOwn(OPTIMIZERS, info.name) ? OPTIMIZERS[info.name] : undefined;
  if (entry === undefined) throw new Error(`unknown optimizer '${info.name}' (known: ${optimizerNames.join(", ")})`);
  const slots = entry.slots(resolveArgs(info, entry));
  return [STEP_STATE_KEY, ...paramNames.flatMap((name) => slots.map((slot) => `${name}.${slot}`))];
}

/**
 * An optimizer from its declaration; throws an Error naming an unknown optimizer, argument or
 * schedule. `memory`: a wasm model's region for the state and its Adam kernel.
 */
export function createOptimizer(info: OptimizerInfo, memory: OptimizerMemory | null = null): Optimizer {
  const entry = Object.hasOwn(OPTIMIZERS, info.name) ? OPTIMIZERS[info.name] : undefined;
  if (entry === undefined) {
    throw new Error(`unknown optimizer '${info.name}' (known: ${optimizerNames.join(", ")})`);
  }
  return new RegistryOptimizer(info, entry, memory);
}
