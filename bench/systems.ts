// The systems a benchmark races, behind one interface: Neuron's compiled module (as `nnc train`
// compiles it, on one thread and on every core; on its JavaScript kernels; and with
// zero-skipping off) and the TensorFlow.js reference on its CPU or WebAssembly backend. All start from the same initial weights (the graph's own init
// schemes, drawn by the runtime from one seed).
import os from "node:os";
import type { ModelGraph } from "../compiler/graph.js";
import { chooseBackend } from "../compiler/compile.js";
import { loadModelFromGraph } from "../compiler/load.js";
import { initTensor } from "../runtime/init.js";
import { useNodeThreads } from "../runtime/node/threads.js";
import type { Batch, FloatArray } from "../runtime/model.js";
import { Rng, RngStream } from "../runtime/rng.js";
import { buildTfjsModel } from "../reference/tfjs-model.js";

/**
 * `neuron` is the module `nnc train` runs: the back end chooseBackend picks by default (the
 * WebAssembly SIMD kernels where the engine has SIMD) on one thread, `neuron-all` the same on
 * every core (create({ threads }), worker_threads, like PyTorch's `pytorch-all`). `neuron-js` is the same model on the
 * JavaScript kernels, with zero-skipping; `neuron-dense` is the JavaScript kernels with
 * zero-skipping off (EmitOptions.skipZeros): it does every multiply-add bench/flops.ts counts,
 * so its GFLOP/s is arithmetic really done.
 */
export const systemNames = ["neuron", "neuron-all", "neuron-js", "neuron-dense", "tfjs-cpu", "tfjs-wasm"] as const;
export type SystemName = (typeof systemNames)[number];

export interface BenchSystem {
  /** One training step on a full batch; returns the loss. */
  trainStep(batch: Batch): number;
  /** Inference on one sample, outputs read back into JavaScript memory. */
  predictOne(inputs: Batch["inputs"]): void;
  dispose(): void;
}

/** The graph's initial weights in checkpoint layout, as a seeded run of the runtime draws them. */
export function initialWeights(graph: ModelGraph, seed: number): Map<string, FloatArray> {
  const rng = new Rng(seed).fork(RngStream.init);
  return new Map(graph.params.map((p) => [p.name, initTensor(p.init, p.shape, rng, "float32")]));
}

/** The threads `neuron-all` runs on: every core the machine reports, as for `pytorch-all`. */
export const allCores = (): number => os.cpus().length;

export async function createSystem(name: SystemName, graph: ModelGraph, maxBatch: number, seed: number): Promise<BenchSystem> {
  const weights = initialWeights(graph, seed);
  if (name === "neuron" || name === "neuron-all" || name === "neuron-js" || name === "neuron-dense") {
    const backend = name === "neuron" || name === "neuron-all" ? chooseBackend(undefined, "float32").backend : "js";
    const { module } = await loadModelFromGraph(graph, { dtype: "float32", backend, skipZeros: name !== "neuron-dense" });
    if (name === "neuron-all") useNodeThreads();
    const model = module.create({ seed, maxBatch, weights, threads: name === "neuron-all" ? allCores() : 1 });
    return {
      trainStep: (batch) => model.trainStep(batch),
      predictOne: (inputs) => void model.predict(inputs, 1),
      // The workers are unref'd, but a measurement must not leave them spinning into the next.
      dispose: () => model.dispose?.(),
    };
  }
  const model = await buildTfjsModel(graph, weights, { backend: name === "tfjs-cpu" ? "cpu" : "wasm" });
  return {
    trainStep: (batch) => model.trainStep(batch),
    predictOne: (inputs) => void model.forward({ size: 1, inputs }, { training: false }),
    dispose: () => model.dispose(),
  };
}
