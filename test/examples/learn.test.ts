// Every example learns, from the one command that trains it (`nnc train FILE --data SPEC`),
// in a shortened run that fits `npm test`: fewer epochs or steps, the example's own model,
// optimizer, batch and seed. The full runs and their targets are in test/slow/examples.test.ts.
import { describe, expect, it } from "vitest";
import type { EpochMetrics } from "../../runtime/train.js";
import { exampleProject, nnc } from "../cli/run-nnc.js";

/** Trains a copy of an example through the CLI and returns its epochs' metrics. */
async function trainExample(example: string, data: string, ...flags: string[]): Promise<EpochMetrics[]> {
  const local = data.includes(".");
  const project = exampleProject(example, ...(local ? [data] : []));
  const r = await nnc("train", project.at(example), "--data", local ? project.at(data) : data, "--json", ...flags);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout.trim().split("\n").map((line) => JSON.parse(line) as EpochMetrics);
}

describe("each example learns in a short run", () => {
  it("xor reaches 100% within its 500 epochs", async () => {
    const epochs = await trainExample("xor.nn", "xor.csv");
    expect(epochs).toHaveLength(500);
    expect(epochs.at(-1)!.accuracy).toBe(1);
    expect(epochs.at(-1)!.loss).toBeLessThan(0.05);
  });

  // The default back end is wasm where the engine has SIMD; the JavaScript kernels learn too.
  for (const backend of ["wasm", "js"]) {
    it(`mnist_mlp reaches 90% of the held-out digits in three epochs (--backend ${backend})`, async () => {
      // 88.7% after one epoch, 90.6% after two, 91.3% after three (TensorFlow.js, same weights and batches: alike).
      const epochs = await trainExample("mnist_mlp.nn", "mnist", "--epochs", "3", "--backend", backend);
      expect(epochs.at(-1)!.val_accuracy).toBeGreaterThanOrEqual(0.9);
    });
  }

  it("mnist_cnn reaches 85% of the held-out digits in 80 steps", async () => {
    // 93.4% after 100 steps; the full 3 epochs (750 steps) are in test/slow.
    const [epoch] = await trainExample("mnist_cnn.nn", "mnist", "--steps", "80", "--backend", "wasm");
    expect(epoch!.step).toBe(80);
    expect(epoch!.val_accuracy).toBeGreaterThanOrEqual(0.85);
  });

  it("reverse reaches 90% of held-out tokens in two epochs", async () => {
    const epochs = await trainExample("reverse.nn", "reverse.data.ts", "--epochs", "2");
    expect(epochs.at(-1)!.val_accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it("lstm_sum beats chance (10%) and a feed-forward net (about 17%) on held-out running sums in 80 steps", async () => {
    // 28% after 80 steps, 79% after one epoch (125 steps), 100% from the second on; the full run is in test/slow.
    const [epoch] = await trainExample("lstm_sum.nn", "lstm_sum.data.ts", "--steps", "80");
    expect(epoch!.step).toBe(80);
    expect(epoch!.val_accuracy).toBeGreaterThanOrEqual(0.25);
  });

  it("spiking_mnist reaches 85% of the held-out digits in one epoch", async () => {
    // 89.05% after one epoch (63 steps), 94.7% after six; the full 10 epochs are in test/slow.
    const epochs = await trainExample("spiking_mnist.nn", "mnist", "--epochs", "1");
    expect(epochs.at(-1)!.val_accuracy).toBeGreaterThanOrEqual(0.85);
  });
});
