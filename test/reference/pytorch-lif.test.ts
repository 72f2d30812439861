// lif against a PyTorch 1.13 twin written from snnTorch's equations
// (test/reference/pytorch/lif.py): `x |> dense(4) |> lif(...) |> sum_time` with mse, the same
// weights and batch; spike counts, loss, the gradients of the dense layer, beta and the
// threshold (through the surrogate) and the output after one SGD step must agree to 1e-10 in
// float64 and 1e-4 in float32, for every reset and both surrogates.

import { beforeAll, describe, expect, it } from "vitest";
import type { Batch, CompiledModel, DType } from "../../runtime/model.js";
import { runTwin, type TwinResult, twinModel, worstError } from "./pytorch/twin.js";

const LR = 0.05;
const [STEPS, WIDTH, HIDDEN, BATCH] = [6, 3, 4, 3];

interface Case {
  reset: "subtract" | "zero" | "none";
  surrogate: "fast_sigmoid" | "atan";
  dtype: DType;
}

const cases: Case[] = (["subtract", "zero", "none"] as const).flatMap((reset) =>
  (["fast_sigmoid", "atan"] as const).flatMap((surrogate) => (["float64", "float32"] as const).map((dtype) => ({ reset, surrogate, dtype }))),
);


async function prepare({ reset, surrogate, dtype }: Case) {
  const text = [
    "model Twin {",
    `  input x: [${STEPS}, ${WIDTH}]`,
    `  target t: [${HIDDEN}]`,
    `  output y = x |> dense(${HIDDEN}) |> lif(beta: 0.8, threshold: 0.4, reset: ${reset}, surrogate: ${surrogate === "atan" ? "atan(alpha: 2)" : "fast_sigmoid(slope: 5)"}, learn_beta: true, learn_threshold: true) |> sum_time`,
    "  loss mse(y, t)",
    `  optimizer sgd(lr: ${LR})`,
    "}",
  ].join("\n");
  const { model, random, parameters } = await twinModel(text, dtype, 6, BATCH, 21);
  const cast = (a: ArrayLike<number>, scale: number) =>
    dtype === "float32" ? Float32Array.from(a, (v) => v * scale) : Float64Array.from(a, (v) => v * scale);
  // Inputs scaled so that neurons fire several times; targets spike counts in [0, 3].
  const data: Batch = { size: BATCH, inputs: { x: cast(random.inputs["x"]!, 2) }, targets: { t: cast(random.targets["t"]!.map(Math.abs), 3) } };
  const twinInput = {
    reset,
    surrogate,
    slope: 5,
    alpha: 2,
    dtype,
    steps: STEPS,
    inputWidth: WIDTH,
    hidden: HIDDEN,
    batch: BATCH,
    lr: LR,
    x: Array.from(data.inputs["x"]!),
    target: Array.from(data.targets["t"]!),
    ...parameters,
  };
  return { model, data, twinInput };
}

function compare(model: CompiledModel, data: Batch, twin: TwinResult): [string, number] {
  const y = model.predict(data.inputs, data.size)["y"]!;
  expect(Array.from(y).some((v) => v > 0), "no neuron fired").toBe(true);
  return worstError(model, data, twin, y);
}

describe("lif against PyTorch 1.13 (snnTorch's equations)", () => {
  let results: { model: CompiledModel; data: Batch; twin: TwinResult }[] = [];
  beforeAll(async () => {
    const prepared = await Promise.all(cases.map(prepare));
    const twins = runTwin("lif.py", prepared.map((p) => p.twinInput));
    results = prepared.map((p, i) => ({ model: p.model, data: p.data, twin: twins[i]! }));
  }, 60_000);

  cases.forEach((c, i) => {
    const bound = c.dtype === "float64" ? 1e-10 : 1e-4;
    it(`reset ${c.reset}, ${c.surrogate}, ${c.dtype}: within ${bound}`, () => {
      const { model, data, twin } = results[i]!;
      const [where, error] = compare(model, data, twin);
      console.log(`lif ${c.reset} ${c.surrogate} ${c.dtype}: worst relative error ${error.toExponential(2)} (${where})`);
      expect(error, where).toBeLessThan(bound);
    });
  });
});
