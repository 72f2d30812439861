import { describe, expect, it } from "vitest";
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint, type TrainingProgress } from "../../runtime/checkpoint.js";
import { datasetFromSamples } from "../../runtime/data.js";
import { decodeSafetensors, encodeSafetensors } from "../../runtime/safetensors.js";
import { train } from "../../runtime/train.js";
import { checkWeights, CheckpointError } from "../../runtime/weights.js";
import { regressionInfo, SoftmaxRegression, syntheticSamples } from "./softmax-regression.js";

const info = regressionInfo();
const progress: TrainingProgress = {
  epoch: 2,
  batchIndex: 3,
  shuffleState: [1, 2, 3, 4294967295],
  batchSize: 10,
  samples: 103,
  shuffle: true,
  epochLossSum: 0.1 + 0.2,
  epochSamples: 30,
  epochCorrect: 25,
  epochCount: 30,
};

async function trainedModel(): Promise<SoftmaxRegression> {
  const model = new SoftmaxRegression(info, { seed: 1 });
  const data = datasetFromSamples(info, syntheticSamples(30, 1), true, { source: "s", where: String });
  await train(model, data, { epochs: 1 });
  return model;
}

describe("checkpoints", () => {
  it("hold weights, optimizer state, the generator and progress, and restore them exactly", async () => {
    const model = await trainedModel();
    const bytes = encodeCheckpoint(model, progress);
    const checkpoint = decodeCheckpoint(info, bytes);
    expect(checkpoint.model).toBe("SoftmaxRegression");
    expect(checkpoint.dtype).toBe("float64");
    expect(checkpoint.progress).toEqual(progress);

    const other = new SoftmaxRegression(info, { seed: 2 });
    restoreCheckpoint(other, checkpoint);
    expect(other.getWeights()).toEqual(model.getWeights());
    expect(other.optimizer!.getState()).toEqual(model.optimizer!.getState());
    expect(other.rng.getState()).toEqual(model.rng.getState());
  });

  it("are safetensors files whose weights sit under their parameter names", async () => {
    const model = await trainedModel();
    const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(model, null));
    expect(metadata.format).toBe("neuron-checkpoint/1");
    expect(tensors.get("logits.dense_0.weight")).toMatchObject({ dtype: "F64", shape: [3, 4] });
    expect([...tensors.keys()].filter((k) => k.startsWith("optimizer.")).sort()).toEqual([
      "optimizer.logits.dense_0.bias.exp_avg",
      "optimizer.logits.dense_0.bias.exp_avg_sq",
      "optimizer.logits.dense_0.weight.exp_avg",
      "optimizer.logits.dense_0.weight.exp_avg_sq",
      "optimizer.step",
    ]);
    expect(tensors.get("rng.model")).toMatchObject({ dtype: "U32", shape: [4] });
  });

  it("store a float32 model's optimizer moments as F32, exactly", async () => {
    const info32 = { ...info, dtype: "float32" as const };
    const model = new SoftmaxRegression(info32, { seed: 1 });
    const p = model.parameters().map((q) => ({ name: q.name, value: Float32Array.from(q.value), grad: new Float32Array(q.grad.length).fill(0.1) }));
    model.optimizer!.update(p);
    const state = model.optimizer!.getState();
    const { tensors } = decodeSafetensors(encodeCheckpoint(model, null));
    expect(tensors.get("optimizer.logits.dense_0.weight.exp_avg")!.dtype).toBe("F32");
    expect(tensors.get("optimizer.step")!.dtype).toBe("F64");
    const restored = decodeCheckpoint(info32, encodeCheckpoint(model, null)).optimizer!;
    expect(restored).toEqual(state);
  });

  it("load plain weights files, e.g. float32 ones from PyTorch, converting to the model's dtype", async () => {
    const bytes = encodeSafetensors(
      [
        { name: "logits.dense_0.weight", dtype: "F32", shape: [3, 4], data: new Float32Array(12).fill(0.5) },
        { name: "logits.dense_0.bias", dtype: "F32", shape: [3], data: Float32Array.of(1, 2, 3) },
      ],
      { format: "pt" },
    );
    const checkpoint = decodeCheckpoint(info, bytes);
    expect(checkpoint).toMatchObject({ model: null, optimizer: null, rng: null, progress: null });
    expect(checkpoint.weights.get("logits.dense_0.bias")).toEqual(Float64Array.of(1, 2, 3));
  });

  it("name a missing or misshapen parameter with both shapes", async () => {
    const weight = { name: "logits.dense_0.weight", dtype: "F32" as const, shape: [3, 4], data: new Float32Array(12) };
    const missingBias = decodeSafetensors(encodeSafetensors([weight]));
    expect(() => checkWeights(info, missingBias.tensors)).toThrow(
      "has no tensor 'logits.dense_0.bias' (model SoftmaxRegression needs it, shape [3]): is it a checkpoint of this model?",
    );
    const transposed = decodeSafetensors(encodeSafetensors([{ ...weight, shape: [4, 3] }, { name: "logits.dense_0.bias", dtype: "F32", shape: [3], data: new Float32Array(3) }]));
    expect(() => checkWeights(info, transposed.tensors)).toThrow("tensor 'logits.dense_0.weight' has shape [4, 3], model SoftmaxRegression needs [3, 4]");
    const intWeights = decodeSafetensors(encodeSafetensors([{ ...weight, dtype: "I32", data: new Int32Array(12) }, { name: "logits.dense_0.bias", dtype: "F32", shape: [3], data: new Float32Array(3) }]));
    expect(() => checkWeights(info, intWeights.tensors)).toThrow(CheckpointError);
  });

  it("refuse a checkpoint of another model", async () => {
    const bytes = encodeCheckpoint(await trainedModel(), null);
    expect(() => decodeCheckpoint({ ...info, name: "Other" }, bytes)).toThrow("was saved from model SoftmaxRegression, not Other");
  });

  it("refuse optimizer state that belongs to another optimizer", async () => {
    const bytes = encodeCheckpoint(await trainedModel(), null);
    const sgd = new SoftmaxRegression(regressionInfo({ name: "sgd", args: { momentum: 0.9 }, schedule: { name: "constant", args: {} } }));
    expect(() => restoreCheckpoint(sgd, decodeCheckpoint(info, bytes))).toThrow(
      /optimizer state 'optimizer.logits.dense_0.(weight|bias).exp_avg(_sq)?' does not fit model SoftmaxRegression \(saved with another optimizer than sgd\?/,
    );
  });

  it("refuse a NaN or an infinity in weights, running statistics or optimizer state, naming the tensor, index and value", async () => {
    const model = await trainedModel();
    const poisoned = (name: string, index: number, value: number): Uint8Array => {
      const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(model, progress));
      const list = [...tensors.values()].map((t) => (t.name === name ? { ...t, data: t.data.slice() } : t));
      const target = list.find((t) => t.name === name)!;
      (target.data as Float32Array | Float64Array)[index] = value;
      return encodeSafetensors(list, metadata);
    };
    expect(() => decodeCheckpoint(info, poisoned("logits.dense_0.weight", 5, NaN))).toThrow(
      "tensor 'logits.dense_0.weight' holds NaN at index 5: a checkpoint must hold finite numbers",
    );
    expect(() => decodeCheckpoint(info, poisoned("logits.dense_0.bias", 2, -Infinity))).toThrow("tensor 'logits.dense_0.bias' holds -Infinity at index 2");
    const moment = [...decodeCheckpoint(info, encodeCheckpoint(model, null)).optimizer!.keys()].find((k) => k.endsWith("exp_avg_sq"))!;
    expect(() => decodeCheckpoint(info, poisoned(`optimizer.${moment}`, 1, Infinity))).toThrow(`optimizer state 'optimizer.${moment}' holds Infinity at index 1`);
  });

  it("refuse an F64 weight too large for a float32 model, and accept it in a float64 one", () => {
    const bias = { name: "logits.dense_0.bias", dtype: "F64" as const, shape: [3], data: Float64Array.of(0, 1e300, 0) };
    const weight = { name: "logits.dense_0.weight", dtype: "F32" as const, shape: [3, 4], data: new Float32Array(12) };
    const { tensors } = decodeSafetensors(encodeSafetensors([weight, bias]));
    expect(() => checkWeights({ ...info, dtype: "float32" }, tensors)).toThrow("tensor 'logits.dense_0.bias' holds 1e+300 at index 1, too large for float32");
    expect(checkWeights({ ...info, dtype: "float64" }, tensors).get("logits.dense_0.bias")![1]).toBe(1e300);
  });

  it("refuse an all-zero generator state, in which xoshiro128** would draw only zeros", async () => {
    const model = await trainedModel();
    const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(model, progress));
    const list = [...tensors.values()].map((t) => (t.name === "rng.model" ? { ...t, data: new Uint32Array(4) } : t));
    expect(() => decodeCheckpoint(info, encodeSafetensors(list, metadata))).toThrow("'rng.model' is all zeros");
    const zeroShuffle = encodeSafetensors([...tensors.values()], { ...metadata, progress: JSON.stringify({ ...progress, shuffleState: [0, 0, 0, 0] }) });
    expect(() => decodeCheckpoint(info, zeroShuffle)).toThrow("metadata 'progress' has an all-zero shuffleState");
    const infiniteLoss = encodeSafetensors([...tensors.values()], { ...metadata, progress: JSON.stringify(progress).replace(/"epochLossSum":[^,]+/, '"epochLossSum":1e999') });
    expect(() => decodeCheckpoint(info, infiniteLoss)).toThrow("metadata 'progress' is incomplete or malformed");
  });
});
