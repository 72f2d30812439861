// Neuron's compiled modules against TensorFlow.js (reference/): every example, with
// the same weights and the same random batch, must give the same outputs, loss and
// gradients to 1e-4 relative in float32. Dropout is set to p = 0, since the two draw
// different masks.
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import type { ModelGraph, TensorType } from "../../../compiler/graph.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import type { Batch, CompiledModel, FloatArray, ModelModule } from "../../../runtime/model.js";
import { Rng } from "../../../runtime/rng.js";
import { largestMagnitude, relativeDifference, tensorsBeyond } from "../../../reference/compare.js";
import { buildTfjsModel, type TfjsModel } from "../../../reference/tfjs-model.js";

const examplesFolder = new URL("../../../examples/", import.meta.url);
const examples = readdirSync(examplesFolder).filter((f) => f.endsWith(".nn")).sort();
const tolerance = 1e-4;

const references: TfjsModel[] = [];
afterAll(() => references.forEach((r) => r.dispose()));

/** The graph with every dropout's p set to 0 (the only difference between the two runs would be the masks). */
function withoutDropout(graph: ModelGraph): ModelGraph {
  return { ...graph, nodes: graph.nodes.map((n) => (n.op === "dropout" ? { ...n, args: { ...n.args, p: 0 } } : n)) };
}

/** `size` samples of `type`: floats uniform in [0, 1) (pixels, probabilities, 0/1-ish targets), ints uniform in 0..V-1. */
function randomTensor(type: TensorType, size: number, rng: Rng): Float32Array | Int32Array {
  const count = size * type.shape.reduce((a, b) => a * b, 1);
  if (type.kind === "int") return Int32Array.from({ length: count }, () => rng.int(type.vocab!));
  return Float32Array.from({ length: count }, () => rng.next());
}

function randomBatch(graph: ModelGraph, size: number, seed: number): Batch {
  const rng = new Rng(seed);
  return {
    size,
    inputs: Object.fromEntries(graph.inputs.map((t) => [t.name, randomTensor(t.type, size, rng)])),
    targets: Object.fromEntries(graph.targets.map((t) => [t.name, randomTensor(t.type, size, rng)])),
  };
}

/** d loss / d weights in checkpoint layout, from the emitted module's `getGradients` (an addition to CompiledModel). */
function gradientsOf(model: CompiledModel): Map<string, FloatArray> {
  const withGradients = model as CompiledModel & { getGradients?: () => Map<string, FloatArray> };
  if (typeof withGradients.getGradients !== "function") throw new Error("the compiled module has no getGradients()");
  return withGradients.getGradients();
}

interface Pair {
  graph: ModelGraph;
  neuron: CompiledModel;
  tfjs: TfjsModel;
}

const compiled = new Map<string, Promise<{ graph: ModelGraph; module: ModelModule }[]>>();

/** Every model of an example, checked and compiled once per file. */
function compileExample(file: string): Promise<{ graph: ModelGraph; module: ModelModule }[]> {
  let modules = compiled.get(file);
  if (!modules) {
    const text = readFileSync(new URL(file, examplesFolder), "utf8");
    const checked = checkText(text, file);
    expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    modules = Promise.all(checked.models.map((model) => loadModelFromGraph(withoutDropout(model), { dtype: "float32" })));
    compiled.set(file, modules);
  }
  return modules;
}

/** A fresh compiled instance of each model of the example and its tfjs twin holding the same weights. */
async function compilePair(file: string): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (const { graph, module } of await compileExample(file)) {
    const neuron = module.create({ seed: 11, maxBatch: 8 });
    const tfjs = await buildTfjsModel(graph, neuron.getWeights());
    references.push(tfjs);
    pairs.push({ graph, neuron, tfjs });
  }
  return pairs;
}

describe.each(examples)("%s against TensorFlow.js", (file) => {
  it("gives the same outputs in inference, for a full and a partial batch", async () => {
    for (const { graph, neuron, tfjs } of await compilePair(file)) {
      for (const size of [8, 3]) {
        const batch = randomBatch(graph, size, size);
        const expected = tfjs.forward(batch, { training: false });
        const actual = neuron.predict(batch.inputs, size);
        expect(tensorsBeyond(actual, expected, tolerance), `${graph.name}, batch ${size}`).toEqual({});
      }
    }
  });

  it("gives the same training loss and gradients", async () => {
    for (const { graph, neuron, tfjs } of await compilePair(file)) {
      const batch = randomBatch(graph, 8, 42);
      const expected = tfjs.lossAndGradients(batch);
      const loss = neuron.forwardBackward(batch);
      expect(relativeDifference([loss], [expected.loss]), `${graph.name} loss ${loss} vs ${expected.loss}`).toBeLessThan(tolerance);
      const grads = gradientsOf(neuron);
      expect([...grads.keys()].sort()).toEqual([...expected.grads.keys()].sort());
      // A gradient that is zero in exact arithmetic (a conv2d bias followed by batch_norm) is
      // round-off in both systems, at the scale of the model's largest gradients: measure
      // every gradient against at least 1% of that scale.
      const floor = Math.max(1e-3, 0.01 * largestMagnitude(expected.grads.values()));
      expect(tensorsBeyond(grads, expected.grads, tolerance, floor), graph.name).toEqual({});
    }
  });

  it("takes the same optimizer steps and updates the same running statistics", async () => {
    for (const { graph, neuron, tfjs } of await compilePair(file)) {
      const buffers = new Set(graph.params.filter((p) => !p.trainable).map((p) => p.name));
      const only = (weights: Map<string, FloatArray>, keep: (name: string) => boolean) =>
        new Map([...weights].filter(([name]) => keep(name)));
      const losses: { neuron: number[]; tfjs: number[] } = { neuron: [], tfjs: [] };
      for (let step = 0; step < 3; step++) {
        const batch = randomBatch(graph, 8, 100 + step);
        losses.neuron.push(neuron.trainStep(batch));
        losses.tfjs.push(tfjs.trainStep(batch));
        if (step === 0 && buffers.size > 0) {
          // The first step's batch statistics come from identical weights.
          const isBuffer = (name: string) => buffers.has(name);
          expect(tensorsBeyond(only(neuron.getWeights(), isBuffer), only(tfjs.getWeights(), isBuffer), tolerance)).toEqual({});
        }
      }
      // SGD's steps are linear in the gradient, so the weights must agree. Adam's first steps
      // are about lr * sign(g), and a gradient that is zero up to round-off (a dead relu unit)
      // may step either way: for Adam and AdamW only the losses are compared, loosely.
      if (graph.optimizer?.name === "sgd") {
        expect(relativeDifference(losses.neuron, losses.tfjs), `${graph.name} losses`).toBeLessThan(tolerance);
        expect(tensorsBeyond(neuron.getWeights(), tfjs.getWeights(), tolerance), graph.name).toEqual({});
      } else {
        expect(relativeDifference(losses.neuron, losses.tfjs), `${graph.name} losses`).toBeLessThan(1e-2);
      }
    }
  });
});
