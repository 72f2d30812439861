// The wasm kernels on several threads: training mnist_mlp and mnist_cnn for a few steps gives
// the same bytes (outputs, gradients, weights) on 1, 2 and 3 threads, the split calls really
// run on the workers, and a model's workers never keep the process alive.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import { loadModelFromGraph } from "../../compiler/load.js";
import type { CompiledModel, FloatArray, ModelInfo, ModelModule, TensorInfo } from "../../runtime/model.js";
import { useNodeThreads } from "../../runtime/node/threads.js";
import { kernelWorkerFactory, setKernelWorkerFactory, type KernelWorkerInit } from "../../runtime/threads.js";
import { sequence } from "../compiler/wasm/harness.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));

async function wasmModule(file: string): Promise<ModelModule> {
  const result = checkText(readFileSync(examples + file, "utf8"), file);
  const { module } = await loadModelFromGraph(result.models[0]!, { backend: "wasm" });
  return module;
}

function tensors(list: readonly TensorInfo[], n: number, seed: number): Record<string, Float32Array | Int32Array> {
  const out: Record<string, Float32Array | Int32Array> = {};
  list.forEach((t, i) => {
    const values = sequence(n * t.shape.reduce((a, b) => a * b, 1), seed + i);
    out[t.name] = t.kind === "int" ? Int32Array.from(values, (v) => Math.floor(((v + 1) / 2) * (t.vocab ?? 1))) : values;
  });
  return out;
}

function batch(info: ModelInfo, n: number, seed: number) {
  return { size: n, inputs: tensors(info.inputs, n, seed), targets: tensors(info.targets, n, seed + 50) };
}

/** Every number the model leaves after a few training steps (full and odd batches), as bytes. */
function trainedBytes(model: CompiledModel, sizes: readonly number[]): Uint8Array[] {
  const bytes: Uint8Array[] = [];
  const add = (a: FloatArray | Int32Array | number) =>
    bytes.push(typeof a === "number" ? new Uint8Array(Float64Array.of(a).buffer) : new Uint8Array(a.slice().buffer));
  sizes.forEach((n, step) => add(model.trainStep(batch(model.info, n, 10 + step) as never)));
  add(model.forwardBackward(batch(model.info, sizes[0]!, 99) as never));
  for (const g of model.getGradients!().values()) add(g);
  for (const w of model.getWeights().values()) add(w);
  for (const o of Object.values(model.predict(batch(model.info, sizes[1]!, 7).inputs as never, sizes[1]!))) add(o);
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

describe("kernels on several threads", () => {
  for (const [file, sizes] of [
    ["mnist_mlp.nn", [64, 37, 64, 5]],
    ["mnist_cnn.nn", [32, 19, 32]],
  ] as const) {
    it(`${file}: the same bytes on 1, 2 and 3 threads after training steps`, async () => {
      const module = await wasmModule(file);
      const runs = [1, 2, 3].map((threads) => {
        started.length = 0;
        const model = module.create({ seed: 5, maxBatch: 64, threads });
        expect(Reflect.get(model, "threads")).toBe(threads);
        const bytes = trainedBytes(model, sizes);
        if (threads > 1) {
          expect(started.length).toBe(threads - 1);
          expect(splitCalls(started[0]!)).toBeGreaterThan(sizes.length);
        }
        model.dispose!();
        return bytes;
      });
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

  it("rejects a thread count that is not a whole number from 1", async () => {
    const module = await wasmModule("mnist_mlp.nn");
    expect(() => module.create({ threads: 0 })).toThrow(/threads must be a whole number from 1/);
    expect(() => module.create({ threads: 1.5 })).toThrow(/threads must be a whole number from 1/);
  });

  it("a worker that cannot run its kernels is reported, not waited for", async () => {
    const module = await wasmModule("mnist_mlp.nn");
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;
    // The worker gets a module whose kernels it cannot instantiate (no memory to import).
    setKernelWorkerFactory((init) => node({ ...init, names: ["missing"], module: new wasm.Module(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0)) }));
    try {
      const model = module.create({ seed: 5, maxBatch: 64, threads: 2 });
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
