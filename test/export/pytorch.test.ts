// The exported PyTorch module against Neuron: on every example and on models that together use
// every exportable op, the same weights give the same outputs, loss and gradients to 1e-5
// (float32, relative to the tensor's magnitude where it is above 1).
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import type { ModelGraph } from "../../compiler/graph.js";
import { layerEntries } from "../../compiler/library/index.js";
import { entryModel } from "../compiler/backend/entry-models.js";
import { exampleSources } from "../support/fixtures.js";
import { compareWithPytorch, type Comparison } from "./torch-compare.js";

const TOLERANCE = 1e-5;

function models(text: string): ModelGraph[] {
  const result = checkText(text);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return result.models;
}

const everyOp = readFileSync(new URL("../compiler/backend/every_op.nn", import.meta.url), "utf8");
const sequenceOps = readFileSync(new URL("sequence_ops.nn", import.meta.url), "utf8");

describe("nnc export --format pytorch matches Neuron", () => {
  const cases: [string, ModelGraph][] = [
    ...exampleSources().flatMap((text) => models(text).map((g): [string, ModelGraph] => [`example ${g.name}`, g])),
    ...models(everyOp).map((g): [string, ModelGraph] => [`every_op.nn ${g.name}`, g]),
    ...models(sequenceOps).map((g): [string, ModelGraph] => [`sequence_ops.nn ${g.name}`, g]),
    ...[...layerEntries.values()].map((e): [string, ModelGraph] => [`entry ${e.name}`, models(entryModel(e))[0]!]),
  ];
  let results: Comparison[] | undefined;
  beforeAll(async () => {
    results = await compareWithPytorch(cases.map(([, g]) => g));
  }, 300_000);
  cases.forEach(([label], i) => {
    it(label, () => {
      const c = results![i]!;
      console.log(`${label}: outputs ${c.outputs.toExponential(2)} loss ${c.loss.toExponential(2)} gradients ${c.gradients.toExponential(2)}`);
      expect(c.outputs, c.where).toBeLessThan(TOLERANCE);
      expect(c.loss, c.where).toBeLessThan(TOLERANCE);
      expect(c.gradients, c.where).toBeLessThan(TOLERANCE);
    });
  });
});
