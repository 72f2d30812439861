// The wasm kernels on several threads: training mnist_mlp, mnist_cnn (batch_norm, pooling,
// Adam), reverse (layer_norm, attention, gelu), a model of tanh, sigmoid and average pooling,
// one of batch_norm over 13 channels and one of layer_norm over rows of 64 for a few steps
// gives the same bytes
// (outputs, gradients, weights) on 1, 2 and 3 threads, the split calls (pooling, activations
// and Adam among them) really run on the workers, and a model's workers never keep the
// process alive.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getHeapStatistics } from "node:v8";
import { afterAll, describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import { loadModelFromGraph } from "../../compiler/load.js";
import type { CompiledModel, FloatArray, ModelInfo, ModelModule, TensorInfo } from "../../runtime/model.js";
import { useNodeThreads } from "../../runtime/node/threads.js";
import { JOB_WORD, kernelWorkerFactory, READY_WORD, setKernelWorkerFactory, WORKER_CHUNKS_WORD, type KernelWorkerInit } from "../../runtime/threads.js";
import { sequence } from "../compiler/wasm/harness.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));

/** Activations and pooling big enough at batch 64 to split, under Adam. */
const ACTIVATIONS = `model Acts {
  input  image: [64, 64, 3]
  target digit: int(10)
  output logits = image |> conv2d(12, kernel: 1) |> avg_pool2d(2) |> tanh |> max_pool2d(2) |> sigmoid |> flatten |> dense(10)
  loss softmax_cross_entropy(logits, digit)
  optimizer adam(lr: 0.01)
  train { batch: 64, epochs: 1 }
}
`;

/**
 * batch_norm over 13 channels, fused relu and not: its sums split into two groups of channels
 * (vectors 0-1, then vector 2 and the scalar 13th channel).
 */
const NORMS = `model Norms {
  input  image: [16, 16, 2]
  target digit: int(10)
  output logits = image |> conv2d(13, kernel: 3, padding: same) |> batch_norm |> relu |> conv2d(13, kernel: 1) |> batch_norm |> flatten |> dense(10)
  loss softmax_cross_entropy(logits, digit)
  optimizer adam(lr: 0.01)
  train { batch: 64, epochs: 1 }
}
`;

/** layer_norm over rows of 64, wide enough at batch 64 that its dx splits by samples and its dweight and dbias by columns. */
const ROW_NORMS = `model RowNorms {
  input  x: [32, 64]
  target label: int(10)[32]
  output logits = x |> dense(64) |> layer_norm |> relu |> dense(10)
  loss softmax_cross_entropy(logits, label)
  optimizer adam(lr: 0.01)
  train { batch: 64, epochs: 1 }
}
`;

const INLINE: Record<string, string> = { "acts.nn": ACTIVATIONS, "norms.nn": NORMS, "row-norms.nn": ROW_NORMS };

async function wasmModule(file: string): Promise<ModelModule> {
  const text = INLINE[file] ?? readFileSync(examples + file, "utf8");
  const result = checkText(text, file);
  const { module } = await loadModelFromGraph(result.models[0]!, { backend: "wasm" });
  return module;
}

/** `zeros`: the share of float values made exactly 0 (pixels are four-fifths zeros: the zero-skipping products). */
function tensors(list: readonly TensorInfo[], n: number, seed: number, zeros = 0): Record<string, Float32Array | Int32Array> {
  const out: Record<string, Float32Array | Int32Array> = {};
  list.forEach((t, i) => {
    const values = sequence(n * t.shape.reduce((a, b) => a * b, 1), seed + i).map((v, k) => ((k * 0.618034) % 1 < zeros ? 0 : v));
    out[t.name] = t.kind === "int" ? Int32Array.from(values, (v) => Math.floor(((v + 1) / 2) * (t.vocab ?? 1))) : values;
  });
  return out;
}

function batch(info: ModelInfo, n: number, seed: number, zeros = 0) {
  return { size: n, inputs: tensors(info.inputs, n, seed, zeros), targets: tensors(info.targets, n, seed + 50) };
}

/** Every number the model leaves after a few training steps (full and odd batches), as bytes. */
function trainedBytes(model: CompiledModel, sizes: readonly number[], zeros = 0): Uint8Array[] {
  const bytes: Uint8Array[] = [];
  const add = (a: FloatArray | Int32Array | number) =>
    bytes.push(typeof a === "number" ? new Uint8Array(Float64Array.of(a).buffer) : new Uint8Array(a.slice().buffer));
  // The loss and its correct count: the loss kernel splits by samples, the sums stay in order.
  sizes.forEach((n, step) => {
    add(model.trainStep(batch(model.info, n, 10 + step, zeros) as never));
    add(model.trainingMetrics!().correct);
  });
  add(model.forwardBackward(batch(model.info, sizes[0]!, 99, zeros) as never));
  for (const g of model.getGradients!().values()) add(g);
  for (const w of model.getWeights().values()) add(w);
  for (const o of Object.values(model.predict(batch(model.info, sizes[1]!, 7, zeros).inputs as never, sizes[1]!))) add(o);
  return bytes;
}

// Records each worker's control words, to count the calls the workers ran.
const started: KernelWorkerInit[] = [];
useNodeThreads();
const node = kernelWorkerFactory()!;
setKernelWorkerFactory((init) => {
  started.push(init);
  return node(init);
});
afterAll(() => setKernelWorkerFactory(null));

function splitCalls(init: KernelWorkerInit): number {
  return new Int32Array(init.memory.buffer, init.control, 1)[0]!;
}

/** Chunks of split calls the workers ran (the main thread runs the chunks no worker claimed). */
function workerChunks(init: KernelWorkerInit): number {
  return new Int32Array(init.memory.buffer, init.control + WORKER_CHUNKS_WORD * 4, 1)[0]!;
}

/**
 * Until the workers just started are up (or 5 s): a worker joins only the calls made once it
 * is, and a test of what the workers do should not race their start.
 */
async function workersUp(threads: number): Promise<void> {
  const init = started[0];
  if (threads === 1 || init === undefined) return;
  const ready = new Int32Array(init.memory.buffer, init.control, READY_WORD + 1);
  for (let i = 0; i < 500 && Atomics.load(ready, READY_WORD) < threads - 1; i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe("kernels on several threads", () => {
  for (const [file, sizes, zeros] of [
    ["mnist_mlp.nn", [64, 37, 64, 5]],
    // Four-fifths zeros, as MNIST's pixels: the first layer's zero-skipping products (batch 5 stays dense).
    ["mnist_mlp.nn", [64, 37, 64, 5], 0.8],
    ["mnist_cnn.nn", [32, 19, 32]],
    ["acts.nn", [64, 21, 64]],
    ["reverse.nn", [64, 29, 64]],
    ["norms.nn", [64, 23, 64]],
    ["row-norms.nn", [64, 23, 64]],
  ] as const) {
    it(`${file}${zeros === undefined ? "" : ` (inputs ${zeros * 100}% zeros)`}: the same bytes on 1, 2 and 3 threads after training steps`, async () => {
      const module = await wasmModule(file);
      const runs: Uint8Array[][] = [];
      for (const threads of [1, 2, 3]) {
        started.length = 0;
        const model = module.create({ seed: 5, maxBatch: 64, threads });
        expect(Reflect.get(model, "threads")).toBe(threads);
        await workersUp(threads);
        runs.push(trainedBytes(model, sizes, zeros));
        // mnist_mlp's first layer decided for its last call (the prediction, batch 37): zero-skipping
        // where the inputs are mostly zeros (the word after W^T, compiler/wasm/sparse.ts).
        const transposed = Object.keys(model).find((k) => k.includes("transposed"));
        if (transposed !== undefined) {
          const view = Reflect.get(model, transposed) as Float32Array;
          expect(new Int32Array(view.buffer, view.byteOffset + (view.length - 4) * 4, 1)[0]).toBe(zeros === undefined ? 0 : 1);
        }
        if (threads > 1) {
          expect(started.length).toBe(threads - 1);
          expect(splitCalls(started[0]!)).toBeGreaterThan(sizes.length);
          // The workers take part. The main thread runs whatever they have not claimed by the time
          // it would wait for them, so on a loaded machine a worker may wake too late for a few passes.
          for (let i = 0; i < 500 && workerChunks(started[0]!) === 0; i++) model.trainStep(batch(model.info, 64, i) as never);
          expect(workerChunks(started[0]!)).toBeGreaterThan(0);
        }
        model.dispose!();
      }
      for (const other of runs.slice(1)) {
        expect(other.length).toBe(runs[0]!.length);
        other.forEach((b, i) => {
          const f = new Float32Array(b.buffer), g = new Float32Array(runs[0]![i]!.buffer);
          const bad = [...f.keys()].filter((k) => !Object.is(f[k], g[k]));
          expect(bad.length, `array ${i}: ${bad.length} of ${f.length} differ, first ${bad.slice(0, 5)}: ${bad.slice(0, 5).map((k) => `${f[k]} vs ${g[k]}`)}`).toBe(0);
        });
      }
    });
  }

  it("mnist_cnn: Adam's step runs on the workers (the last split call of a training step), and batch_norm's per-row parts", async () => {
    const module = await wasmModule("mnist_cnn.nn");
    started.length = 0;
    const model = module.create({ seed: 5, maxBatch: 32, threads: 2 });
    await workersUp(2);
    model.trainStep(batch(model.info, 32, 3) as never);
    const init = started[0]!;
    const job = new Int32Array(init.memory.buffer, init.control + JOB_WORD * 4, 1);
    expect(init.names[job[0]!]).toBe("optim_adam");
    // batch_norm's per-row parts (the normalisation, dx) and its sums by blocks of samples, and
    // conv2d's weight gradients by blocks, called at a full batch, run on a worker too.
    const kernels = Reflect.get(model, "kw") as Record<string, (...args: number[]) => void>;
    const rows = ["k1_batch_norm_rows", "k1_batch_norm_backward_rows", "k4_batch_norm_rows", "k4_batch_norm_backward_rows"];
    const blocks = ["k1_batch_norm", "k1_batch_norm_backward", "k4_batch_norm", "k4_batch_norm_backward", "k3_conv2d_backward_blocks", "k0_conv2d_backward"];
    expect(init.names).toEqual(expect.arrayContaining([...rows, ...blocks]));
    // The blocks' sums are added up on one thread (work 0: never split), after the pass's other held calls (late).
    expect(init.splits[init.names.indexOf("k3_conv2d_backward_sums")]).toEqual({ work: 0, strides: [], late: true });
    expect(init.splits[init.names.indexOf("k1_batch_norm_stats")]).toBeNull();
    for (const name of [...rows, ...blocks]) {
      const before = splitCalls(init);
      kernels[name]!(32, 0, 0, 0, 0, 0, 0, 0);
      expect(splitCalls(init), name).toBe(before + 1);
      expect(init.names[job[0]!], name).toBe(name);
    }
    model.dispose!();
  });

  it("pooling, tanh and sigmoid (forward and backward) and Adam kernels run on the workers when called at a full batch", async () => {
    const module = await wasmModule("acts.nn");
    started.length = 0;
    const model = module.create({ seed: 5, maxBatch: 64, threads: 2 });
    await workersUp(2);
    const kernels = Reflect.get(model, "kw") as Record<string, (...args: number[]) => void>;
    const init = started[0]!;
    const job = new Int32Array(init.memory.buffer, init.control + JOB_WORD * 4, 1);
    const tested = init.names.filter((name) => /activation|pool|optim_adam/.test(name));
    // avg_pool2d, tanh, max_pool2d and sigmoid, forward and backward, and Adam.
    expect(tested.length).toBe(9);
    for (const name of tested) {
      const before = splitCalls(init);
      // Garbage in, garbage out: addresses 0 are in the memory, and only who ran the call is checked.
      if (name === "optim_adam") kernels[name]!(0, 0, 0, 0, 65536, 0.001, 1, 0.9, 0.1, 0.999, 0.001, 1e-8, 1, 0);
      else kernels[name]!(64, 0, 0, 0, 0);
      expect(splitCalls(init), name).toBe(before + 1);
      expect(init.names[job[0]!], name).toBe(name);
    }
    model.dispose!();
  });

  it("a split call allocates nothing (no argument arrays, no chunk lists)", async () => {
    const module = await wasmModule("acts.nn");
    started.length = 0;
    const model = module.create({ seed: 5, maxBatch: 64, threads: 2 });
    const kernels = Reflect.get(model, "kw") as Record<string, (...args: number[]) => void>;
    const name = started[0]!.names.find((n) => /activation$/.test(n))!;
    const kernel = kernels[name]!;
    // A training step first: the pool's call site then sees many kernels, as in real use.
    model.trainStep(batch(model.info, 64, 3) as never);
    const calls = (count: number) => {
      for (let i = 0; i < count; i++) kernel(64, 0, 0);
    };
    calls(5000);
    // The median window: a collection during one lowers its figure, and the test runner's own
    // messages (in this isolate, under a loaded machine) raise another's; an allocation per
    // call raises every window.
    const windows: number[] = [];
    for (let window = 0; window < 9; window++) {
      const before = getHeapStatistics().used_heap_size;
      calls(200);
      windows.push(getHeapStatistics().used_heap_size - before);
    }
    const grown = windows.sort((a, b) => a - b)[4]!;
    model.dispose!();
    // Rest-parameter arrays and lists of chunks came to about 1 kB a call, 200 kB a window;
    // float64 arguments boxed at a call site that had seen many kernels (after a training
    // step, as here) to 16 bytes an argument a chunk, 150 kB a window.
    expect(grown).toBeLessThan(20_000);
  });

  it("rejects a thread count that is not a whole number from 1", async () => {
    const module = await wasmModule("mnist_mlp.nn");
    expect(() => module.create({ threads: 0 })).toThrow(/threads must be a whole number from 1/);
    expect(() => module.create({ threads: 1.5 })).toThrow(/threads must be a whole number from 1/);
  });

  it("a worker that cannot run its kernels is reported, not waited for", async () => {
    const module = await wasmModule("mnist_mlp.nn");
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;
    // The worker gets a module whose kernels it cannot instantiate (no memory to import).
    setKernelWorkerFactory((init) => {
      started.push(init);
      return node({ ...init, names: ["missing"], module: new wasm.Module(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0)) });
    });
    try {
      started.length = 0;
      const model = module.create({ seed: 5, maxBatch: 64, threads: 2 });
      // Reported by the first split call once the worker has counted itself up (and failed).
      await workersUp(2);
      expect(() => model.predict(batch(model.info, 64, 1).inputs as never, 64)).toThrow(/a kernel worker thread failed; run with one thread/);
      // The model goes on, on the calling thread alone.
      expect(Object.values(model.predict(batch(model.info, 64, 1).inputs as never, 64))[0]!.length).toBe(640);
      model.dispose!();
    } finally {
      setKernelWorkerFactory((init) => {
        started.push(init);
        return node(init);
      });
    }
  });

  it("a model's idle workers do not keep the process alive", async () => {
    await wasmModule("mnist_mlp.nn");
    const script = `
      const { loadModel } = await import(${JSON.stringify(new URL("../../dist/compiler/load.js", import.meta.url).href)});
      const { useNodeThreads } = await import(${JSON.stringify(new URL("../../dist/runtime/node/threads.js", import.meta.url).href)});
      useNodeThreads();
      const { module } = await loadModel(${JSON.stringify(examples + "mnist_mlp.nn")}, { backend: "wasm" });
      const model = module.create({ threads: 2, maxBatch: 64 });
      const n = 64;
      model.predict({ image: new Float32Array(n * 784).fill(0.5) }, n);
      console.log("done", model.threads);
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20000 });
    expect(out.trim()).toBe("done 2");
  });
});
