import { describe, expect, it } from "vitest";
import { decodeCheckpoint, type TrainingProgress } from "../../runtime/checkpoint.js";
import { DataError, datasetFromSamples, type Dataset } from "../../runtime/data.js";
import type { ModelInfo } from "../../runtime/model.js";
import { evaluate, predict, train, TrainingError, type EpochMetrics } from "../../runtime/train.js";
import { regressionInfo, SoftmaxRegression, syntheticSamples } from "./softmax-regression.js";

const info = regressionInfo();
/** 103 samples: batches of 10 leave a partial last batch of 3. */
const data = dataset(info, 103, 1);
const heldOut = dataset(info, 50, 2);

function dataset(model: ModelInfo, count: number, seed: number): Dataset {
  return datasetFromSamples(model, syntheticSamples(count, seed), true, { source: "synthetic", where: (i) => `sample ${i}` });
}

function weightsOf(model: SoftmaxRegression): number[][] {
  return [...model.getWeights().values()].map((w) => Array.from(w));
}

describe("train", () => {
  it("learns, and reports per-epoch metrics", async () => {
    const model = new SoftmaxRegression(info, { seed: 3 });
    const before = evaluate(model, heldOut);
    const epochs: EpochMetrics[] = [];
    const result = await train(model, data, { epochs: 8, validation: heldOut, onEpoch: (m) => epochs.push(m) });
    expect(result.history).toEqual(epochs);
    expect(epochs.map((m) => m.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.steps).toBe(8 * 11);
    expect(epochs.at(-1)!.step).toBe(88);
    expect(epochs.at(-1)!.loss).toBeLessThan(epochs[0]!.loss);
    expect(epochs.at(-1)!.val_loss!).toBeLessThan(before.loss);
    expect(epochs.at(-1)!.val_accuracy!).toBeGreaterThan(0.85);
    expect(epochs.at(-1)!.accuracy!).toBeGreaterThan(0.7);
    for (const m of epochs) {
      expect(m.samples_per_sec).toBeGreaterThan(0);
      expect(m.seconds).toBeGreaterThanOrEqual(0);
    }
  });

  it("keeps the metrics of the last historyLimit epochs, however many epochs the run has", async () => {
    // One batch per epoch: 5,000 epochs, each reported, of which the result keeps 1,000 (the default) or 7.
    const tiny = dataset(info, 4, 3);
    const reported: number[] = [];
    const result = await train(new SoftmaxRegression(info, { seed: 1, maxBatch: 4 }), tiny, { epochs: 5000, batchSize: 4, onEpoch: (m) => reported.push(m.epoch) });
    expect(reported).toHaveLength(5000);
    expect(result.history.map((m) => m.epoch)).toEqual(Array.from({ length: 1000 }, (_, i) => 4001 + i));
    const few = await train(new SoftmaxRegression(info, { seed: 1, maxBatch: 4 }), tiny, { epochs: 50, batchSize: 4, historyLimit: 7 });
    expect(few.history.map((m) => m.epoch)).toEqual([44, 45, 46, 47, 48, 49, 50]);
    expect(few.startStep).toBe(0);
  });

  it("reports every batch, the partial last one included", async () => {
    const seen: [number, number][] = [];
    await train(new SoftmaxRegression(info), data, { epochs: 1, onBatch: (p) => seen.push([p.batch, p.batches]) });
    expect(seen).toHaveLength(11);
    expect(seen.at(-1)).toEqual([11, 11]);
  });

  it("gives the same weights for the same seeds, and a different data order for another data seed", async () => {
    const run = async (dataSeed: number) => {
      const model = new SoftmaxRegression(info, { seed: 5 });
      await train(model, data, { epochs: 2, seed: dataSeed });
      return weightsOf(model);
    };
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
  });

  it("takes a step budget instead of epochs, and sets the optimizer's totalSteps", async () => {
    const model = new SoftmaxRegression(info);
    const result = await train(model, data, { steps: 15 });
    expect(result.steps).toBe(15);
    expect(model.optimizer!.totalSteps).toBe(15);
    expect(result.history.map((m) => m.epoch)).toEqual([1, 2]); // the second epoch stopped after 4 of its 11 batches
  });

  it("sets totalSteps from epochs times batches per epoch, and applies --lr", async () => {
    const model = new SoftmaxRegression(info);
    await train(model, data, { epochs: 2, lr: 0.123 });
    expect(model.optimizer!.totalSteps).toBe(22);
    expect(model.optimizer!.lr).toBe(0.123);
  });

  it("does not shuffle when asked not to", async () => {
    const orders: number[] = [];
    const model = new SoftmaxRegression(info, { maxBatch: 103 });
    const unshuffled = datasetFromSamples(info, syntheticSamples(103, 1), true, { source: "s", where: String });
    const original = model.trainStep.bind(model);
    model.trainStep = (batch) => {
      orders.push((batch.inputs.x as Float64Array)[0]!);
      return original(batch);
    };
    await train(model, unshuffled, { epochs: 2, batchSize: 103, shuffle: false });
    expect(orders[0]).toBe(unshuffled.inputs.x![0]);
    expect(orders[1]).toBe(unshuffled.inputs.x![0]);
  });

  it("yields to the event loop while training, so that a Ctrl-C handler can stop it", async () => {
    let interrupted = false;
    setTimeout(() => (interrupted = true), 0);
    const result = await train(new SoftmaxRegression(info), data, { epochs: 50, yieldEveryMs: 0, shouldStop: () => interrupted });
    expect(result.stopped).toBe(true);
    expect(result.steps).toBeLessThan(50 * 11);
  });

  it("stops on a non-finite loss, naming the step and the first non-finite value", async () => {
    const model = new SoftmaxRegression(info);
    let calls = 0;
    await expect(
      train(model, data, {
        epochs: 1,
        onBatch: () => {
          if (++calls === 3) model.poisoned = true;
        },
      }),
    ).rejects.toThrow(/loss became NaN at step 4 \(epoch 1, batch 4\); first non-finite value: logits \(test poison\); try a lower learning rate/);
  });

  it("refuses settings that do not fit", async () => {
    await expect(train(new SoftmaxRegression(info, { maxBatch: 8 }), data, { batchSize: 10 })).rejects.toThrow(
      /batch size 10 is larger than the model's buffers \(maxBatch 8\)/,
    );
    await expect(train(new SoftmaxRegression(regressionInfo(null)), data)).rejects.toThrow(/declares no optimizer \(add e.g. `optimizer adam/);
    await expect(train(new SoftmaxRegression(info), data, { epochs: 0 })).rejects.toThrow(TrainingError);
    await expect(train(new SoftmaxRegression(info), data, { lr: -1 })).rejects.toThrow(/learning rate must be a positive number/);
  });
});

describe("resuming from a checkpoint", () => {
  const EPOCHS = 4;

  async function uninterrupted(): Promise<{ weights: number[][]; history: EpochMetrics[] }> {
    const model = new SoftmaxRegression(info, { seed: 7 });
    const result = await train(model, data, { epochs: EPOCHS });
    return { weights: weightsOf(model), history: result.history };
  }

  /** Runs until `stopAtStep`, then continues from the checkpoint saved there in a fresh model. */
  async function interruptedAt(stopAtStep: number): Promise<{ weights: number[][]; history: EpochMetrics[]; progress: TrainingProgress }> {
    const first = new SoftmaxRegression(info, { seed: 7 });
    let saved: { bytes: Uint8Array; progress: TrainingProgress } | null = null;
    const firstRun = await train(first, data, {
      epochs: EPOCHS,
      shouldStop: () => first.optimizer!.step === stopAtStep,
      onCheckpoint: (bytes, progress) => (saved = { bytes, progress }),
    });
    expect(firstRun.stopped).toBe(true);
    const checkpoint = saved!;
    const second = new SoftmaxRegression(info, { seed: 999 }); // its own weights are overwritten
    const rest = await train(second, data, { epochs: EPOCHS, resume: decodeCheckpoint(info, checkpoint.bytes) });
    return { weights: weightsOf(second), history: [...firstRun.history, ...rest.history], progress: checkpoint.progress };
  }

  it("continues mid-epoch to the same weights bit for bit", async () => {
    const straight = await uninterrupted();
    const resumed = await interruptedAt(25); // epoch 3, after 3 of its 11 batches
    expect(resumed.progress).toMatchObject({ epoch: 2, batchIndex: 3 });
    expect(resumed.weights).toEqual(straight.weights);
    expect(resumed.history.map((m) => [m.epoch, m.step, m.loss, m.accuracy])).toEqual(straight.history.map((m) => [m.epoch, m.step, m.loss, m.accuracy]));
  });

  it("continues from an epoch boundary to the same weights bit for bit", async () => {
    const resumed = await interruptedAt(22);
    expect(resumed.progress).toMatchObject({ epoch: 2, batchIndex: 0 });
    expect(resumed.weights).toEqual((await uninterrupted()).weights);
  });

  it("saves periodic checkpoints and a final one", async () => {
    const steps: number[] = [];
    await train(new SoftmaxRegression(info), data, {
      epochs: 2,
      checkpointEvery: 5,
      onCheckpoint: (_bytes, p) => steps.push(p.epoch * 11 + p.batchIndex),
    });
    expect(steps).toEqual([5, 10, 15, 20, 22]);
  });

  it("refuses to resume with another batch size or other data", async () => {
    let bytes: Uint8Array | null = null;
    await train(new SoftmaxRegression(info), data, { epochs: 1, onCheckpoint: (b) => (bytes = b) });
    const checkpoint = decodeCheckpoint(info, bytes!);
    await expect(train(new SoftmaxRegression(info, { maxBatch: 20 }), data, { batchSize: 20, resume: checkpoint })).rejects.toThrow(
      /trained with batch size 10, this run uses 20: resume with --batch 10/,
    );
    await expect(train(new SoftmaxRegression(info), heldOut, { resume: checkpoint })).rejects.toThrow(/trained on 103 samples, this data has 50/);
  });
});

describe("evaluate and predict over a dataset", () => {
  it("evaluate averages over samples in inference mode (no dropout: repeatable)", async () => {
    const model = new SoftmaxRegression(info);
    const a = evaluate(model, heldOut, 7);
    const b = evaluate(model, heldOut, 50);
    expect(a.samples).toBe(50);
    expect(a.loss).toBeCloseTo(b.loss, 12);
    expect(a.accuracy).toBe(b.accuracy);
  });

  it("predict returns every sample's outputs, in order, whatever the batch size", async () => {
    const model = new SoftmaxRegression(info, { maxBatch: 50 });
    const inBatchesOf7 = predict(model, heldOut, 7).logits!;
    const atOnce = predict(model, heldOut, 50).logits!;
    expect(inBatchesOf7.length).toBe(150);
    expect(Array.from(inBatchesOf7)).toEqual(Array.from(atOnce));
  });

  it("train, evaluate and predict check a hand-built dataset before reading it", async () => {
    const model = new SoftmaxRegression(info, { maxBatch: 50 });
    const short: Dataset = { ...heldOut, size: heldOut.size + 1 };
    await expect(train(model, data, { validation: short })).rejects.toThrow(DataError);
    expect(() => evaluate(model, short)).toThrow(/holds \d+ values; 51 samples of \d+ need \d+/);
    expect(() => predict(model, { ...heldOut, inputs: {} })).toThrow(/the dataset has no input/);
  });
});
