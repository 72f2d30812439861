// Central finite differences in float64: the yardstick for every op's backward kernel.

import type { ModelGraph } from "../../../compiler/graph.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import type { Batch, CompiledModel, FloatArray } from "../../../runtime/model.js";

/** A small deterministic generator for test data (not the runtime's, so the two stay independent). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A batch of random data matching the graph's inputs and targets. */
export function randomBatch(graph: ModelGraph, size: number, seed = 1): Batch {
  const next = lcg(seed);
  const fill = (type: ModelGraph["targets"][number]["type"], loss?: string): FloatArray | Int32Array => {
    const count = size * type.shape.reduce((a, b) => a * b, 1);
    if (type.kind === "int") return Int32Array.from({ length: count }, () => Math.floor(next() * type.vocab!));
    // Probabilities for the cross-entropies, anything for the others.
    if (loss === "binary_cross_entropy") return Float64Array.from({ length: count }, () => 0.1 + 0.8 * next());
    if (loss === "cross_entropy") {
      const k = type.shape.at(-1)!;
      const a = new Float64Array(count);
      for (let r = 0; r < count; r += k) {
        let sum = 0;
        for (let j = 0; j < k; j++) sum += a[r + j] = next() + 0.1;
        for (let j = 0; j < k; j++) a[r + j]! /= sum;
      }
      return a;
    }
    return Float64Array.from({ length: count }, () => next() * 2 - 1);
  };
  const inputs: Batch["inputs"] = {};
  for (const i of graph.inputs) inputs[i.name] = fill(i.type);
  const targets: Batch["targets"] = {};
  for (const t of graph.targets) targets[t.name] = fill(t.type, graph.losses.find((l) => l.target === t.name)?.op);
  return { size, inputs, targets };
}

/**
 * Below this magnitude errors are measured absolutely: a central difference in float64 has a
 * rounding error near 1e-16 |L| / eps = 1e-10, which is no longer small relative to a
 * gradient of 1e-5.
 */
const ABSOLUTE_FLOOR = 1e-3;

export interface GradCheckResult {
  /** Largest |analytic - numeric| / max(|analytic|, |numeric|, ABSOLUTE_FLOOR) over every checked element. */
  worst: number;
  where: string;
  checked: number;
}

/**
 * Compares getGradients() with (L(w + eps) - L(w - eps)) / 2 eps for every element (or a
 * sample of `perParam` elements) of every trainable parameter.
 */
export async function gradCheck(
  graph: ModelGraph,
  batchSize: number,
  options: { eps?: number; perParam?: number; seed?: number; batch?: Batch; skipZeros?: boolean } = {},
): Promise<GradCheckResult> {
  const { module } = await loadModelFromGraph(graph, { dtype: "float64", skipZeros: options.skipZeros ?? true });
  const model: CompiledModel = module.create({ seed: options.seed ?? 3, maxBatch: batchSize + 2 });
  const batch = options.batch ?? randomBatch(graph, batchSize, options.seed ?? 7);
  const eps = options.eps ?? 1e-6;
  model.forwardBackward(batch);
  const analytic = model.getGradients!();
  const weights = model.getWeights();
  let worst = 0;
  let where = "";
  let checked = 0;
  const next = lcg(11);
  for (const p of module.info.params) {
    if (!p.trainable) continue;
    const w = weights.get(p.name)!;
    const g = analytic.get(p.name)!;
    const indices = w.length <= (options.perParam ?? Infinity)
      ? [...w.keys()]
      : Array.from({ length: options.perParam! }, () => Math.floor(next() * w.length));
    for (const i of indices) {
      const original = w[i]!;
      w[i] = original + eps;
      model.setWeights(weights);
      const plus = model.forwardBackward(batch);
      w[i] = original - eps;
      model.setWeights(weights);
      const minus = model.forwardBackward(batch);
      w[i] = original;
      const numeric = (plus - minus) / (2 * eps);
      const error = Math.abs(numeric - g[i]!) / Math.max(Math.abs(numeric), Math.abs(g[i]!), ABSOLUTE_FLOOR);
      checked++;
      if (error > worst) {
        worst = error;
        where = `${p.name}[${i}]: analytic ${g[i]}, numeric ${numeric}`;
      }
    }
  }
  model.setWeights(weights);
  return { worst, where, checked };
}
