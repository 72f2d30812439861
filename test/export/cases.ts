// The models every export test runs (PyTorch, the ONNX checker and evaluator, onnxruntime):
// every example, every_op.nn, sequence_ops.nn and one model per library entry, so an op
// added to the library is exported, or refused, by all of them at once.
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import type { ModelGraph } from "../../compiler/graph.js";
import { layerEntries } from "../../compiler/library/index.js";
import { entryModel } from "../compiler/backend/entry-models.js";
import { exampleSources } from "../support/fixtures.js";

/** The models of a checked source, which must have no errors. */
export function models(text: string): ModelGraph[] {
  const result = checkText(text);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return result.models;
}

const fixture = (url: URL): string => readFileSync(url, "utf8");

/** [a name for the test, the model]. */
export function exportCases(): [string, ModelGraph][] {
  const named = (prefix: string, text: string) => models(text).map((g): [string, ModelGraph] => [`${prefix} ${g.name}`, g]);
  return [
    ...exampleSources().flatMap((text) => named("example", text)),
    ...named("every_op.nn", fixture(new URL("../compiler/backend/every_op.nn", import.meta.url))),
    ...named("sequence_ops.nn", fixture(new URL("sequence_ops.nn", import.meta.url))),
    ...[...layerEntries.values()].map((e): [string, ModelGraph] => [`entry ${e.name}`, models(entryModel(e))[0]!]),
  ];
}
