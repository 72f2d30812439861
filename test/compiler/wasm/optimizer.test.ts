// Adam and AdamW on the wasm back end: the step runs in WebAssembly (compiler/wasm/adam.ts)
// on moments that live in the model's one memory, and agrees with the JavaScript optimizer
// within float32 rounding over several steps; its state survives a checkpoint round trip.

import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import { emitModule } from "../../../compiler/compile.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from "../../../runtime/checkpoint.js";
import type { Batch, CompiledModel, FloatArray } from "../../../runtime/model.js";
import { sequence } from "./harness.js";

const modelText = (optimizer: string) => `model Fit {
  input x: [7]
  target y: int(3)
  h = x |> dense(9) |> relu |> dense(6) |> relu
  output logits = h |> dense(3)
  loss softmax_cross_entropy(logits, y)
  optimizer ${optimizer}
}
`;

const OPTIMIZERS = ["adam(lr: 0.01)", "adam(lr: 0.01, weight_decay: 0.05)", "adamw(lr: 0.01, weight_decay: 0.1)"];

async function create(optimizer: string, backend: "wasm" | "js", seed = 3): Promise<CompiledModel> {
  const [graph] = checkText(modelText(optimizer), "fit.nn").models;
  const { module } = await loadModelFromGraph(graph!, { backend });
  return module.create({ seed, maxBatch: 9 });
}

function batch(n: number, seed: number): Batch {
  const y = Int32Array.from(sequence(n, seed + 1), (v) => Math.floor(((v + 1) / 2) * 3));
  return { size: n, inputs: { x: sequence(n * 7, seed) }, targets: { y } };
}

const SIZES = [1, 4, 9, 5, 9];

function expectClose(a: Map<string, FloatArray>, b: Map<string, FloatArray>): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, want] of b) {
    const got = a.get(k)!;
    let scale = 1e-3;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!) / scale, `${k}[${i}]: ${got[i]} against ${want[i]}`).toBeLessThan(1e-4);
  }
}

const state = (m: CompiledModel) => new Map([...m.optimizer!.getState()].map(([k, v]) => [k, v as FloatArray]));

describe("adam on the wasm back end", () => {
  it("carries the Adam kernel only where the optimizer is adam or adamw", () => {
    for (const [optimizer, carries] of [["adam(lr: 0.01)", true], ["adamw()", true], ["sgd(lr: 0.1)", false]] as const) {
      const [graph] = checkText(modelText(optimizer), "fit.nn").models;
      expect(emitModule(graph!, { backend: "wasm" }).includes('"optim_adam"'), optimizer).toBe(carries);
    }
  });

  for (const optimizer of OPTIMIZERS) {
    it(`${optimizer}: weights and moments as the JavaScript optimizer's over ${SIZES.length} steps (batches 1, odd, max)`, async () => {
      const wasm = await create(optimizer, "wasm");
      const js = await create(optimizer, "js");
      expect(Reflect.get(wasm, "kw")).not.toBeNull();
      SIZES.forEach((n, i) => {
        wasm.trainStep(batch(n, 10 * i));
        js.trainStep(batch(n, 10 * i));
      });
      // The moments are views of the model's memory, which the kernel reads and writes.
      const slots = Reflect.get(wasm.optimizer!, "slots") as FloatArray[][];
      expect(slots.flat().every((s) => s.buffer === wasm.parameters()[0]!.value.buffer)).toBe(true);
      expectClose(wasm.getWeights(), js.getWeights());
      expectClose(state(wasm), state(js));
    });
  }

  it("resumes from a checkpoint as if never stopped", async () => {
    const optimizer = OPTIMIZERS[2]!;
    const steps = (m: CompiledModel, from: number) => SIZES.slice(from).forEach((n, i) => m.trainStep(batch(n, 10 * (from + i))));
    const whole = await create(optimizer, "wasm");
    const first = await create(optimizer, "wasm");
    SIZES.slice(0, 2).forEach((n, i) => {
      whole.trainStep(batch(n, 10 * i));
      first.trainStep(batch(n, 10 * i));
    });
    const resumed = await create(optimizer, "wasm", 99);
    restoreCheckpoint(resumed, decodeCheckpoint(resumed.info, encodeCheckpoint(first, null)));
    // A model that has stepped already takes the state into its existing moments.
    restoreCheckpoint(first, decodeCheckpoint(first.info, encodeCheckpoint(first, null)));
    steps(whole, 2);
    steps(resumed, 2);
    steps(first, 2);
    expect(resumed.getWeights()).toEqual(whole.getWeights());
    expect(resumed.optimizer!.getState()).toEqual(whole.optimizer!.getState());
    expect(first.getWeights()).toEqual(whole.getWeights());
  });
});
