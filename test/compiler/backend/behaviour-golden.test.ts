// What every emitted module computes, pinned: each example and each model of every_op.nn is
// compiled, created from a fixed seed and run on fixed inputs (predict, forwardBackward with
// its gradients, evaluate, one trainStep and predict again), and a few checksums of every
// tensor are compared with the values stored in behaviour-golden.json. A change to the
// emitter (kernel sharing, memory planning, layout) must leave these unchanged; the
// tolerances allow only a reordering of floating-point sums, not a different computation.
//
// The stored values come from the emitter as it was when this test was written. Regenerate
// them only for a change that is meant to alter results, and say so in the commit:
//   NEURON_UPDATE_GOLDEN=1 npx vitest run test/compiler/backend/behaviour-golden.test.ts

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import type { ModelGraph } from "../../../compiler/graph.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import type { Batch, FloatArray } from "../../../runtime/model.js";
import { randomBatch } from "./gradcheck.js";

const examplesDir = fileURLToPath(new URL("../../../examples/", import.meta.url));
const everyOpFile = fileURLToPath(new URL("./every_op.nn", import.meta.url));
const goldenFile = fileURLToPath(new URL("./behaviour-golden.json", import.meta.url));
const update = process.env.NEURON_UPDATE_GOLDEN === "1";

/** Checksums of one tensor: enough to catch any changed element, small enough to store. */
type Summary = [length: number, sum: number, absSum: number, weightedSum: number, first: number, last: number];
type Record_ = Record<string, Summary | number>;

function summary(a: ArrayLike<number>): Summary {
  let sum = 0;
  let abs = 0;
  let weighted = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    sum += v;
    abs += Math.abs(v);
    weighted += v * ((i % 13) + 1);
  }
  return [a.length, sum, abs, weighted, a[0] ?? 0, a[a.length - 1] ?? 0];
}

function graphsOf(path: string): ModelGraph[] {
  const result = checkText(readFileSync(path, "utf8"), path);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`${path}: ${errors.map((d) => d.message).join("; ")}`);
  return result.models;
}

function allGraphs(): { file: string; graph: ModelGraph }[] {
  const examples = readdirSync(examplesDir)
    .filter((f) => f.endsWith(".nn"))
    .sort()
    .flatMap((f) => graphsOf(examplesDir + f).map((graph) => ({ file: f, graph })));
  return [...examples, ...graphsOf(everyOpFile).map((graph) => ({ file: "every_op.nn", graph }))];
}

/** The batch in the model's dtype (the module checks the element type of float arrays). */
function inDtype(batch: Batch, dtype: "float32" | "float64"): Batch {
  const convert = (a: FloatArray | Int32Array) => (a instanceof Int32Array ? a : dtype === "float32" ? Float32Array.from(a) : Float64Array.from(a));
  const map = (r: Batch["inputs"]) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, convert(v)]));
  return { size: batch.size, inputs: map(batch.inputs), targets: map(batch.targets) };
}

async function behaviour(graph: ModelGraph, dtype: "float32" | "float64"): Promise<Record_> {
  const size = 3;
  const { module } = await loadModelFromGraph(graph, { dtype });
  const model = module.create({ seed: 5, maxBatch: 4 });
  const batch = inDtype(randomBatch(graph, size, 9), dtype);
  const out: Record_ = {};
  const record = (prefix: string, tensors: Iterable<[string, ArrayLike<number>]>) => {
    for (const [name, values] of tensors) out[`${prefix} ${name}`] = summary(values);
  };
  record("weights", model.getWeights());
  record("predict", Object.entries(model.predict(batch.inputs, size)));
  if (graph.losses.length === 0) return out;
  out["forwardBackward loss"] = model.forwardBackward(batch);
  record("gradient", model.getGradients!());
  const metrics = model.evaluate(batch);
  out["evaluate loss"] = metrics.loss;
  out["evaluate correct"] = metrics.correct;
  if (graph.optimizer === null) return out;
  out["trainStep loss"] = model.trainStep(batch);
  record("trained", model.getWeights());
  record("predict after step", Object.entries(model.predict(batch.inputs, size)));
  return out;
}

/** Equal up to the rounding a reordered sum of this dtype can give. */
function close(actual: number, expected: number, dtype: "float32" | "float64"): boolean {
  const [rel, abs] = dtype === "float64" ? [1e-9, 1e-12] : [2e-4, 1e-6];
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  return Math.abs(actual - expected) <= abs + rel * Math.max(Math.abs(actual), Math.abs(expected));
}

const graphs = allGraphs();
const golden: Record<string, Record_> = !update && existsSync(goldenFile) ? (JSON.parse(readFileSync(goldenFile, "utf8")) as Record<string, Record_>) : {};
const produced: Record<string, Record_> = {};

describe("emitted modules behave as recorded", () => {
  for (const { file, graph } of graphs) {
    for (const dtype of ["float64", "float32"] as const) {
      const key = `${file} ${graph.name} ${dtype}`;
      it(key, async () => {
        const actual = await behaviour(graph, dtype);
        produced[key] = actual;
        if (update) return;
        const expected = golden[key];
        expect(expected, `no stored behaviour for ${key}; regenerate the fixture (see the top of this file)`).toBeDefined();
        expect(Object.keys(actual)).toEqual(Object.keys(expected!));
        const differences: string[] = [];
        for (const [what, value] of Object.entries(expected!)) {
          const got = actual[what]!;
          const pairs = typeof value === "number" ? [[got as number, value]] : (value).map((v, i) => [(got as Summary)[i]!, v]);
          if (pairs.some(([a, e]) => !close(a!, e!, dtype))) differences.push(`${what}: expected ${JSON.stringify(value)}, got ${JSON.stringify(got)}`);
        }
        expect(differences).toEqual([]);
      });
    }
  }

  it.runIf(update)("writes the fixture", () => {
    // One line per tensor, so that a regenerated fixture diffs readably.
    const models = Object.entries(produced).map(
      ([key, values]) => `${JSON.stringify(key)}: {\n${Object.entries(values).map(([what, v]) => `  ${JSON.stringify(what)}: ${JSON.stringify(v)}`).join(",\n")}\n}`,
    );
    writeFileSync(goldenFile, `{\n${models.join(",\n")}\n}\n`);
  });
});
