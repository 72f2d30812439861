// The training worker: checks the page's text, compiles the model with the same emitter as
// `nnc compile` (its JavaScript dialect, imported from a Blob URL; the module imports the
// runtime by URL, runtime.js beside this file) for the back end chooseBackend picks in this
// engine (WebAssembly SIMD where it has it, the wasm bytes inside the module), and trains it with the runtime's train():
// progress, epochs, the confusion matrix and worst digits after each epoch, pause and
// resume through train()'s own checkpoints (an exact continuation), and live predictions
// for the page's drawing canvas. The WebAssembly kernels run on navigator.hardwareConcurrency
// threads (Web Workers this worker starts) where the page is cross-origin isolated, as
// `npm run playground`'s server makes it; else on this one.

import { checkText } from "../../compiler/check/index.js";
import { chooseBackend, emitModule, type Backend } from "../../compiler/compile.js";
import type { ModelGraph } from "../../compiler/graph.js";
import { KERNELS_FIELD } from "../../compiler/wasm/emit.js";
import { classifierShape, classify, classProbabilities, type ClassifierShape } from "../../compiler/report/classification.js";
import { decodeCheckpoint, encodeWeights } from "../../runtime/checkpoint.js";
import type { Dataset } from "../../runtime/data.js";
import type { CompiledModel, ModelInfo, ModelModule } from "../../runtime/model.js";
import { train, type TrainOptions } from "../../runtime/train.js";
import { mnistSplit, PIXELS, unpack, type PackedDigits } from "./mnist.js";
import type { FromWorker, ToWorker, TrainRequest, WorstDigit } from "./protocol.js";

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  location: { href: string };
}
const scope = self as unknown as WorkerScope;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

interface Run {
  request: TrainRequest;
  model: CompiledModel;
  data: { train: Dataset; test: Dataset | null; testPixels: Uint8Array | null; name: string };
  shape: ClassifierShape | null;
  /** The latest checkpoint train() handed over: the end of the run, or where it paused. */
  checkpoint: Uint8Array | null;
  pauseRequested: boolean;
  running: boolean;
  started: number;
}

let run: Run | null = null;
let digits: Promise<PackedDigits> | null = null;

function loadDigits(): Promise<PackedDigits> {
  digits ??= fetch(new URL("mnist.bin", scope.location.href)).then(async (response) => {
    if (!response.ok) throw new Error(`mnist.bin: HTTP ${response.status}; rebuild the playground`);
    return unpack(new Uint8Array(await response.arrayBuffer()));
  });
  return digits;
}

let threads: Promise<number> | null = null;

/**
 * The threads a model's kernels get. The worker factory is registered in runtime.js, the copy
 * of the runtime the compiled modules import (by URL), not in this bundle's own copy.
 */
function kernelThreads(): Promise<number> {
  threads ??= import(/* @vite-ignore */ new URL("runtime.js", scope.location.href).href).then((runtime: { useWebWorkerThreads(): boolean }) =>
    runtime.useWebWorkerThreads() ? Math.max(1, navigator.hardwareConcurrency || 1) : 1,
  );
  return threads;
}

async function compile(graph: ModelGraph, backend: Backend): Promise<ModelModule> {
  const runtime = new URL("runtime.js", scope.location.href).href;
  const source = emitModule(graph, { language: "javascript", runtimeImport: runtime, backend });
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    return (await import(/* @vite-ignore */ url)) as ModelModule;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * Whether the model's kernels run in WebAssembly, asked of the model itself: a wasm module
 * keeps them in its KERNELS_FIELD (null when it fell back to JavaScript), and a model none of
 * whose ops has a wasm kernel (xor's tanh layers) is a plain JavaScript module without one.
 */
function runsWasm(model: CompiledModel): boolean {
  const kernels = (model as unknown as Record<string, unknown>)[KERNELS_FIELD];
  return kernels !== undefined && kernels !== null;
}

/** XOR's four rows (examples/xor.csv), for the models shaped like examples/xor.nn. */
function xorData(info: ModelInfo): Dataset {
  const x = info.dtype === "float64" ? Float64Array.from([0, 0, 0, 1, 1, 0, 1, 1]) : Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]);
  const y = info.dtype === "float64" ? Float64Array.from([0, 1, 1, 0]) : Float32Array.from([0, 1, 1, 0]);
  return { size: 4, inputs: { [info.inputs[0]!.name]: x }, targets: { [info.targets[0]!.name]: y } };
}

async function dataFor(info: ModelInfo, trainSize: number): Promise<Run["data"]> {
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const [input] = info.inputs;
  const [target] = info.targets;
  if (info.inputs.length === 1 && info.targets.length === 1 && input!.kind === "float" && target!.kind === "int" && target!.vocab === 10 && target!.shape.length === 0 && size(input!.shape) === PIXELS) {
    const split = mnistSplit(await loadDigits(), input!.name, target!.name, info.dtype, trainSize);
    return { train: split.train, test: split.test, testPixels: split.testPixels, name: "mnist" };
  }
  if (info.inputs.length === 1 && info.targets.length === 1 && input!.kind === "float" && target!.kind === "float" && size(input!.shape) === 2 && size(target!.shape) === 1) {
    return { train: xorData(info), test: null, testPixels: null, name: "xor" };
  }
  const shapes = (ts: ModelInfo["inputs"]) => ts.map((t) => `${t.name}: ${t.kind === "int" ? `int(${t.vocab})` : "float"} [${t.shape.join(", ")}]`).join(", ");
  throw new Error(
    `the playground has data for MNIST-shaped models (input [784], target int(10)) and XOR-shaped ones (input [2], target [1]); ` +
      `model ${info.name} has inputs ${shapes(info.inputs)} and targets ${shapes(info.targets)}: train it with \`nnc train --data\``,
  );
}

async function start(request: TrainRequest): Promise<void> {
  if (run?.running) throw new Error("a run is already going: pause it or wait for it to end");
  const result = checkText(request.source, "playground.nn");
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`fix the ${errors.length === 1 ? "error" : `${errors.length} errors`} first (line ${errors[0]!.range.start.line}: ${errors[0]!.message})`);
  const graph = request.model !== undefined ? result.models.find((m) => m.name === request.model) : result.models[0];
  if (graph === undefined) throw new Error(request.model !== undefined ? `no model ${request.model}` : "the text defines no model");
  // The page's models are float32 (emitModule's default), the dtype SIMD runs.
  const choice = chooseBackend(request.backend, "float32");
  const module = await compile(graph, choice.backend);
  const info = module.info;
  if (info.optimizer === null || info.losses.length === 0) throw new Error(`model ${info.name} cannot be trained: add ${info.optimizer === null ? "an optimizer" : "a loss"}`);
  const data = await dataFor(info, request.trainSize);
  const model = module.create({ seed: request.seed, maxBatch: request.batch, backend: choice.backend, threads: choice.backend === "wasm" ? await kernelThreads() : 1 });
  const shape = classifierShape(info);
  const wasm = runsWasm(model);
  // chooseBackend's notes name the CLI's flag: the page says it in its own words.
  const note =
    request.backend !== "wasm" || wasm
      ? null
      : choice.backend === "js"
        ? "this browser has no WebAssembly SIMD"
        : `none of ${info.name}'s layers has a WebAssembly kernel yet (they have for dense, conv2d, relu and +)`;
  run = { request, model, data, shape, checkpoint: null, pauseRequested: false, running: false, started: performance.now() };
  post({
    type: "compiled",
    model: info.name,
    // The module that runs, as TypeScript: for wasm with its kernels' bytes inside.
    typescript: emitModule(graph, { language: "typescript", backend: choice.backend }),
    data: data.name,
    trainSize: data.train.size,
    validationSize: data.test?.size ?? 0,
    classes: shape ? Array.from({ length: shape.classes }, (_, k) => String(k)) : null,
    backend: wasm ? "wasm" : "js",
    threads: wasm ? ((model as unknown as { threads?: number }).threads ?? 1) : 1,
    note,
  });
  await go(run, null);
}

/** Trains from the start, or on from a pause's checkpoint. */
async function go(current: Run, resume: Uint8Array | null): Promise<void> {
  const { request, model, data, shape } = current;
  current.running = true;
  current.pauseRequested = false;
  let lastProgress = 0;
  let epochStart = performance.now();
  let epochSamples = 0;
  const options: TrainOptions = {
    epochs: request.epochs,
    batchSize: request.batch,
    seed: request.seed,
    ...(data.test ? { validation: data.test } : {}),
    ...(resume ? { resume: decodeCheckpoint(model.info, resume) } : {}),
    onCheckpoint: (bytes) => {
      current.checkpoint = bytes;
    },
    shouldStop: () => current.pauseRequested,
    onBatch: (p) => {
      if (p.batch === 1) {
        epochStart = performance.now();
        epochSamples = 0;
      }
      epochSamples += p.samples;
      const now = performance.now();
      // At most ten a second: a run of many tiny epochs must not flood the page.
      if (now - lastProgress < 100) return;
      lastProgress = now;
      const seconds = (now - epochStart) / 1000;
      post({ type: "progress", epoch: p.epoch, fraction: p.epoch - 1 + p.batch / p.batches, loss: p.epochLoss, accuracy: p.epochAccuracy, samplesPerSec: seconds > 0 ? epochSamples / seconds : 0 });
    },
    onEpoch: (m) => {
      post({ type: "epoch", metrics: { ...m, lr: model.optimizer!.currentLr() } });
      if (shape !== null && data.test !== null) postClassification(m.epoch, model, data.test, data.testPixels, shape);
    },
  };
  try {
    const result = await train(model, data.train, options);
    if (result.stopped) post({ type: "paused", step: result.steps });
    else post({ type: "done", steps: result.steps, seconds: (performance.now() - current.started) / 1000 });
  } finally {
    current.running = false;
  }
}

function postClassification(epoch: number, model: CompiledModel, test: Dataset, pixels: Uint8Array | null, shape: ClassifierShape): void {
  const result = classify(model, test, shape, pixels !== null ? 24 : 0);
  const worst: WorstDigit[] = pixels === null ? [] : result.worst.map((w) => ({ ...w, pixels: pixels.slice(w.index * PIXELS, (w.index + 1) * PIXELS) }));
  post({ type: "classification", epoch, labels: result.labels, matrix: result.matrix, accuracy: result.accuracy, worst });
}

function predictDrawing(pixels: Float32Array): void {
  if (run === null) throw new Error("train a model first");
  const { model } = run;
  const input = model.info.inputs[0]!;
  const values = model.info.dtype === "float64" ? Float64Array.from(pixels) : pixels;
  const output = model.predict({ [input.name]: values }, 1);
  const name = run.shape?.output ?? model.info.outputs[0]!.name;
  const scores = output[name]!;
  post({ type: "prediction", probabilities: classProbabilities(Array.from(scores.subarray(0, run.shape?.classes ?? scores.length))) });
}

function report(error: unknown): void {
  post({ type: "error", message: error instanceof Error ? error.message : String(error) });
}

scope.onmessage = (event) => {
  const message = event.data;
  try {
    switch (message.type) {
      case "train":
        start(message).catch(report);
        break;
      case "pause":
        if (run?.running) run.pauseRequested = true;
        break;
      case "resume":
        if (run !== null && !run.running && run.checkpoint !== null) go(run, run.checkpoint).catch(report);
        break;
      case "predict":
        predictDrawing(message.pixels);
        break;
      case "checkpoint": {
        if (run === null) throw new Error("nothing trained yet");
        const bytes = run.running || run.checkpoint === null ? encodeWeights(run.model) : run.checkpoint.slice();
        post({ type: "checkpoint", bytes, name: `${run.model.info.name}.safetensors` }, [bytes.buffer]);
        break;
      }
    }
  } catch (error) {
    report(error);
  }
};
