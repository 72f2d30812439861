import { afterEach, describe, expect, it, vi } from "vitest";
import type { FloatArray, OptimizerInfo, Parameter } from "../../runtime/model.js";
import { clipGradNorm, createOptimizer } from "../../runtime/optim.js";

// Reference updates written from the PyTorch documentation's pseudocode, in plain float64
// arrays, independently of runtime/optim.ts.

const START = [0.5, -1.25, 2.0, 0.0, -0.3];

/** A deterministic gradient that changes with the parameters and the step. */
function gradient(p: ArrayLike<number>, t: number): number[] {
  return Array.from(p, (v, i) => 2 * v - 0.3 * (i - 2) + 0.1 * Math.sin(t + i));
}

function optimizerInfo(name: string, args: Record<string, number | boolean>, schedule = { name: "constant", args: {} }): OptimizerInfo {
  return { name, args, schedule };
}

function param(values: number[], dtype: "float32" | "float64" = "float64", name = "w"): Parameter {
  const make = (v: number[]): FloatArray => (dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v));
  return { name, value: make(values), grad: make(values.map(() => 0)) };
}

/** Runs `steps` updates of the optimizer under test with `gradient`. */
function runOptimizer(info: OptimizerInfo, steps: number): number[] {
  const p = param(START);
  const opt = createOptimizer(info);
  for (let t = 1; t <= steps; t++) {
    p.grad.set(gradient(p.value, t));
    opt.update([p]);
  }
  return Array.from(p.value);
}

type Reference = (p: number[], g: number[], state: Record<string, number[]>, t: number) => void;

function runReference(step: Reference, steps: number): number[] {
  const p = START.slice();
  const state: Record<string, number[]> = {};
  for (let t = 1; t <= steps; t++) step(p, gradient(p, t), state, t);
  return p;
}

function zeros(): number[] {
  return START.map(() => 0);
}

function sgdReference(lr: number, momentum: number, dampening: number, nesterov: boolean, wd: number): Reference {
  return (p, g, state, t) => {
    for (let i = 0; i < p.length; i++) {
      let d = g[i]! + wd * p[i]!;
      if (momentum !== 0) {
        const buf = (state.buf ??= zeros());
        buf[i] = t === 1 ? d : momentum * buf[i]! + (1 - dampening) * d;
        d = nesterov ? d + momentum * buf[i]! : buf[i]!;
      }
      p[i] = p[i]! - lr * d;
    }
  };
}

function adamReference(lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean): Reference {
  return (p, g, state, t) => {
    const m = (state.m ??= zeros());
    const v = (state.v ??= zeros());
    for (let i = 0; i < p.length; i++) {
      let gi = g[i]!;
      if (decoupled) p[i] = p[i]! - lr * wd * p[i]!;
      else gi += wd * p[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      const mHat = m[i]! / (1 - b1 ** t);
      const vHat = v[i]! / (1 - b2 ** t);
      // PyTorch's form: eps is added to sqrt(v)/sqrt(1-b2^t), i.e. to sqrt(vHat).
      p[i] = p[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  };
}

function rmspropReference(lr: number, alpha: number, eps: number, momentum: number, centered: boolean, wd: number): Reference {
  return (p, g, state) => {
    const sa = (state.sa ??= zeros());
    const ga = (state.ga ??= zeros());
    const buf = (state.buf ??= zeros());
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]! + wd * p[i]!;
      sa[i] = alpha * sa[i]! + (1 - alpha) * gi * gi;
      let avg = sa[i]!;
      if (centered) {
        ga[i] = alpha * ga[i]! + (1 - alpha) * gi;
        avg -= ga[i]! * ga[i]!;
      }
      const denom = Math.sqrt(avg) + eps;
      if (momentum > 0) {
        buf[i] = momentum * buf[i]! + gi / denom;
        p[i] = p[i]! - lr * buf[i]!;
      } else {
        p[i] = p[i]! - (lr * gi) / denom;
      }
    }
  };
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected[i]!))));
}

const STEPS = 6;

describe("optimizers follow PyTorch's update rules", () => {
  const cases: [string, OptimizerInfo, Reference][] = [
    ["plain sgd", optimizerInfo("sgd", { lr: 0.1 }), sgdReference(0.1, 0, 0, false, 0)],
    ["sgd with momentum", optimizerInfo("sgd", { lr: 0.1, momentum: 0.9 }), sgdReference(0.1, 0.9, 0, false, 0)],
    ["sgd with dampening", optimizerInfo("sgd", { lr: 0.1, momentum: 0.9, dampening: 0.3 }), sgdReference(0.1, 0.9, 0.3, false, 0)],
    ["sgd nesterov + weight decay", optimizerInfo("sgd", { lr: 0.05, momentum: 0.8, nesterov: true, weight_decay: 0.01 }), sgdReference(0.05, 0.8, 0, true, 0.01)],
    ["adam", optimizerInfo("adam", { lr: 0.01 }), adamReference(0.01, 0.9, 0.999, 1e-8, 0, false)],
    ["adam with L2 weight decay", optimizerInfo("adam", { lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weight_decay: 0.1 }), adamReference(0.01, 0.8, 0.99, 1e-6, 0.1, false)],
    ["adamw (default decay 0.01)", optimizerInfo("adamw", { lr: 0.003 }), adamReference(0.003, 0.9, 0.999, 1e-8, 0.01, true)],
    ["adamw with decay 0.2", optimizerInfo("adamw", { lr: 0.01, weight_decay: 0.2 }), adamReference(0.01, 0.9, 0.999, 1e-8, 0.2, true)],
    ["rmsprop", optimizerInfo("rmsprop", { lr: 0.01 }), rmspropReference(0.01, 0.99, 1e-8, 0, false, 0)],
    ["rmsprop decay 0.9 + momentum", optimizerInfo("rmsprop", { lr: 0.01, decay: 0.9, momentum: 0.5 }), rmspropReference(0.01, 0.9, 1e-8, 0.5, false, 0)],
    ["rmsprop centered + weight decay", optimizerInfo("rmsprop", { lr: 0.01, centered: true, weight_decay: 0.05 }), rmspropReference(0.01, 0.99, 1e-8, 0, true, 0.05)],
  ];

  it.each(cases)("%s", (_name, info, reference) => {
    expectClose(runOptimizer(info, STEPS), runReference(reference, STEPS));
  });

  it("counts steps and reports the learning rate", () => {
    const opt = createOptimizer(optimizerInfo("adam", { lr: 0.002 }));
    expect(opt.lr).toBe(0.002);
    expect(opt.currentLr()).toBe(0.002);
    const p = param([1, 2]);
    opt.update([p]);
    opt.update([p]);
    expect(opt.step).toBe(2);
  });

  it("uses the overridden base learning rate (--lr)", () => {
    const info = optimizerInfo("sgd", { lr: 0.5 });
    const opt = createOptimizer(info);
    opt.lr = 0.1;
    const p = param([1]);
    p.grad[0] = 2;
    opt.update([p]);
    expect(p.value[0]).toBeCloseTo(1 - 0.1 * 2, 15);
  });

  it("applies the schedule's rate at each step", () => {
    const opt = createOptimizer(optimizerInfo("sgd", { lr: 1 }, { name: "step", args: { every: 2, gamma: 0.5 } }));
    const p = param([0]);
    const values: number[] = [];
    for (let t = 0; t < 5; t++) {
      p.grad[0] = -1; // each update adds the learning rate
      const before = p.value[0]!;
      opt.update([p]);
      values.push(p.value[0]! - before);
    }
    expect(values).toEqual([1, 1, 0.5, 0.5, 0.25]);
  });
});

describe("gradient clipping", () => {
  it("scales by max_norm / (norm + 1e-6) over all parameters together", () => {
    const a = param([3, 0]);
    const b = param([0, 4]);
    a.grad.set([3, 0]);
    b.grad.set([0, 4]);
    const norm = clipGradNorm([a, b], 1);
    expect(norm).toBe(5);
    const scale = 1 / (5 + 1e-6);
    expect(Array.from(a.grad)).toEqual([3 * scale, 0]);
    expect(Array.from(b.grad)).toEqual([0, 4 * scale]);
  });

  it("leaves gradients under the bound alone", () => {
    const a = param([0, 0]);
    a.grad.set([0.3, 0.4]);
    clipGradNorm([a], 1);
    expect(Array.from(a.grad)).toEqual([0.3, 0.4]);
  });

  it("clips before the update when clip_norm > 0", () => {
    const opt = createOptimizer(optimizerInfo("sgd", { lr: 1, clip_norm: 1 }));
    const p = param([0, 0]);
    p.grad.set([30, 40]);
    opt.update([p]);
    expectClose(Array.from(p.value), [-30 / (50 + 1e-6), -40 / (50 + 1e-6)]);
  });
});

describe("optimizer state", () => {
  const infos = [
    optimizerInfo("sgd", { lr: 0.1, momentum: 0.9 }),
    optimizerInfo("adam", { lr: 0.01 }),
    optimizerInfo("adamw", { lr: 0.01, clip_norm: 0.5 }, { name: "cosine", args: { warmup: 2 } }),
    optimizerInfo("rmsprop", { lr: 0.01, momentum: 0.3, centered: true }),
  ];

  it.each(infos.map((i) => [i.name, i] as const))("%s: getState/setState resume bit for bit (float32 parameters)", (_n, info) => {
    const run = (p: Parameter, opt: ReturnType<typeof createOptimizer>, from: number, to: number) => {
      for (let t = from; t < to; t++) {
        p.grad.set(gradient(p.value, t));
        opt.update([p]);
      }
    };
    const straight = param(START, "float32");
    const a = createOptimizer(info);
    a.totalSteps = 10;
    run(straight, a, 0, 10);

    const first = param(START, "float32");
    const b = createOptimizer(info);
    b.totalSteps = 10;
    run(first, b, 0, 4);
    const saved = b.getState();
    const resumed = param(Array.from(first.value), "float32");
    const c = createOptimizer(info);
    c.totalSteps = 10;
    c.setState(saved);
    expect(c.step).toBe(4);
    expect(c.getState()).toEqual(saved);
    run(resumed, c, 4, 10);
    expect(resumed.value).toEqual(straight.value);
  });

  it("names state entries by parameter and slot", () => {
    const opt = createOptimizer(optimizerInfo("adam", {}));
    opt.update([param([1, 2], "float64", "dense_0.weight"), param([3], "float64", "dense_0.bias")]);
    expect([...opt.getState().keys()]).toEqual([
      "step",
      "dense_0.weight.exp_avg",
      "dense_0.weight.exp_avg_sq",
      "dense_0.bias.exp_avg",
      "dense_0.bias.exp_avg_sq",
    ]);
  });

  it("rejects state that does not fit the parameters", () => {
    const saved = createOptimizer(optimizerInfo("adam", {}));
    saved.update([param([1, 2])]);
    const state = saved.getState();
    const wrongSize = createOptimizer(optimizerInfo("adam", {}));
    wrongSize.setState(state);
    expect(() => wrongSize.update([param([1, 2, 3])])).toThrow(/'w.exp_avg' has 2 values, the parameter has 3/);
    const otherOptimizer = createOptimizer(optimizerInfo("sgd", { momentum: 0.9 }));
    otherOptimizer.setState(state);
    expect(() => otherOptimizer.update([param([1, 2])])).toThrow(/unexpected entry 'w.exp_avg' \(a different optimizer or model\?\)/);
    expect(() => createOptimizer(optimizerInfo("adam", {})).setState(new Map())).toThrow(/no valid 'step'/);
  });
});

describe("update() allocates nothing after the first call", () => {
  let allocations = 0;
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  function countTypedArrays(): void {
    // Subclasses that count constructions stand in for the globals the optimizer uses.
    class CountingFloat32Array extends Float32Array {
      constructor(length: number) {
        super(length);
        allocations++;
      }
    }
    class CountingFloat64Array extends Float64Array {
      constructor(length: number) {
        super(length);
        allocations++;
      }
    }
    vi.stubGlobal("Float32Array", CountingFloat32Array);
    vi.stubGlobal("Float64Array", CountingFloat64Array);
  }

  it.each(infos())("%s", (_name, info) => {
    countTypedArrays();
    const params = [param([1, 2, 3], "float32", "a"), param([4, 5], "float64", "b")];
    const opt = createOptimizer(info);
    opt.totalSteps = 100;
    allocations = 0;
    for (const p of params) p.grad.fill(0.5);
    opt.update(params);
    const first = allocations;
    for (let t = 0; t < 20; t++) {
      for (const p of params) p.grad.fill(t);
      opt.update(params);
    }
    expect(allocations - first).toBe(0);
    if (info.name !== "sgd") expect(first).toBeGreaterThan(0); // the counter does see the state arrays
  });

  function infos(): [string, OptimizerInfo][] {
    return [
      ["sgd", optimizerInfo("sgd", { lr: 0.1, clip_norm: 1 })],
      ["sgd momentum", optimizerInfo("sgd", { lr: 0.1, momentum: 0.9, nesterov: true })],
      ["adam", optimizerInfo("adam", { lr: 0.1, clip_norm: 1 }, { name: "cosine", args: { warmup: 3 } })],
      ["adamw", optimizerInfo("adamw", { lr: 0.1 }, { name: "step", args: { every: 3, gamma: 0.5 } })],
      ["rmsprop", optimizerInfo("rmsprop", { lr: 0.1, momentum: 0.9, centered: true })],
    ];
  }
});

describe("createOptimizer rejects bad declarations with a clear message", () => {
  it.each([
    [optimizerInfo("adagrad", {}), /unknown optimizer 'adagrad' \(known: sgd, adam, adamw, rmsprop\)/],
    [optimizerInfo("adam", { momentum: 0.9 }), /adam has no argument 'momentum' \(it takes: lr, beta1/],
    [optimizerInfo("sgd", { nesterov: 1 }), /'nesterov' must be a boolean/],
    [optimizerInfo("sgd", { lr: -1 }), /'lr' must not be negative/],
    [optimizerInfo("sgd", { lr: 0.1, nesterov: true }), /nesterov needs a momentum above 0/],
    [optimizerInfo("adam", { beta1: 1 }), /beta1 must be in \[0, 1\)/],
    [optimizerInfo("adam", {}, { name: "linear", args: {} }), /unknown schedule 'linear'/],
  ] as const)("%o", (info, message) => {
    expect(() => createOptimizer(info)).toThrow(message);
  });
});
