// lif and repeat in WebAssembly (compiler/wasm/lif.ts, time.ts) against their JavaScript
// kernels: small spiking models, compiled for wasm and js and created from the same seed,
// give the same loss, outputs and gradients, for every reset mode and surrogate, spikes and
// membranes, learned β and θ, an input gradient assigned and added (a repeat feeding two
// lifs), neuron counts below, at and past a multiple of four, and batches 1, 4 and 9; and a
// layer big enough to split by samples gives the same bytes on 1, 2 and 3 threads.

import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import { emitModule, type Backend } from "../../../compiler/compile.js";
import type { ModelGraph } from "../../../compiler/graph.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import type { CompiledModel, FloatArray, TensorInfo } from "../../../runtime/model.js";
import { useNodeThreads } from "../../../runtime/node/threads.js";
import { sequence } from "./harness.js";

function graph(text: string): ModelGraph {
  const result = checkText(text, "spiking.nn");
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((d) => d.message).join("; "));
  return result.models[0]!;
}

interface Variant {
  reset: string;
  surrogate: string;
  /** Neurons of the first lif layer. */
  width: number;
  steps: number;
}

/** Two lifs on one repeat (its gradient added), learned β and θ, then a membrane-output lif. */
function model(v: Variant): string {
  const lif = `reset: ${v.reset}, surrogate: ${v.surrogate}, threshold: 0.3`;
  return `model Spiking {
  input image: [5]
  target digit: int(3)
  r = image |> dense(${v.width}) |> repeat(${v.steps})
  a = r |> lif(beta: 0.9, ${lif}, learn_beta: true, learn_threshold: true)
  b = r |> lif(beta: 0.7, ${lif})
  output mem = (a + b) |> dense(3) |> lif(beta: 0.95, ${lif}, membrane: true, learn_beta: true)
  loss softmax_cross_entropy_sum_time(mem, digit)
  optimizer sgd(lr: 0.1)
}
`;
}

const variants: Variant[] = [
  { reset: "subtract", surrogate: "atan(alpha: 2)", width: 7, steps: 5 },
  { reset: "zero", surrogate: "fast_sigmoid(slope: 25)", width: 8, steps: 3 },
  { reset: "none", surrogate: "atan(alpha: 3)", width: 1, steps: 1 },
  { reset: "subtract", surrogate: "fast_sigmoid(slope: 5)", width: 13, steps: 25 },
];

/** Float inputs in the model's dtype (the same float32 values for a float64 model). */
function tensors(list: readonly TensorInfo[], n: number, seed: number, scale: number, dtype = "float32"): Record<string, FloatArray | Int32Array> {
  const out: Record<string, FloatArray | Int32Array> = {};
  list.forEach((t, i) => {
    const values = sequence(n * t.shape.reduce((a, b) => a * b, 1), seed + i).map((v) => v * scale);
    if (t.kind === "int") out[t.name] = Int32Array.from(values, (v) => Math.floor(((v / scale + 1) / 2) * (t.vocab ?? 1)));
    else out[t.name] = dtype === "float64" ? Float64Array.from(values) : values;
  });
  return out;
}

interface Run {
  loss: number;
  outputs: Map<string, FloatArray>;
  grads: Map<string, FloatArray>;
}

function run(model: CompiledModel, n: number): Run {
  // Inputs large enough that many neurons spike, and some reset, within a few steps.
  const b = { size: n, inputs: tensors(model.info.inputs, n, 11, 3, model.info.dtype), targets: tensors(model.info.targets, n, 101, 1) };
  const loss = model.forwardBackward(b as never);
  const grads = new Map([...model.getGradients!()].map(([k, v]) => [k, v.slice()]));
  const predicted = model.predict(b.inputs as never, n) as Record<string, FloatArray>;
  return { loss, outputs: new Map(Object.entries(predicted).map(([k, v]) => [k, v.slice()])), grads };
}

/** Within float32 summation error of the tensor's largest magnitude (the dense products add in another order). */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!) / scale, `${what} [${i}]: ${a[i]} against ${b[i]}`).toBeLessThan(2e-5);
}

async function created(g: ModelGraph, backend: Backend): Promise<CompiledModel> {
  const { module } = await loadModelFromGraph(g, { backend });
  return module.create({ seed: 3, maxBatch: 9 });
}

describe("lif and repeat in WebAssembly", () => {
  for (const v of variants) {
    const name = `reset ${v.reset}, ${v.surrogate}, ${v.width} neurons, ${v.steps} steps`;
    it(`${name}: loss, outputs and gradients as the JavaScript kernels', batches 1, 4 and 9`, async () => {
      const g = graph(model(v));
      const source = emitModule(g, { backend: "wasm" });
      // Every lif and repeat, forward and backward, calls a wasm kernel.
      // (Each use calls its kernel's adapter, `k.k5_lif(...)` with `k` the model's adapters, which calls the wasm kernel `kw.k5_lif(...)`.)
      for (const op of ["lif", "lif_backward", "repeat", "repeat_backward"]) {
        expect(source).toMatch(new RegExp(`\\bkw\\.k\\d+_${op}\\(`));
        expect(source).toMatch(new RegExp(`(^|[^\\w.])k\\.k\\d+_${op}\\w*\\(`, "m"));
      }
      expect(source.match(/(^|[^\w.])k\.k\d+_lif_backward\w*\(/gm)?.length).toBe(3);
      const js = await created(g, "js");
      const wasm = await created(g, "wasm");
      for (const n of [1, 4, 9]) {
        const got = run(wasm, n);
        const want = run(js, n);
        expect(Math.abs(got.loss - want.loss), `batch ${n}: loss ${got.loss} against ${want.loss}`).toBeLessThan(2e-5 * Math.max(1, Math.abs(want.loss)));
        for (const [k, o] of want.outputs) expectClose(got.outputs.get(k)!, o, `batch ${n}: output ${k}`);
        expect([...got.grads.keys()]).toEqual([...want.grads.keys()]);
        for (const [k, o] of want.grads) expectClose(got.grads.get(k)!, o, `batch ${n}: gradient of ${k}`);
      }
    });
  }
});

/**
 * Membranes without a reset are continuous in the input (no spike can flip), so the float32
 * wasm model and a float64 JavaScript one agree to float32 rounding, β's gradient included.
 */
const MEMBRANES = `model Membranes {
  input image: [5]
  target digit: int(6)
  output mem = image |> dense(6) |> repeat(9) |> lif(beta: 0.8, reset: none, membrane: true, learn_beta: true)
  loss softmax_cross_entropy_sum_time(mem, digit)
  optimizer sgd(lr: 0.1)
}
`;

describe("lif against the float64 reference", () => {
  it("membranes, loss and gradients within float32 rounding of a float64 model, batches 1, 4 and 9", async () => {
    const g = graph(MEMBRANES);
    const wasm = await created(g, "wasm");
    const { module } = await loadModelFromGraph(g, { backend: "js", dtype: "float64" });
    const reference = module.create({ seed: 3, maxBatch: 9 });
    for (const n of [1, 4, 9]) {
      const got = run(wasm, n);
      const want = run(reference, n);
      expect(Math.abs(got.loss - want.loss) / Math.abs(want.loss), `batch ${n}: loss`).toBeLessThan(1e-5);
      for (const [k, o] of want.outputs) expectClose(got.outputs.get(k)!, o, `batch ${n}: output ${k}`);
      for (const [k, o] of want.grads) expectClose(got.grads.get(k)!, o, `batch ${n}: gradient of ${k}`);
    }
  });
});

/** A layer the size of spiking_mnist's (1001 neurons, 25 steps): its kernels split across threads from about 6 samples. */
const WIDE = `model WideSpiking {
  input image: [6]
  target digit: int(10)
  spikes = image |> dense(1001) |> repeat(25) |> lif(beta: 0.95, surrogate: atan(alpha: 2), threshold: 0.2)
  output mem = spikes |> dense(10) |> lif(beta: 0.95, surrogate: atan(alpha: 2), membrane: true)
  loss softmax_cross_entropy_sum_time(mem, digit)
  optimizer adam(lr: 0.01)
}
`;

function trainedBytes(model: CompiledModel): Uint8Array[] {
  const bytes: Uint8Array[] = [];
  const add = (a: FloatArray | number) => bytes.push(typeof a === "number" ? new Uint8Array(Float64Array.of(a).buffer) : new Uint8Array(a.slice().buffer));
  for (const [step, n] of [16, 13, 16].entries()) {
    add(model.trainStep({ size: n, inputs: tensors(model.info.inputs, n, 10 + step, 3), targets: tensors(model.info.targets, n, 60 + step, 1) } as never));
  }
  for (const w of model.getWeights().values()) add(w);
  const inputs = tensors(model.info.inputs, 11, 7, 3);
  for (const o of Object.values(model.predict(inputs as never, 11))) add(o as FloatArray);
  return bytes;
}

describe("lif and repeat on threads", () => {
  it("train to the same bytes on 1, 2 and 3 threads", async () => {
    useNodeThreads();
    const g = graph(WIDE);
    const source = emitModule(g, { backend: "wasm" });
    // lif's and repeat's kernels say how they split: by samples, 25,025 floats each.
    expect(source.match(/work: 25025, strides: \[/g)?.length).toBeGreaterThanOrEqual(4);
    const { module } = await loadModelFromGraph(g, { backend: "wasm" });
    const runs = [1, 2, 3].map((threads) => {
      const model = module.create({ seed: 5, maxBatch: 16, threads });
      try {
        return trainedBytes(model);
      } finally {
        model.dispose?.();
      }
    });
    for (const other of runs.slice(1)) {
      expect(other.length).toBe(runs[0]!.length);
      other.forEach((b, i) => expect(Buffer.from(b).equals(Buffer.from(runs[0]![i]!)), `array ${i}`).toBe(true));
    }
  });
});
