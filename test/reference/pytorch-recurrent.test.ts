// lstm and gru against PyTorch 1.13 (Debian's python3-torch, run as /usr/bin/python3): the same
// weights under PyTorch's names, the same batch; the output, the mse loss, every weight's
// gradient and the output after one SGD step must agree to 1e-10 in float64 and 1e-4 in
// float32 (relative to the largest magnitude of each tensor). The twin is
// test/reference/pytorch/recurrent.py.

import { beforeAll, describe, expect, it } from "vitest";
import type { Batch, CompiledModel, DType } from "../../runtime/model.js";
import { runTwin, type TwinResult, twinModel, worstError } from "./pytorch/twin.js";

const LR = 0.5;

interface Case {
  layer: "lstm" | "gru";
  dtype: DType;
  sequences: boolean;
}

const cases: Case[] = (["lstm", "gru"] as const).flatMap((layer) =>
  [true, false].flatMap((sequences) => (["float64", "float32"] as const).map((dtype) => ({ layer, dtype, sequences }))),
);

/** The case's model, weights and batch, and what the twin needs to rebuild them. */
async function prepare({ layer, dtype, sequences }: Case) {
  const [steps, width, hidden, batch] = [5, 3, 4, 3];
  const text = [
    "model Twin {",
    `  input x: [${steps}, ${width}]`,
    `  target t: ${sequences ? `[${steps}, ${hidden}]` : `[${hidden}]`}`,
    `  output y = x |> ${layer}(${hidden}, return_sequences: ${sequences})`,
    "  loss mse(y, t)",
    `  optimizer sgd(lr: ${LR})`,
    "}",
  ].join("\n");
  const { model, random, parameters } = await twinModel(text, dtype, 5, batch, 17);
  const cast = (a: ArrayLike<number>) => (dtype === "float32" ? Float32Array.from(a) : Float64Array.from(a));
  const data: Batch = { size: batch, inputs: { x: cast(random.inputs["x"]!) }, targets: { t: cast(random.targets["t"]!) } };
  const twinInput = {
    layer,
    dtype,
    sequences,
    steps,
    inputWidth: width,
    hidden,
    batch,
    lr: LR,
    x: Array.from(data.inputs["x"]!),
    target: Array.from(data.targets["t"]!),
    ...parameters,
  };
  return { model, data, twinInput };
}

/** PyTorch's names are the last part of ours: `y.lstm_0.weight_ih` is the cell's `weight_ih`. */
describe("lstm and gru against PyTorch 1.13", () => {
  // One Python process for every case: importing torch takes seconds.
  let results: { model: CompiledModel; data: Batch; twin: TwinResult }[] = [];
  beforeAll(async () => {
    const prepared = await Promise.all(cases.map(prepare));
    const twins = runTwin("recurrent.py", prepared.map((p) => p.twinInput));
    results = prepared.map((p, i) => ({ model: p.model, data: p.data, twin: twins[i]! }));
  }, 60_000);

  cases.forEach((c, i) => {
    const bound = c.dtype === "float64" ? 1e-10 : 1e-4;
    it(`${c.layer}, ${c.sequences ? "every step" : "last step"}, ${c.dtype}: within ${bound}`, () => {
      const { model, data, twin } = results[i]!;
      const [where, error] = worstError(model, data, twin);
      console.log(`${c.layer} ${c.dtype} ${c.sequences ? "sequences" : "last"}: worst relative error ${error.toExponential(2)} (${where})`);
      expect(error, where).toBeLessThan(bound);
    });
  });
});
