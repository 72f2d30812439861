// The wasm back end against the JavaScript one, model by model: every example and the model
// that uses every op, compiled both ways and created from the same seed, give the same loss,
// predictions and gradients within float32 summation error (the products sum in another
// order); and the module's own JavaScript kernels (create({ backend: "js" })) run on the
// same one-memory buffers.

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import type { ModelGraph } from "../../../compiler/graph.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import { emitModule, type Backend } from "../../../compiler/compile.js";
import type { CompiledModel, FloatArray, ModelInfo, TensorInfo } from "../../../runtime/model.js";
import { sequence } from "./harness.js";

const examplesDir = fileURLToPath(new URL("../../../examples/", import.meta.url));
const everyOpFile = fileURLToPath(new URL("../backend/every_op.nn", import.meta.url));

function graphsIn(file: string, text = readFileSync(file, "utf8")): ModelGraph[] {
  const result = checkText(text, file);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`${file}: ${errors.map((d) => d.message).join("; ")}`);
  return result.models;
}

/**
 * conv2d's wasm kernels on the shapes the examples lack: channels not a multiple of four (the
 * vector and scalar copies of im2col), stride 2, same and valid padding, a 1x1
 * kernel, a fused relu, and an input gradient added to (h feeds three convolutions); windows
 * wholly inside the input (im2col's unrolled copies) and over the padding, and a 5x5 window of
 * 90 channels, too many to unroll, after a fused relu whose input gradient is wanted.
 */
const CONV_SHAPES = `model ConvShapes {
  input image: [9, 7, 6]
  target y: int(3)
  h = image |> conv2d(5, kernel: 3, stride: 2, padding: valid) |> relu
  a = h |> conv2d(4, kernel: 1, padding: same)
  b = h |> conv2d(4, kernel: 3, padding: same)
  e = h |> conv2d(90, kernel: 1, padding: same) |> relu |> conv2d(4, kernel: 5, padding: same)
  c = (a + b + e) |> conv2d(3, kernel: 2, padding: valid) |> flatten
  output logits = c |> dense(3)
  loss softmax_cross_entropy(logits, y)
  optimizer sgd(lr: 0.1)
}
`;

/**
 * batch_norm's wasm kernels: channel counts below, at and past a multiple of four (the vector
 * and scalar channels), 20 rows a sample (the sums by blocks of samples, ours at batch 9 a
 * block of one sample) and one (after dense: by groups of channels), a fused relu or none, an input
 * gradient added to (g feeds two batch norms), the first layer's input without a gradient,
 * and a layer wider than the unrolled kernels take (66 channels: JavaScript in the same module).
 * A relu between each layer and its batch norm keeps the layer's bias gradient away from the
 * zero (all cancellation) it has when batch_norm follows it directly.
 */
const BATCH_NORM_SHAPES = `model BatchNormShapes {
  input image: [4, 5, 7]
  target y: int(3)
  h = image |> batch_norm |> relu
  g = h |> conv2d(5, kernel: 1, padding: same) |> relu
  a = g |> batch_norm
  b = g |> batch_norm |> relu
  d = (a + b) |> conv2d(3, kernel: 3, padding: same) |> relu |> batch_norm |> flatten |> dense(16) |> relu |> batch_norm |> relu
  output logits = d |> dense(66) |> relu |> batch_norm |> dense(3)
  loss softmax_cross_entropy(logits, y)
  optimizer sgd(lr: 0.1)
}
`;

/**
 * Pooling's wasm kernels: channels past a multiple of four, windows that overlap (stride 1),
 * or skip rows (stride 3 over 8), a 1x1 window, and an input gradient added to
 * (h feeds three pools) as well as assigned.
 */
const POOL_SHAPES = `model PoolShapes {
  input image: [8, 7, 6]
  target y: int(3)
  h = image |> conv2d(6, kernel: 1, padding: same) |> relu
  a = h |> max_pool2d(3, stride: 1) |> conv2d(5, kernel: 1, padding: same) |> max_pool2d(2) |> flatten
  b = h |> avg_pool2d(2, stride: 3) |> avg_pool2d(1) |> flatten
  c = h |> max_pool2d(3, stride: 3) |> flatten
  output logits = (a |> dense(3)) + (b |> dense(3)) + (c |> dense(3))
  loss softmax_cross_entropy(logits, y)
  optimizer sgd(lr: 0.1)
}
`;

/**
 * layer_norm's and gelu's wasm kernels: rows of one vector (d 4) and of three (d 12), the
 * model's input without a gradient, a gradient added to (h feeds a layer norm and the sum),
 * several rows per sample, and a width not a multiple of four (d 6: JavaScript in the same
 * module); gelu over 18 floats a sample (a lane remainder).
 */
const NORM_SHAPES = `model NormShapes {
  input x: [3, 12]
  target y: int(3)
  h = x |> layer_norm |> dense(4) |> gelu
  b = h + (h |> layer_norm)
  c = x |> dense(6) |> layer_norm |> gelu
  output logits = (b |> flatten |> dense(3)) + (c |> flatten |> dense(3))
  loss softmax_cross_entropy(logits, y)
  optimizer sgd(lr: 0.1)
}
`;

/**
 * The attention core's wasm kernels: heads of 4 and 8 floats (one and two vectors), causal
 * self-attention, cross-attention with fewer keys than queries, and 12-float heads of 3 floats
 * (not a multiple of four: JavaScript in the same module).
 */
const ATTENTION_SHAPES = `model AttentionShapes {
  input x: [5, 8]
  input kv: [3, 4]
  target t: [5, 8]
  a = x |> self_attention(heads: 2, causal: true)
  m = kv |> dense(8)
  b = attention(a, m, m, heads: 1)
  c = (a + b) |> dense(12) |> self_attention(heads: 4) |> dense(8)
  output y = b + c
  loss mse(y, t)
  optimizer sgd(lr: 0.1)
}
`;

const graphs: ModelGraph[] = [
  ...readdirSync(examplesDir)
    .filter((f) => f.endsWith(".nn"))
    .sort()
    .flatMap((f) => graphsIn(examplesDir + f)),
  ...graphsIn(everyOpFile),
  ...graphsIn("conv-shapes.nn", CONV_SHAPES),
  ...graphsIn("batch-norm-shapes.nn", BATCH_NORM_SHAPES),
  ...graphsIn("pool-shapes.nn", POOL_SHAPES),
  ...graphsIn("norm-shapes.nn", NORM_SHAPES),
  ...graphsIn("attention-shapes.nn", ATTENTION_SHAPES),
];

/** The kernels a model's wasm module holds, by name, and its bytes in base64. */
function wasmKernels(graph: ModelGraph): { base64: string; kernels: string[] } {
  const source = emitModule(graph, { backend: "wasm" });
  const names = /new WasmKernelModule\(\s*"([^"]*)",\s*\[([^\]]*)\]/.exec(source);
  return { base64: names![1]!, kernels: names![2]!.split(",").map((n) => n.trim().replace(/"/g, "")) };
}

function sizeOf(t: TensorInfo): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

function tensors(list: readonly TensorInfo[], n: number, seed: number): Record<string, Float32Array | Int32Array> {
  const out: Record<string, Float32Array | Int32Array> = {};
  list.forEach((t, i) => {
    const values = sequence(n * sizeOf(t), seed + i);
    out[t.name] = t.kind === "int" ? Int32Array.from(values, (v) => Math.floor(((v + 1) / 2) * (t.vocab ?? 1))) : values;
  });
  return out;
}

function batch(info: ModelInfo, n: number) {
  return { size: n, inputs: tensors(info.inputs, n, 11), targets: tensors(info.targets, n, 101) };
}

/**
 * Each a's value within float32 summation error of b's: relative to the tensor's largest
 * magnitude, since a value that cancels to near zero keeps the absolute error of its terms.
 */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  expect(worst / scale, `${what}: worst at ${at}, ${a[at]} against ${b[at]}`).toBeLessThan(2e-5);
}

interface Run {
  loss: number;
  outputs: Map<string, FloatArray>;
  grads: Map<string, FloatArray>;
}

function run(model: CompiledModel, n: number): Run {
  const b = batch(model.info, n);
  const loss = model.info.losses.length > 0 ? model.forwardBackward(b as never) : 0;
  const grads = model.info.losses.length > 0 && model.getGradients ? model.getGradients() : new Map<string, FloatArray>();
  const predicted = model.predict(b.inputs as never, n) as Record<string, FloatArray>;
  const outputs = new Map(Object.entries(predicted).map(([k, v]) => [k, v.slice()]));
  return { loss, outputs, grads };
}

async function created(graph: ModelGraph, backend: Backend, options: { backend?: Backend } = {}): Promise<CompiledModel> {
  const { module } = await loadModelFromGraph(graph, { backend });
  return module.create({ seed: 3, maxBatch: 9, ...options });
}

/** Whether the model runs WebAssembly kernels (the class's private `kw`, null when JavaScript). */
function runsWasm(model: CompiledModel): boolean {
  return Reflect.get(model, "kw") != null;
}

function expectSameRun(got: Run, want: Run, name: string): void {
  expect(Math.abs(got.loss - want.loss), `${name}: loss ${got.loss} against ${want.loss}`).toBeLessThan(2e-5 * Math.max(1, Math.abs(want.loss)));
  for (const [k, v] of want.outputs) expectClose(got.outputs.get(k)!, v, `${name}: output ${k}`);
  expect([...got.grads.keys()]).toEqual([...want.grads.keys()]);
  for (const [k, v] of want.grads) expectClose(got.grads.get(k)!, v, `${name}: gradient of ${k}`);
}

/** The engine's WebAssembly object, which the project's lib (ES2022, no DOM) types only as a namespace. */
function wasmApi(): { validate(bytes: Uint8Array): boolean } {
  return (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
}

describe("the wasm back end", () => {
  it("covers the examples and every op", () => {
    expect(graphs.map((g) => g.name)).toEqual(expect.arrayContaining(["MnistMlp", "MnistCnn", "Reverse", "SpikingMnist", "LstmSum", "Xor"]));
  });

  for (const graph of graphs) {
    it(`${graph.name}: predictions and gradients as the JavaScript back end's, batches 1, 4 and 9`, async () => {
      const js = await created(graph, "js");
      const wasm = await created(graph, "wasm");
      // xor's layers (tanh, sigmoid) have no WebAssembly kernel: it compiles as a JavaScript module.
      expect(runsWasm(wasm)).toBe(graph.name !== "Xor");
      expect(runsWasm(js)).toBe(false);
      for (const n of [1, 4, 9]) expectSameRun(run(wasm, n), run(js, n), `${graph.name}, batch ${n}`);
    });
  }

  it("runs the module's JavaScript kernels on the same memory when created with backend js", async () => {
    const graph = graphs.find((g) => g.name === "MnistMlp")!;
    const js = await created(graph, "js");
    const fallback = await created(graph, "wasm", { backend: "js" });
    expect(runsWasm(fallback)).toBe(false);
    for (const n of [1, 9]) expectSameRun(run(fallback, n), run(js, n), `MnistMlp on the module's JavaScript kernels, batch ${n}`);
  });

  it("falls back to the module's JavaScript kernels, with one note, on an engine without SIMD", async () => {
    const graph = graphs.find((g) => g.name === "MnistMlp")!;
    const js = await created(graph, "js");
    const validate = vi.spyOn(wasmApi(), "validate").mockReturnValue(false);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const first = await created(graph, "wasm");
      const second = await created(graph, "wasm");
      expect([runsWasm(first), runsWasm(second)]).toEqual([false, false]);
      expect(warn.mock.calls).toEqual([["note: this engine has no WebAssembly SIMD; running the JavaScript kernels"]]);
      expectSameRun(run(first, 5), run(js, 5), "MnistMlp without SIMD");
    } finally {
      validate.mockRestore();
      warn.mockRestore();
    }
  });

  it("keeps every buffer a view of one memory that training never replaces", async () => {
    const graph = graphs.find((g) => g.name === "MnistMlp")!;
    const model = await created(graph, "wasm");
    const buffers = () => new Set(model.parameters().flatMap((p) => [p.value.buffer, p.grad.buffer]));
    const before = buffers();
    expect(before.size).toBe(1);
    const b = batch(model.info, 9);
    for (let step = 0; step < 3; step++) model.trainStep(b as never);
    expect(buffers()).toEqual(before);
    expect(model.predict(b.inputs as never, 9)["logits"]!.buffer).toBe([...before][0]);
  });

  it("runs layer_norm (widths a multiple of four) and gelu in WebAssembly", () => {
    const [graph] = graphsIn("norm-shapes.nn", NORM_SHAPES);
    const kernels = wasmKernels(graph!).kernels.filter((k) => /layer_norm|activation/.test(k));
    // two of the three layer norms (d 4 and 12, not d 6), forward and backward (dx by rows and
    // dweight, dbias by columns, but for the first, on the input, which has no dx); both gelus
    expect(kernels.filter((k) => /layer_norm$/.test(k))).toHaveLength(2);
    expect(kernels.filter((k) => /layer_norm_backward(_units)?$/.test(k))).toHaveLength(3);
    expect(kernels.filter((k) => k.includes("activation"))).toHaveLength(4);
  });

  it("runs the attention core in WebAssembly where a head is a multiple of four floats", () => {
    const [graph] = graphsIn("attention-shapes.nn", ATTENTION_SHAPES);
    // two of the three cores (heads of 4 and 8, not 3), forward and backward
    expect(wasmKernels(graph!).kernels.filter((k) => k.includes("attention"))).toHaveLength(4);
  });

  it("runs softmax_cross_entropy's training step in WebAssembly, split by samples, where it is the model's one loss", () => {
    const model = (loss: string, target: string) =>
      `model Rows {\n input x: [32, 8]\n target label: ${target}\n output logits = x |> dense(10)\n loss ${loss}(logits, label)\n optimizer sgd(lr: 0.1)\n}\n`;
    const graph = (text: string) => checkText(text, "rows.nn").models[0]!;
    const emitted = (text: string, backend: Backend = "wasm") => emitModule(graph(text), { backend });
    const classes = model("softmax_cross_entropy", "int(10)[32]");
    const fused = emitted(classes);
    expect(wasmKernels(graph(classes)).kernels).toContain("loss0_softmax_cross_entropy");
    // bytes per sample: logits 32 x 10 floats, 32 labels, four floats a label's row, the logits' gradient
    expect(fused).toContain("strides: [0, 0, 1280, 128, 512, 1280]");
    expect(fused).toContain("lossRowsSum(n, b.loss_rows, metrics);");
    // mse keeps its JavaScript kernels, and the module no loss scratch
    const mse = emitted(model("mse", "[32, 10]"));
    expect(mse).not.toContain("lossRowsSum");
    expect(mse).not.toContain("loss_rows");
    expect(emitted(classes, "js")).not.toContain("loss_rows");
  });

  it("shares one kernel between layers of the same shapes, so the module grows with distinct shapes, not depth", () => {
    const deep = (layers: number) => {
      const body = Array.from({ length: layers }, () => "|> dense(16) |> relu").join(" ");
      const text = `model Deep {\n input x: [16]\n target y: int(4)\n h = x ${body}\n output logits = h |> dense(4)\n loss softmax_cross_entropy(logits, y)\n optimizer sgd(lr: 0.1)\n}\n`;
      const [graph] = checkText(text, "deep.nn").models;
      return wasmKernels(graph!);
    };
    const two = deep(2);
    const eight = deep(8);
    // dense 16 -> 16 forward, 16 -> 4 forward, and the backward passes in parts: 16 -> 4 rows,
    // then its weight gradient by blocks of samples and their sums (weight-blocks.ts), 16 -> 16
    // rows with and without the input gradient (the first layer needs none; its relu remains)
    // and units, and the loss: nine kernels at any depth.
    expect(two.kernels).toHaveLength(9);
    expect(eight.kernels).toHaveLength(9);
    expect(eight.base64.length).toBe(two.base64.length);
  });
});
