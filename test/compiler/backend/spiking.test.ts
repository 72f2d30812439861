// lif, repeat and the reductions over time: the membrane's gradients through time (beta and
// the threshold learned) against central finite differences in float64 for every reset; the
// spikes and membranes against the float64 reference; the spike's gradient against the
// surrogate's formula, since the spike itself has none.

import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import type { ModelGraph } from "../../../compiler/graph.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import { forward64 } from "../../../reference/float64-model.js";
import { gradCheck, randomBatch } from "./gradcheck.js";

function checked(lines: string[]): ModelGraph {
  const text = ["model Spiking {", ...lines.map((l) => `  ${l}`), "  loss mse(y, t)", "  optimizer sgd(lr: 0.1)", "}"].join("\n");
  const result = checkText(text);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), text).toEqual([]);
  return result.models[0]!;
}

async function expectForwardMatches(graph: ModelGraph, batch: number): Promise<number> {
  const { module } = await loadModelFromGraph(graph, { dtype: "float64" });
  const model = module.create({ seed: 2, maxBatch: batch });
  const data = randomBatch(graph, batch, 5);
  const got = model.predict(data.inputs, batch)["y"]!;
  const want = forward64(graph, model.getWeights(), data, false)["y"]!;
  for (let i = 0; i < want.length; i++) expect(got[i], `y[${i}]`).toBeCloseTo(want[i]!, 12);
  return want.filter((v) => v === 1).length;
}

describe("lif: the membrane through time", () => {
  for (const reset of ["subtract", "zero", "none"])
    for (const steps of [1, 2, 5]) {
      it(`reset ${reset}, T = ${steps}: gradients (input, beta, threshold) match finite differences, batch 1 and 3`, async () => {
        // Currents scaled up so that some neurons fire and reset.
        const graph = checked([
          `input x: [${steps}, 3]`,
          `target t: [${steps}, 4]`,
          `output y = lif((x |> dense(4)) * 3, beta: 0.8, threshold: 0.7, reset: ${reset}, membrane: true, learn_beta: true, learn_threshold: true)`,
        ]);
        for (const batch of [1, 3]) {
          const result = await gradCheck(graph, batch);
          expect(result.checked).toBeGreaterThan(0);
          expect(result.worst, `batch ${batch}: ${result.where}`).toBeLessThan(1e-6);
        }
      });
    }

  for (const reset of ["subtract", "zero", "none"])
    it(`reset ${reset}: spikes and membrane as the float64 reference, and some spikes fire`, async () => {
      const spikes = checked(["input x: [6, 3]", "target t: [6, 4]", `output y = lif((x |> dense(4)) * 3, threshold: 0.5, reset: ${reset})`]);
      expect(await expectForwardMatches(spikes, 3)).toBeGreaterThan(0);
      await expectForwardMatches(checked(["input x: [6, 3]", "target t: [6, 4]", `output y = lif((x |> dense(4)) * 3, threshold: 0.5, reset: ${reset}, membrane: true)`]), 3);
    });
});

describe("lif: the spike's gradient is the surrogate's", () => {
  const surrogates: [string, (v: number) => number][] = [
    ["surrogate: fast_sigmoid(slope: 25)", (v) => 1 / (1 + 25 * Math.abs(v)) ** 2],
    ["surrogate: fast_sigmoid(slope: 4)", (v) => 1 / (1 + 4 * Math.abs(v)) ** 2],
    ["surrogate: atan(alpha: 2)", (v) => 2 / 2 / (1 + ((Math.PI / 2) * 2 * v) ** 2)],
    ["surrogate: atan(alpha: 0.5)", (v) => 0.5 / 2 / (1 + ((Math.PI / 2) * 0.5 * v) ** 2)],
  ];
  for (const [args, formula] of surrogates)
    it(`${args}: d loss / d bias = sum of d loss / d spike times the formula at U - θ`, async () => {
      // One step: U = I = x W^T + b, S = H(U - θ); mse over N elements: dL/dS = 2 (S - t) / N.
      const graph = checked(["input x: [1, 3]", "target t: [1, 4]", `output y = x |> dense(4) |> lif(threshold: 0.3, ${args})`]);
      const batch = 5;
      const { module } = await loadModelFromGraph(graph, { dtype: "float64" });
      const model = module.create({ seed: 3, maxBatch: batch });
      const data = randomBatch(graph, batch, 8);
      model.forwardBackward(data);
      const weights = model.getWeights();
      const name = (suffix: string) => module.info.params.find((p) => p.name.endsWith(suffix))!.name;
      const w = weights.get(name("dense_0.weight"))!;
      const b = weights.get(name("dense_0.bias"))!;
      const x = data.inputs["x"]!;
      const t = data.targets["t"]!;
      const want = new Float64Array(4);
      for (let i = 0; i < batch; i++)
        for (let j = 0; j < 4; j++) {
          let u = b[j]!;
          for (let k = 0; k < 3; k++) u += w[j * 3 + k]! * x[i * 3 + k]!;
          const spike = u > 0.3 ? 1 : 0;
          want[j]! += ((2 * (spike - t[i * 4 + j]!)) / (batch * 4)) * formula(u - 0.3);
        }
      const got = model.getGradients!().get(name("dense_0.bias"))!;
      for (let j = 0; j < 4; j++) expect(got[j], `bias[${j}]`).toBeCloseTo(want[j]!, 12);
    });
});

describe("repeat and the reductions over time", () => {
  for (const reduce of ["sum_time", "mean_time", "last"])
    for (const steps of [1, 2, 5])
      it(`repeat(${steps}) then lif then ${reduce}: gradients match finite differences`, async () => {
        const graph = checked(["input x: [3]", "target t: [4]", `output y = x |> dense(4) |> repeat(${steps}) |> lif(membrane: true, reset: none) |> ${reduce}`]);
        const result = await gradCheck(graph, 2);
        expect(result.checked).toBeGreaterThan(0);
        expect(result.worst, result.where).toBeLessThan(1e-6);
      });

  for (const steps of [1, 2, 5])
    it(`softmax_cross_entropy_sum_time over ${steps} steps of membranes: gradients match finite differences`, async () => {
      const text = [
        "model SumTime {",
        "  input x: [3]",
        "  target digit: int(4)",
        `  output mem = x |> dense(4) |> repeat(${steps}) |> lif(beta: 0.9, threshold: 0.5, membrane: true, learn_beta: true)`,
        "  loss softmax_cross_entropy_sum_time(mem, digit)",
        "  optimizer sgd(lr: 0.1)",
        "}",
      ].join("\n");
      const result = checkText(text);
      expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
      const check = await gradCheck(result.models[0]!, 3);
      expect(check.checked).toBeGreaterThan(0);
      expect(check.worst, check.where).toBeLessThan(1e-6);
    });
});
