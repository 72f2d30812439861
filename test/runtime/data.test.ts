import { describe, expect, it } from "vitest";
import { Batcher, checkDataset, DataError, datasetFromSamples, subset, type Dataset, type Sample } from "../../runtime/data.js";
import type { ModelInfo, TensorInfo } from "../../runtime/model.js";
import { Rng } from "../../runtime/rng.js";

function modelInfo(inputs: TensorInfo[], targets: TensorInfo[], dtype: "float32" | "float64" = "float32"): ModelInfo {
  return { name: "M", dtype, inputs, targets, outputs: [], params: [], losses: ["mse"], optimizer: null, train: {} };
}

const grid = modelInfo([{ name: "image", shape: [2, 2], kind: "float" }], [{ name: "digit", shape: [], kind: "int", vocab: 3 }]);
const from = { source: "data.jsonl", where: (i: number) => `line ${i + 1}` };

describe("datasetFromSamples", () => {
  it("packs nested or flat samples sample-major, floats in the model's dtype and ints as Int32Array", () => {
    const data = datasetFromSamples(
      grid,
      [
        { image: [[1, 2], [3, 4]], digit: 2 },
        { image: [5, 6, 7, 8], digit: 0 },
      ],
      true,
      from,
    );
    expect(data.size).toBe(2);
    expect(data.inputs.image).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(data.targets.digit).toEqual(Int32Array.of(2, 0));
  });

  it("leaves targets out for prediction, ignoring target fields", () => {
    const data = datasetFromSamples(grid, [{ image: [1, 2, 3, 4] }, { image: [1, 2, 3, 4], digit: 1 }], false, from);
    expect(data.targets).toEqual({});
  });

  const bad: [string, Sample, RegExp][] = [
    ["a missing target", { image: [1, 2, 3, 4] }, /data.jsonl: line 1: missing target 'digit' \(int\(3\) \[\]\)/],
    ["a misspelt field", { imag: [1, 2, 3, 4], digit: 1 }, /line 1: unknown field 'imag'; model M has inputs 'image' and targets 'digit'/],
    ["a wrong length", { image: [[1, 2], [3]], digit: 1 }, /line 1: field 'image'\[1\]: expected float \[2, 2\], found a list of 1 where 2 belong/],
    ["a number where a list belongs", { image: 4, digit: 1 }, /field 'image': expected float \[2, 2\], found 4 where a list of 2 belongs/],
    ["a label outside the vocabulary", { image: [1, 2, 3, 4], digit: 3 }, /field 'digit': 3 is outside int\(3\): ids run from 0 to 2/],
    ["a fractional label", { image: [1, 2, 3, 4], digit: 1.5 }, /field 'digit': 1.5 is not an integer/],
    ["a non-number", { image: [1, "2", 3, 4] as unknown as number[], digit: 1 }, /field 'image'\[1\]: "2" is not a finite number/],
    ["an infinity", { image: [1, 2, Infinity, 4], digit: 1 }, /field 'image'\[2\]: Infinity is not a finite number/],
    ["a NaN", { image: [1, 2, 3, NaN], digit: 1 }, /field 'image'\[3\]: NaN is not a finite number/],
    ["a float32 overflow (flat)", { image: [1, 2, -1e39, 4], digit: 1 }, /field 'image'\[2\]: -1e\+39 is too large for float32 \(at most 3.40e\+38 in magnitude\); rescale the data, or train with --dtype float64/],
    ["a float32 overflow (nested)", { image: [[1, 2], [3, 1e39]], digit: 1 }, /field 'image': 1e\+39 is too large for float32/],
  ];
  it.each(bad)("names %s with file, place and what is expected", (_what, sample, message) => {
    expect(() => datasetFromSamples(grid, [sample], true, from)).toThrow(message);
    expect(() => datasetFromSamples(grid, [sample], true, from)).toThrow(DataError);
  });
});

describe("hostile samples from code", () => {
  const cyclic: unknown[] = [1, 2];
  cyclic.push(cyclic);
  const selfObject: Record<string, unknown> = {};
  selfObject.self = selfObject;
  const cases: [string, () => readonly unknown[], string][] = [
    // biome-ignore-start lint/suspicious/noSparseArray: the holes are what these cases feed the loader
    ["holes in the array of samples", () => [, ,], "data.jsonl: line 1: a sample must be an object with a field per input and target (image, digit), got a hole (two commas in a row?)"],
    ["a number among the samples", () => [{ image: [1, 2, 3, 4], digit: 1 }, 5], "line 2: a sample must be an object with a field per input and target (image, digit), got 5"],
    ["a hole inside a tensor", () => [{ image: [1, , 3, 4], digit: 1 }], "line 1: field 'image'[1]: a hole (two commas in a row?) where a number belongs"],
    ["a hole inside a nested tensor", () => [{ image: [[1, 2], [, 4]], digit: 1 }], "line 1: field 'image'[1][0]: expected float [2, 2], found a hole (two commas in a row?)"],
    // biome-ignore-end lint/suspicious/noSparseArray: end of the cases with holes
    [
      "a getter that throws",
      () => [{ image: [1, 2, 3, 4], get digit(): number { throw new Error("no label\nsecond line"); } }],
      "line 1: field 'digit': reading the sample failed: no label",
    ],
    ["a getter that throws a number", () => [{ image: [1, 2, 3, 4], get digit(): number { throw 42; } }], "line 1: field 'digit': reading the sample failed: threw 42"],
    ["a Proxy whose trap throws", () => [new Proxy({}, { ownKeys: () => { throw new TypeError("trap"); } })], "line 1: reading the sample failed: trap"],
    ["a Proxy of the samples", () => new Proxy([{ image: [1, 2, 3, 4], digit: 1 }], { get: (t, k) => (k === "0" ? Symbol("s") : Reflect.get(t, k)) }), "line 1: a sample must be an object with a field per input and target (image, digit), got a symbol"],
    ["a cycle in a tensor", () => [{ image: cyclic, digit: 1 }], "line 1: field 'image': expected float [2, 2], found a list of 3 where 2 belong"],
    ["a cyclic object where a tensor belongs", () => [{ image: selfObject, digit: 1 }], "line 1: field 'image': expected float [2, 2], found an object where a list of 2 belongs"],
    ["a BigInt", () => [{ image: [1, 2, 3, 4], digit: 1n }], "line 1: field 'digit': expected int(3) [], found 1n (a BigInt) where a number belongs"],
  ];
  it.each(cases)("%s: one line naming the sample and field", (_what, samples, message) => {
    let caught: unknown;
    try {
      datasetFromSamples(grid, samples() as Sample[], true, from);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DataError);
    expect((caught as DataError).message).toBe(`data.jsonl: ${message.replace(/^data\.jsonl: /, "")}`);
  });
});

describe("samples built in code", () => {
  it("need no source: targets are expected and messages name the sample by index", () => {
    expect(datasetFromSamples(grid, [{ image: [1, 2, 3, 4], digit: 1 }]).targets.digit).toEqual(Int32Array.of(1));
    expect(() => datasetFromSamples(grid, [{ image: [1, 2, 3, 4], digit: 1 }, { image: [1, 2, 3, 4] }])).toThrow(
      "samples: sample 1: missing target 'digit' (int(3) [])",
    );
  });
});

describe("checkDataset", () => {
  const good: Dataset = { size: 2, inputs: { image: new Float32Array(8) }, targets: { digit: Int32Array.of(0, 2) } };
  it("accepts columns of exactly size samples, with or without targets", () => {
    expect(() => checkDataset(grid, good, true)).not.toThrow();
    expect(() => checkDataset(grid, { ...good, targets: {} }, false)).not.toThrow();
    expect(() => checkDataset(grid, { ...good, inputs: { image: new Float64Array(8) } }, true)).not.toThrow();
  });

  const bad: [string, Dataset, boolean, string][] = [
    ["a missing input", { ...good, inputs: { imag: new Float32Array(8) } }, true, "the dataset has no input 'image' (float [2, 2]); it has input 'imag', target 'digit'"],
    ["a missing target", { ...good, targets: {} }, true, "the dataset has no target 'digit' (int(3) []); it has input 'image'"],
    ["a short column", { ...good, inputs: { image: new Float32Array(7) } }, true, "input 'image' (float [2, 2]) holds 7 values; 2 samples of 4 need 8"],
    ["a size the columns do not hold", { ...good, size: 3 }, true, "input 'image' (float [2, 2]) holds 8 values; 3 samples of 4 need 12"],
    ["floats for int ids", { ...good, targets: { digit: Float32Array.of(0, 2) } }, true, "target 'digit' (int(3) []) must be an Int32Array, got Float32Array"],
    ["ints for floats", { ...good, inputs: { image: new Int32Array(8) } }, true, "input 'image' (float [2, 2]) must be a Float32Array or Float64Array, got Int32Array"],
    ["a fractional size", { ...good, size: 1.5 }, false, "dataset size must be a whole number, got 1.5"],
  ];
  it.each(bad)("rejects %s, saying what the model expects", (_what, data, withTargets, message) => {
    expect(() => checkDataset(grid, data, withTargets)).toThrow(new DataError(message));
  });
});

describe("float64 data", () => {
  it("holds what float32 cannot", () => {
    const wide = modelInfo(grid.inputs, grid.targets, "float64");
    expect(datasetFromSamples(wide, [{ image: [1, 2, 3, 1e300], digit: 1 }], true, from).inputs.image![3]).toBe(1e300);
  });
});

describe("Batcher", () => {
  const info = modelInfo([{ name: "x", shape: [2], kind: "float" }], [{ name: "y", shape: [], kind: "int", vocab: 10 }], "float64");
  const samples = Array.from({ length: 7 }, (_, i) => ({ x: [i, 10 * i], y: i }));
  const data = datasetFromSamples(info, samples, true, from);

  it("fills one preallocated batch per call, the last one partial", () => {
    const batcher = new Batcher(data, 3);
    expect(batcher.batchesPerEpoch).toBe(3);
    const first = batcher.fill(0);
    expect(first.size).toBe(3);
    expect(first.inputs.x).toEqual(Float64Array.of(0, 0, 1, 10, 2, 20));
    expect(first.targets.y).toEqual(Int32Array.of(0, 1, 2));
    const last = batcher.fill(2);
    expect(last).toBe(first); // the same object, refilled
    expect(last.size).toBe(1);
    expect(Array.from(last.targets.y!.subarray(0, 1))).toEqual([6]);
    expect(() => batcher.fill(3)).toThrow(/past the end of the epoch/);
  });

  it("shuffles reproducibly from the generator, each epoch from the natural order", () => {
    const a = new Batcher(data, 7);
    const b = new Batcher(data, 7);
    a.shuffle(new Rng(4));
    b.shuffle(new Rng(4));
    expect(a.order).toEqual(b.order);
    expect(Array.from(a.fill(0).targets.y!)).toEqual(Array.from(a.order));
    expect(Array.from(a.order).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("copies wide samples (through views) and narrow ones alike, in the shuffled order", () => {
    const wide = modelInfo([{ name: "image", shape: [5, 7], kind: "float" }], [{ name: "y", shape: [], kind: "int", vocab: 10 }], "float32");
    const images = Array.from({ length: 5 }, (_, i) => ({ image: Array.from({ length: 35 }, (_, k) => 100 * i + k), y: i }));
    const batcher = new Batcher(datasetFromSamples(wide, images, true, from), 4);
    batcher.shuffle(new Rng(9));
    const batch = batcher.fill(0);
    const expected = Array.from(batcher.order.subarray(0, 4)).flatMap((i) => images[i]!.image);
    expect(Array.from(batch.inputs.image!)).toEqual(expected);
    expect(Array.from(batch.targets.y!)).toEqual(Array.from(batcher.order.subarray(0, 4)));
    expect(Array.from(batcher.fill(1).inputs.image!)).toEqual(images[batcher.order[4]!]!.image);
  });

  it("rejects an empty dataset and a bad batch size", () => {
    expect(() => new Batcher(datasetFromSamples(info, [], true, from), 2)).toThrow(/the dataset is empty/);
    expect(() => new Batcher(data, 0)).toThrow(/batch size must be a positive integer/);
  });

  it("subset picks samples in the given order", () => {
    const picked = subset(data, [6, 0]);
    expect(picked.size).toBe(2);
    expect(picked.inputs.x).toEqual(Float64Array.of(6, 60, 0, 0));
    expect(picked.targets.y).toEqual(Int32Array.of(6, 0));
  });
});
