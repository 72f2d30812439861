// What every example reaches with its own settings (its `train { }` block, seed 0 unless said), trained
// by the one command the README gives for it. Minutes of training: `npm run test:slow`.
// The short versions are in test/examples/learn.test.ts.
//
// mnist_mlp is also trained by TensorFlow.js (reference/) from the same initial weights,
// on the same split, in the same batches in the same order, for the same epochs: Neuron must
// reach at least what tfjs reaches.
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../compiler/load.js";
import { Batcher, type Dataset } from "../../runtime/data.js";
import type { EpochMetrics } from "../../runtime/train.js";
import { loadMnist } from "../../runtime/node/mnist.js";
import { Rng, RngStream } from "../../runtime/rng.js";
import { buildTfjsModel } from "../../reference/tfjs-model.js";
import { exampleProject, nnc } from "../cli/run-nnc.js";

const MINUTES = 60_000;

/** `nnc train EXAMPLE --data SPEC` with the file's settings; the epochs' metrics. */
async function trainExample(example: string, data: string, ...extra: string[]): Promise<{ epochs: EpochMetrics[]; seconds: number }> {
  const project = exampleProject(example, ...(data.includes(".") ? [data] : []));
  const started = performance.now();
  const r = await nnc("train", project.at(example), "--data", data.includes(".") ? project.at(data) : data, "--json", ...extra);
  const seconds = (performance.now() - started) / 1000;
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const epochs = r.stdout.trim().split("\n").map((line) => JSON.parse(line) as EpochMetrics);
  const shown = epochs.length <= 20 ? epochs : [epochs[0]!, epochs.at(-1)!];
  console.log(`${[example, ...extra].join(" ")}: ${shown.map((m) => `epoch ${m.epoch} acc ${m.accuracy} val_acc ${m.val_accuracy}`).join(", ")}; ${seconds.toFixed(1)} s`);
  return { epochs, seconds };
}

/** Held-out accuracy of a TensorFlow.js twin of mnist_mlp trained as `nnc train` trains it. */
async function tfjsMnistMlpAccuracy(): Promise<number> {
  const { graph, module } = await loadModel(exampleProject("mnist_mlp.nn").at("mnist_mlp.nn"));
  const { batch = 64, epochs = 10, seed = 0 } = module.info.train;
  const initial = module.create({ seed, maxBatch: batch }).getWeights();
  const reference = await buildTfjsModel(graph, initial);
  // tfjs seeds each dropout mask from Math.random: a seeded one makes its run repeatable too.
  const random = Math.random;
  const masks = new Rng(seed).fork(RngStream.dropout);
  Math.random = () => masks.next();
  try {
    const { train, test } = loadMnist(module.info);
    const batcher = new Batcher(train, batch);
    // The training loop's data order (runtime/train.ts): one generator, one shuffle per epoch.
    const order = new Rng(seed).fork(RngStream.shuffle);
    for (let epoch = 0; epoch < epochs; epoch++) {
      batcher.shuffle(order);
      for (let b = 0; b < batcher.batchesPerEpoch; b++) reference.trainStep(batcher.fill(b));
    }
    return heldOutAccuracy(test, (inputs, size) => reference.forward({ inputs, size }, { training: false }).logits!);
  } finally {
    Math.random = random;
    reference.dispose();
  }
}

function heldOutAccuracy(test: Dataset, logitsOf: (inputs: Dataset["inputs"], size: number) => Float32Array): number {
  const batcher = new Batcher(test, 250);
  let correct = 0;
  for (let b = 0; b < batcher.batchesPerEpoch; b++) {
    const batch = batcher.fill(b);
    const logits = logitsOf(batch.inputs, batch.size);
    const digits = batch.targets.digit!;
    for (let i = 0; i < batch.size; i++) {
      const row = logits.subarray(i * 10, (i + 1) * 10);
      if (row.indexOf(Math.max(...row)) === digits[i]) correct++;
    }
  }
  return correct / test.size;
}

describe("the examples reach their targets", () => {
  it("xor: 100% within its 500 epochs", { timeout: 5 * MINUTES }, async () => {
    const { epochs } = await trainExample("xor.nn", "xor.csv");
    expect(epochs).toHaveLength(500);
    expect(epochs.at(-1)!.accuracy).toBe(1);
  });

  // 94.4%: seeds 0-4 reach 94.40-94.45% on the wasm back end, whose zero-skipping products sum
  // in another order than before them (94.50%, one digit more of the 2,000); TensorFlow.js's
  // twin reaches 94.15%.
  it("mnist_mlp: at least 94.4% of the 2,000 held-out digits after its 10 epochs, and no less than TensorFlow.js", { timeout: 30 * MINUTES }, async () => {
    const { epochs } = await trainExample("mnist_mlp.nn", "mnist");
    const neuron = epochs.at(-1)!.val_accuracy!;
    const tfjs = await tfjsMnistMlpAccuracy();
    console.log(`mnist_mlp held-out accuracy: Neuron ${neuron}, TensorFlow.js ${tfjs}`);
    expect(neuron).toBeGreaterThanOrEqual(0.944);
    expect(neuron).toBeGreaterThanOrEqual(tfjs);
  });

  // One seed is one draw: on this split the model's accuracy after 3 epochs has a standard
  // deviation of about 0.3 points over seeds, in Neuron and in PyTorch alike (bench/pytorch/,
  // seeds 0-19: Neuron mean 97.22%, 96.60-97.75%, 17 of 20 at 97% or more; PyTorch 1.13 mean
  // 97.27%, 96.35-97.85%, 16 of 20), so a single run can land under 97% — seed 0 does, at
  // 96.65% — without anything being wrong. The target is held to the mean of five fixed seeds,
  // with a floor for each run.
  it("mnist_cnn: at least 97% of the held-out digits after its 3 epochs, on average over seeds 0-4", { timeout: 60 * MINUTES }, async () => {
    const seeds = [0, 1, 2, 3, 4];
    const finals: number[] = [];
    for (const seed of seeds) {
      const { epochs } = await trainExample("mnist_cnn.nn", "mnist", "--seed", String(seed));
      expect(epochs).toHaveLength(3);
      finals.push(epochs.at(-1)!.val_accuracy!);
    }
    const mean = finals.reduce((a, b) => a + b, 0) / finals.length;
    console.log(`mnist_cnn held-out accuracy, seeds ${seeds.join(", ")}: ${finals.join(", ")}; mean ${mean.toFixed(4)}`);
    expect(mean).toBeGreaterThanOrEqual(0.97);
    for (const accuracy of finals) expect(accuracy).toBeGreaterThanOrEqual(0.965);
  });

  it("reverse: at least 99% of held-out tokens after its 20 epochs", { timeout: 30 * MINUTES }, async () => {
    const { epochs } = await trainExample("reverse.nn", "reverse.data.ts");
    expect(epochs).toHaveLength(20);
    expect(epochs.at(-1)!.val_accuracy!).toBeGreaterThanOrEqual(0.99);
  });

  // lstm_sum's answers depend on every earlier digit: the same model with a position-wise
  // feed-forward layer in the LSTM's place stays near chance (it knows only the first
  // position's sum), which is what makes the LSTM's figure mean something.
  it("lstm_sum: at least 99% of held-out running sums after its 4 epochs; a feed-forward net in its place under 30%", { timeout: 30 * MINUTES }, async () => {
    const { epochs, seconds } = await trainExample("lstm_sum.nn", "lstm_sum.data.ts");
    expect(epochs).toHaveLength(4);
    expect(epochs.at(-1)!.val_accuracy!).toBeGreaterThanOrEqual(0.99);
    console.log(`lstm_sum: ${epochs.at(-1)!.val_accuracy} held out in ${seconds.toFixed(1)} s`);

    const project = exampleProject("lstm_sum.nn", "lstm_sum.data.ts");
    const text = readFileSync(project.at("lstm_sum.nn"), "utf8");
    const feedForward = text.replace("lstm(64, return_sequences: true)", "dense(64) |> tanh");
    expect(feedForward).not.toBe(text);
    writeFileSync(project.at("feed_forward.nn"), feedForward);
    const r = await nnc("train", project.at("feed_forward.nn"), "--data", project.at("lstm_sum.data.ts"), "--json");
    expect(r.code, r.stderr).toBe(0);
    const last = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as EpochMetrics;
    console.log(`lstm_sum with a feed-forward layer instead: ${last.val_accuracy} held out`);
    expect(last.val_accuracy!).toBeLessThan(0.3);
  });

  it("spiking_mnist: at least 93% of the held-out digits after its 10 epochs", { timeout: 30 * MINUTES }, async () => {
    const { epochs } = await trainExample("spiking_mnist.nn", "mnist");
    expect(epochs).toHaveLength(10);
    expect(epochs.at(-1)!.val_accuracy!).toBeGreaterThanOrEqual(0.93);
  });
});
