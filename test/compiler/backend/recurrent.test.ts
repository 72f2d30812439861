// lstm and gru: backpropagation through time against central finite differences in float64,
// for sequences of 1, 2 and an odd number of steps, one and several samples, the last state or
// every step, stacked (gru reading lstm's sequence) and read twice (gradients that add up);
// their outputs against the float64 reference evaluator; PyTorch's init and names.

import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import type { ModelGraph } from "../../../compiler/graph.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import { forward64 } from "../../../reference/float64-model.js";
import { gradCheck, randomBatch } from "./gradcheck.js";

const TOLERANCE = 1e-6;

function checked(text: string): ModelGraph {
  const result = checkText(text);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), text).toEqual([]);
  return result.models[0]!;
}

function model(steps: number, body: string, out: string): ModelGraph {
  return checked(
    [
      "model Seq {",
      `  input x: [${steps}, 3]`,
      `  target t: ${out}`,
      "  h = x |> dense(3)",
      `  output y = ${body}`,
      "  loss mse(y, t)",
      "  optimizer sgd(lr: 0.1)",
      "}",
    ].join("\n"),
  );
}

async function expectMatches(graph: ModelGraph, batch: number): Promise<void> {
  const result = await gradCheck(graph, batch, { perParam: 30 });
  expect(result.checked).toBeGreaterThan(0);
  expect(result.worst, `batch ${batch}: ${result.where}`).toBeLessThan(TOLERANCE);
  const { module } = await loadModelFromGraph(graph, { dtype: "float64" });
  const compiled = module.create({ seed: 4, maxBatch: batch });
  const data = randomBatch(graph, batch, 9);
  const got = compiled.predict(data.inputs, batch)["y"]!;
  const want = forward64(graph, compiled.getWeights(), data, false)["y"]!;
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `y[${i}]`).toBeLessThan(1e-12);
}

describe("lstm and gru: gradients through time", () => {
  for (const layer of ["lstm", "gru"]) {
    for (const steps of [1, 2, 5]) {
      for (const sequences of [false, true]) {
        it(`${layer}, T = ${steps}, ${sequences ? "every step" : "last step"}, batch 1 and 3`, async () => {
          const graph = model(steps, `h |> ${layer}(4, return_sequences: ${sequences})`, sequences ? `[${steps}, 4]` : "[4]");
          await expectMatches(graph, 1);
          await expectMatches(graph, 3);
        });
      }
    }
  }

  it("gru stacked on lstm's sequence, and one input read by both (its gradient summed)", async () => {
    await expectMatches(model(3, "(h |> lstm(4, return_sequences: true) |> gru(2)) + (h |> gru(2))", "[2]"), 2);
  });
});

describe("lstm and gru: PyTorch's parameters", () => {
  it("names, shapes and init U(-1/sqrt(H), 1/sqrt(H)) of every tensor", async () => {
    const graph = checked(["model P {", "  input x: [6, 5]", "  output y = (x |> lstm(16)) + (x |> gru(16))", "}"].join("\n"));
    const { module } = await loadModelFromGraph(graph, { dtype: "float64" });
    const weights = module.create({ seed: 1, maxBatch: 1 }).getWeights();
    const shapes = Object.fromEntries(module.info.params.map((p) => [p.name.split(".").at(-1)! + (p.name.includes("lstm") ? "/lstm" : "/gru"), p.shape]));
    expect(shapes).toEqual({
      "weight_ih/lstm": [64, 5],
      "weight_hh/lstm": [64, 16],
      "bias_ih/lstm": [64],
      "bias_hh/lstm": [64],
      "weight_ih/gru": [48, 5],
      "weight_hh/gru": [48, 16],
      "bias_ih/gru": [48],
      "bias_hh/gru": [48],
    });
    for (const [name, w] of weights) {
      const largest = Math.max(...Array.from(w, Math.abs));
      expect(largest, name).toBeLessThanOrEqual(0.25);
      expect(largest, name).toBeGreaterThan(0.2);
    }
  });
});
