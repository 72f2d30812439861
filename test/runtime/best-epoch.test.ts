// Keeping the best epoch and stopping early in the runtime's train(): `monitor`, `onBest`, `patience`.
import { describe, expect, it } from "vitest";
import { encodeWeights } from "../../runtime/checkpoint.js";
import { datasetFromSamples, type Dataset } from "../../runtime/data.js";
import { train, TrainingError, type EpochMetrics } from "../../runtime/train.js";
import { regressionInfo, SoftmaxRegression, syntheticSamples } from "./softmax-regression.js";

const info = regressionInfo();
const data = datasetFromSamples(info, syntheticSamples(103, 1), true);
/** Held-out samples labelled with the next class: the better the model learns, the worse it does on them. */
const misleading: Dataset = datasetFromSamples(info, syntheticSamples(50, 2).map((s) => ({ ...s, label: (s.label + 1) % 3 })), true);
const honest = datasetFromSamples(info, syntheticSamples(50, 2), true);

describe("train() keeping the best epoch", () => {
  it("hands each better epoch's weights to onBest and stops after `patience` epochs without improvement", async () => {
    const model = new SoftmaxRegression(info, { seed: 3 });
    const weightsAt = new Map<number, Uint8Array>();
    const epochs: EpochMetrics[] = [];
    const bests: { epoch: number; weights: Uint8Array }[] = [];
    const result = await train(model, data, {
      epochs: 40,
      validation: misleading,
      patience: 3,
      onEpoch: (m) => {
        epochs.push(m);
        weightsAt.set(m.epoch, encodeWeights(model));
      },
      onBest: (weights, m) => bests.push({ epoch: m.epoch, weights }),
    });
    const losses = epochs.map((m) => m.val_loss!);
    const bestEpoch = losses.indexOf(Math.min(...losses)) + 1;
    expect(result.best).toMatchObject({ epoch: bestEpoch, monitor: "val_loss", value: Math.min(...losses) });
    expect(result.stoppedEarly).toBe(true);
    expect(epochs.at(-1)!.epoch).toBe(bestEpoch + 3);
    expect(epochs.length).toBeLessThan(40);
    expect(bests.at(-1)!.epoch).toBe(bestEpoch);
    expect(bests.at(-1)!.weights).toEqual(weightsAt.get(bestEpoch));
  });

  it("monitors val_acc, higher being better, and never stops without patience", async () => {
    const bests: number[] = [];
    const epochs: EpochMetrics[] = [];
    const result = await train(new SoftmaxRegression(info, { seed: 3 }), data, {
      epochs: 6,
      validation: honest,
      monitor: "val_acc",
      onEpoch: (m) => epochs.push(m),
      onBest: (_, m) => bests.push(m.epoch),
    });
    expect(result.stoppedEarly).toBe(false);
    expect(epochs).toHaveLength(6);
    const accuracies = epochs.map((m) => m.val_accuracy!);
    expect(result.best!.value).toBe(Math.max(...accuracies));
    expect(result.best!.epoch).toBe(accuracies.indexOf(Math.max(...accuracies)) + 1);
    // Each reported best beats every epoch before it.
    for (const epoch of bests) expect(accuracies[epoch - 1]!).toBeGreaterThan(Math.max(-1, ...accuracies.slice(0, epoch - 1)));
  });

  it("needs validation data to compare epochs", async () => {
    await expect(train(new SoftmaxRegression(info), data, { epochs: 2, patience: 2 })).rejects.toThrow(TrainingError);
    await expect(train(new SoftmaxRegression(info), data, { epochs: 2, patience: 2 })).rejects.toThrow("give validation data");
  });
});
