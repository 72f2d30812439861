// Every library entry the language accepts must compile and train: for each layer, activation,
// loss and optimizer, a tiny model is written from the entry itself (its inputs, its
// `example` or a float [4, 6] input), checked, compiled, run forward and backward, its
// gradients held to central finite differences in float64 and its outputs to the float64
// reference evaluator. A library entry the back end cannot lower fails here, not in a
// user's `nnc compile`.

import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import type { ModelGraph, TensorType } from "../../../compiler/graph.js";
import { layerEntries, lossEntries, optimizerEntries } from "../../../compiler/library/index.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import { forward64 } from "../../../reference/float64-model.js";
import { entryModel, typeText } from "./entry-models.js";
import { gradCheck, randomBatch } from "./gradcheck.js";

const TOLERANCE = 1e-6;

function checked(text: string): ModelGraph {
  const result = checkText(text);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  expect(errors.map((d) => d.message), text).toEqual([]);
  return result.models[0]!;
}

describe("every layer and activation of the library", () => {
  for (const entry of layerEntries.values()) {
    it(`${entry.name}: compiles, matches the float64 reference forward and finite differences backward`, async () => {
      const graph = checked(entryModel(entry));
      const result = await gradCheck(graph, 3, { perParam: 24 });
      expect(result.checked).toBeGreaterThan(0);
      expect(result.worst, result.where).toBeLessThan(TOLERANCE);

      const { module } = await loadModelFromGraph(graph, { dtype: "float64" });
      const model = module.create({ seed: 2, maxBatch: 3 });
      const batch = randomBatch(graph, 3, 5);
      const got = model.predict(batch.inputs, 3)["y"]!;
      const want = forward64(graph, model.getWeights(), batch, false)["y"]!;
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i]!, `y[${i}]`).toBeCloseTo(want[i]!, 10);
    });
  }
});

describe("every loss of the library", () => {
  for (const loss of lossEntries.values()) {
    it(`${loss.name}: compiles and matches finite differences`, async () => {
      // Probabilities for the losses that take them; the first prediction and target shapes the
      // loss accepts (a sequence [2, 3] for the losses over time).
      const shapes = [[3], [2, 3]].flatMap((shape): [TensorType, TensorType][] => {
        const p: TensorType = { shape, kind: "float" };
        return [[p, p], [p, { shape: [], kind: "int", vocab: 3 }]];
      });
      const fit = shapes.find(([p, t]) => loss.check(p, t, { prediction: "y", target: "t" }) === null);
      expect(fit, `no target fits ${loss.name}`).toBeDefined();
      const [prediction, target] = fit!;
      const graph = checked(
        [
          "model Loss {",
          `  input x: [${[...prediction.shape.slice(0, -1), 4].join(", ")}]`,
          `  target t: ${typeText(target)}`,
          "  output y = x |> dense(3) |> sigmoid",
          `  loss ${loss.name}(y, t)`,
          "  optimizer sgd(lr: 0.1)",
          "}",
        ].join("\n"),
      );
      const result = await gradCheck(graph, 3);
      expect(result.checked).toBeGreaterThan(0);
      expect(result.worst, result.where).toBeLessThan(TOLERANCE);
    });
  }
});

describe("every optimizer of the library", () => {
  for (const optimizer of optimizerEntries.values()) {
    it(`${optimizer.name}: trains a step with its defaults`, async () => {
      const graph = checked(
        ["model Opt {", "  input x: [4]", "  target t: [2]", "  output y = x |> dense(2)", "  loss mse(y, t)", `  optimizer ${optimizer.name}(lr: 0.1)`, "}"].join("\n"),
      );
      const { module } = await loadModelFromGraph(graph, { dtype: "float64" });
      const model = module.create({ seed: 1, maxBatch: 3 });
      const before = new Float64Array(model.getWeights().get("y.dense_0.weight")!);
      const batch = randomBatch(graph, 3, 4);
      expect(Number.isFinite(model.trainStep(batch))).toBe(true);
      const after = model.getWeights().get("y.dense_0.weight")!;
      expect(Array.from(after)).not.toEqual(Array.from(before));
    });
  }
});
