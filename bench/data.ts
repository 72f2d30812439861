// The data every system trains on, cut into full batches that every system receives as the
// same typed arrays.
//
// MNIST-shaped models (one float input of 784 values, one int(10) target) get the real
// digits of the `mnist` package (its 8,000-sample training split, as `nnc train --data
// mnist` uses): Neuron's kernels skip exact zeros (behind a relu, and in sparse inputs), so
// its speed depends on the values, and only real data gives a representative share of
// zeros. Random pixels with random labels would not: a network fitting noise switches off
// almost every relu unit within a hundred steps, which would make its backward pass nearly
// free. Other models get a seeded synthetic set of their shapes (floats uniform in [0, 1),
// integer labels uniform in 0..V-1).
import type { ModelGraph, TensorType } from "../compiler/graph.js";
import type { Batch, ModelInfo, TensorInfo } from "../runtime/model.js";
import { loadMnist, MNIST_PIXELS } from "../runtime/node/mnist.js";
import { Rng } from "../runtime/rng.js";

type Column = Float32Array | Int32Array;

export interface BenchData {
  /** Where the values come from, for the report. */
  source: "mnist" | "synthetic";
  batches: Batch[];
}

const perSample = (type: TensorType) => type.shape.reduce((a, b) => a * b, 1);

function isMnistShaped(graph: ModelGraph): boolean {
  const [input] = graph.inputs;
  const [target] = graph.targets;
  return (
    graph.inputs.length === 1 &&
    input!.type.kind === "float" &&
    perSample(input!.type) === MNIST_PIXELS &&
    graph.targets.length === 1 &&
    target!.type.kind === "int" &&
    target!.type.vocab === 10 &&
    target!.type.shape.length === 0
  );
}

/** The first `count` samples of the MNIST training split, as columns named for the graph. */
function mnistColumns(graph: ModelGraph, count: number): Record<string, Column> {
  const tensor = (t: { name: string; type: TensorType }): TensorInfo => ({
    name: t.name,
    shape: t.type.shape,
    kind: t.type.kind,
    ...(t.type.vocab !== undefined ? { vocab: t.type.vocab } : {}),
  });
  const info: ModelInfo = {
    name: graph.name,
    dtype: "float32",
    inputs: graph.inputs.map(tensor),
    targets: graph.targets.map(tensor),
    outputs: [],
    params: [],
    losses: [],
    optimizer: null,
    train: {},
  };
  const { train } = loadMnist(info);
  if (count > train.size) throw new Error(`the MNIST training split has ${train.size} samples, the benchmark asks for ${count}`);
  const image = graph.inputs[0]!;
  const digit = graph.targets[0]!;
  return {
    [image.name]: (train.inputs[image.name] as Float32Array).subarray(0, count * MNIST_PIXELS),
    [digit.name]: (train.targets[digit.name] as Int32Array).subarray(0, count),
  };
}

function syntheticColumn(type: TensorType, count: number, rng: Rng): Column {
  const length = count * perSample(type);
  if (type.kind === "int") return Int32Array.from({ length }, () => rng.int(type.vocab!));
  return Float32Array.from({ length }, () => rng.next());
}

/** `sampleCount / batchSize` full batches (views into one set of columns). */
export function benchBatches(graph: ModelGraph, batchSize: number, sampleCount: number, seed: number): BenchData {
  const source = isMnistShaped(graph) ? "mnist" : "synthetic";
  let columns: Record<string, Column>;
  if (source === "mnist") {
    columns = mnistColumns(graph, sampleCount);
  } else {
    const rng = new Rng(seed);
    columns = {};
    for (const t of [...graph.inputs, ...graph.targets]) columns[t.name] = syntheticColumn(t.type, sampleCount, rng);
  }
  const batches: Batch[] = [];
  for (let start = 0; start + batchSize <= sampleCount; start += batchSize) {
    const view = (t: { name: string; type: TensorType }) =>
      [t.name, columns[t.name]!.subarray(start * perSample(t.type), (start + batchSize) * perSample(t.type))] as const;
    batches.push({ size: batchSize, inputs: Object.fromEntries(graph.inputs.map(view)), targets: Object.fromEntries(graph.targets.map(view)) });
  }
  if (batches.length === 0) throw new Error(`${sampleCount} samples make no batch of ${batchSize}`);
  return { source, batches };
}
