// rate_encode: its shape rule and refusals, the firing rate of its spikes against their
// probability, the order of its draws against the float64 reference fed the same generator,
// determinism per seed, no gradient to its input, and a model that learns through it.

import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import type { ModelGraph } from "../../../compiler/graph.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import { forward64 } from "../../../reference/float64-model.js";
import { Rng } from "../../../runtime/rng.js";
import type { CompiledModel } from "../../../runtime/model.js";
import { errorLines, model, outputShape, warnings } from "../checker/helpers.js";
import { lcg } from "./gradcheck.js";

function checked(text: string): ModelGraph {
  const result = checkText(text);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), text).toEqual([]);
  return result.models[0]!;
}

async function create(graph: ModelGraph, seed: number, maxBatch: number, dtype: "float32" | "float64" = "float64"): Promise<CompiledModel> {
  const { module } = await loadModelFromGraph(graph, { dtype });
  return module.create({ seed, maxBatch });
}

/** Probabilities below 0 and above 1 as well, which the draw clamps. */
const PROBABILITIES = [0, 0.02, 0.25, 0.5, 0.9, 1, -0.5, 1.7];
const F = PROBABILITIES.length;

const encoder = (steps: number) => checked(model(`input x: [${F}]`, `output s = x |> rate_encode(steps: ${steps})`));

function batchOf(samples: number): Float64Array {
  return Float64Array.from({ length: samples * F }, (_, i) => PROBABILITIES[i % F]!);
}

describe("rate_encode: shapes", () => {
  it("puts steps in front of the input's shape, like repeat", () => {
    expect(outputShape(model("input x: [784]", "output y = x |> rate_encode(steps: 25)"))).toEqual([25, 784]);
    expect(outputShape(model("input x: [2, 3]", "output y = x |> rate_encode(7)"))).toEqual([7, 2, 3]);
    expect(outputShape(model("input x: [5]", "output y = x |> rate_encode(steps: 1) |> lif |> sum_time"))).toEqual([5]);
  });

  it("refuses ids, a missing or non-positive step count, with the place", () => {
    expect(errorLines(model("input x: int(4)[3]", "output y = x |> rate_encode(steps: 2)"))).toEqual(["3:19 'rate_encode' needs a float tensor, got int(4)[3]; turn token ids into vectors with embedding first"]);
    expect(errorLines(model("input x: [3]", "output y = x |> rate_encode(steps: 0)"))).toEqual(["3:31 'steps' of 'rate_encode' must be at least 1, got 0"]);
    expect(errorLines(model("input x: [3]", "output y = x |> rate_encode"))).toEqual(["3:19 'rate_encode' needs argument 'steps'"]);
  });
});

describe("rate_encode: the spikes", () => {
  it("fire at their probability: exactly never at p <= 0, always at p >= 1, and within 4.5 standard errors elsewhere", async () => {
    const steps = 250;
    const samples = 64;
    const m = await create(encoder(steps), 7, samples);
    const s = m.predict({ x: batchOf(samples) }, samples)["s"]!;
    const draws = samples * steps;
    for (let f = 0; f < F; f++) {
      const p = Math.min(Math.max(PROBABILITIES[f]!, 0), 1);
      let fired = 0;
      let both = 0;
      let notSpikes = 0;
      for (let i = 0; i < samples; i++)
        for (let t = 0; t < steps; t++) {
          const v = s[(i * steps + t) * F + f]!;
          if (v !== 0 && v !== 1) notSpikes++;
          fired += v;
          if (t > 0) both += v * s[(i * steps + t - 1) * F + f]!;
        }
      expect(notSpikes).toBe(0);
      const rate = fired / draws;
      // Successive steps are independent draws: both fire at rate p².
      const pairs = samples * (steps - 1);
      const bothRate = both / pairs;
      const se = Math.sqrt((p * (1 - p)) / draws);
      const bothSe = Math.sqrt((p * p * (1 - p * p)) / pairs);
      console.log(`rate_encode p = ${PROBABILITIES[f]}: rate ${rate.toFixed(4)} over ${draws} draws (bound ${(4.5 * se).toFixed(4)}), successive pairs ${bothRate.toFixed(4)} (p² ${(p * p).toFixed(4)})`);
      if (p === 0 || p === 1) expect(rate).toBe(p);
      else {
        expect(Math.abs(rate - p)).toBeLessThan(4.5 * se);
        expect(Math.abs(bothRate - p * p)).toBeLessThan(4.5 * bothSe);
      }
    }
  });

  it("are one draw of the model's generator per element in [sample, step, feature] order, as the float64 reference draws them", async () => {
    const graph = encoder(5);
    const m = await create(graph, 3, 4);
    const next = lcg(5);
    const x = Float64Array.from({ length: 4 * F }, () => next() * 1.4 - 0.2);
    const generator = new Rng(0);
    generator.setState(m.rng.getState());
    const got = m.predict({ x }, 4)["s"]!;
    const want = forward64(graph, m.getWeights(), { size: 4, inputs: { x } }, false, () => generator.next())["s"]!;
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(got.some((v) => v === 1) && got.some((v) => v === 0)).toBe(true);
  });

  it("are the same for the same seed, in float32 and float64, and fresh at every call", async () => {
    const graph = encoder(6);
    const x = batchOf(3);
    const spikes = async (seed: number, dtype: "float32" | "float64") => {
      const m = await create(graph, seed, 3, dtype);
      return [0, 1].map(() => Array.from(m.predict({ x: dtype === "float32" ? Float32Array.from(x) : x }, 3)["s"]!));
    };
    const [first, second] = await spikes(11, "float64");
    expect(await spikes(11, "float64")).toEqual([first, second]);
    expect(await spikes(11, "float32")).toEqual([first, second]);
    expect(second).not.toEqual(first);
    expect((await spikes(12, "float64"))[0]).not.toEqual(first);
  });
});

describe("rate_encode: training", () => {
  it("passes no gradient to its input: the layer before it keeps a zero gradient, the one after it gets one", async () => {
    const graph = checked(
      model("input x: [3]", "target t: [2]", "output y = x |> dense(4) |> sigmoid |> rate_encode(steps: 5) |> sum_time |> dense(2)", "loss mse(y, t)", "optimizer sgd(lr: 0.1)"),
    );
    const m = await create(graph, 1, 4);
    const next = lcg(3);
    const data = (n: number) => Float64Array.from({ length: n }, () => next());
    m.forwardBackward({ size: 4, inputs: { x: data(12) }, targets: { t: data(8) } });
    const grads = m.getGradients!();
    const norm = (name: string) => Array.from(grads.get(name)!).reduce((a, v) => a + Math.abs(v), 0);
    expect(norm("y.dense_0.weight")).toBe(0);
    expect(norm("y.dense_0.bias")).toBe(0);
    expect(norm("y.dense_1.weight")).toBeGreaterThan(0);
  });

  it("a layer whose only way to the loss is through rate_encode is warned about (NN3003), one with another way is not", () => {
    const lines = (output: string) => model("input x: [3]", "target t: [2]", output, "loss mse(y, t)", "optimizer sgd(lr: 0.1)");
    const stranded = warnings(lines("output y = x |> dense(4) |> sigmoid |> rate_encode(steps: 5) |> sum_time |> dense(2)"));
    expect(stranded.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`)).toEqual([
      "NN3003 1:7 model 'M': 'dense' at 4:19 reaches the loss only through 'rate_encode' at 4:42, which passes no gradient back: its parameters never train",
    ]);
    expect(warnings(lines("output y = (x |> dense(2) |> rate_encode(steps: 5) |> sum_time) + (x |> dense(2))"))).toEqual([
      expect.objectContaining({ code: "NN3003" }),
    ]);
    const h = "h = x |> dense(2)";
    expect(warnings(model("input x: [3]", "target t: [2]", h, "output y = (h |> rate_encode(steps: 5) |> sum_time) + h", "loss mse(y, t)", "optimizer sgd(lr: 0.1)"))).toEqual([]);
    expect(warnings(lines("output y = x |> rate_encode(steps: 5) |> sum_time |> dense(2)"))).toEqual([]);
  });

  it("a model reading probabilities through rate_encode learns a linear function of them", async () => {
    // t = 2 x0 - x1 + 0.5 x2 - 0.25: only readable from the spikes' rates.
    const graph = checked(
      model("input x: [3]", "target t: [1]", "output y = x |> rate_encode(steps: 20) |> mean_time |> dense(1)", "loss mse(y, t)", "optimizer adam(lr: 0.05)"),
    );
    const m = await create(graph, 5, 32, "float32");
    const next = lcg(9);
    const batch = () => {
      const x = Float32Array.from({ length: 32 * 3 }, () => next());
      const t = Float32Array.from({ length: 32 }, (_, i) => 2 * x[i * 3]! - x[i * 3 + 1]! + 0.5 * x[i * 3 + 2]! - 0.25);
      return { size: 32, inputs: { x }, targets: { t } };
    };
    const losses: number[] = [];
    for (let step = 0; step < 300; step++) losses.push(m.trainStep(batch()));
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const first = mean(losses.slice(0, 10));
    const last = mean(losses.slice(-20));
    console.log(`rate_encode training: mse ${first.toFixed(4)} over the first 10 steps, ${last.toFixed(4)} over the last 20`);
    // The floor is the spikes' sampling noise: var(mean of 20 draws) summed with the weights' squares, about 0.05.
    expect(last).toBeLessThan(first / 4);
    expect(last).toBeLessThan(0.1);
  });
});
