// The data both systems train on: a fixed, seeded synthetic set of the model's shapes
// (floats uniform in [0, 1) like pixels, integer labels uniform in 0..V-1), cut into full
// batches that every system receives as the same typed arrays. Throughput does not depend
// on the values, and synthetic data keeps the benchmark free of downloads and loaders.
import type { ModelGraph, TensorType } from "../compiler/graph.js";
import type { Batch } from "../runtime/model.js";
import { Rng } from "../runtime/rng.js";

function column(type: TensorType, count: number, rng: Rng): Float32Array | Int32Array {
  const length = count * type.shape.reduce((a, b) => a * b, 1);
  if (type.kind === "int") return Int32Array.from({ length }, () => rng.int(type.vocab!));
  return Float32Array.from({ length }, () => rng.next());
}

/** `sampleCount / batchSize` full batches (views into one set of columns). */
export function syntheticBatches(graph: ModelGraph, batchSize: number, sampleCount: number, seed: number): Batch[] {
  const rng = new Rng(seed);
  const inputs = graph.inputs.map((t) => ({ t, data: column(t.type, sampleCount, rng) }));
  const targets = graph.targets.map((t) => ({ t, data: column(t.type, sampleCount, rng) }));
  const perSample = (type: TensorType) => type.shape.reduce((a, b) => a * b, 1);
  const batches: Batch[] = [];
  for (let start = 0; start + batchSize <= sampleCount; start += batchSize) {
    const view = ({ t, data }: { t: { name: string; type: TensorType }; data: Float32Array | Int32Array }) =>
      [t.name, data.subarray(start * perSample(t.type), (start + batchSize) * perSample(t.type))] as const;
    batches.push({ size: batchSize, inputs: Object.fromEntries(inputs.map(view)), targets: Object.fromEntries(targets.map(view)) });
  }
  if (batches.length === 0) throw new Error(`${sampleCount} samples make no batch of ${batchSize}`);
  return batches;
}
