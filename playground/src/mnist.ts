// The MNIST digits in the page: mnist.bin (packed by tools/pack-mnist.ts) split into 8,000
// training and 2,000 held-out digits exactly as runtime/node/mnist.ts splits the package's
// files for `nnc train --data mnist` (same generator, seed and stream; a test compares the
// labels), so a run in the page and on the command line see the same digits.

import type { Dataset } from "../../runtime/data.js";
import type { DType } from "../../runtime/model.js";
import { Rng, RngStream } from "../../runtime/rng.js";

export const PIXELS = 784;
const TRAIN_SIZE = 8000;
const SPLIT_SEED = 0;

export interface PackedDigits {
  count: number;
  labels: Uint8Array;
  /** count x 784 bytes, 0..255. */
  pixels: Uint8Array;
}

export function unpack(bytes: Uint8Array): PackedDigits {
  const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (bytes.length !== 4 + count * (1 + PIXELS)) throw new Error(`mnist.bin: ${bytes.length} bytes do not hold ${count} digits; rebuild the playground`);
  return { count, labels: bytes.subarray(4, 4 + count), pixels: bytes.subarray(4 + count) };
}

/** The held-out order: sample indices shuffled as runtime/node/mnist.ts shuffles them. */
export function splitOrder(count: number): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  new Rng(SPLIT_SEED).fork(RngStream.data).shuffle(order);
  return order;
}

export interface MnistSplit {
  train: Dataset;
  test: Dataset;
  /** Each held-out digit's pixels as bytes, for showing the worst-classified. */
  testPixels: Uint8Array;
}

/** The split for a model's image input and int(10) target; `trainSize` takes the first of the 8,000. */
export function mnistSplit(digits: PackedDigits, input: string, target: string, dtype: DType, trainSize = TRAIN_SIZE): MnistSplit {
  const order = splitOrder(digits.count);
  const build = (indices: Int32Array): { data: Dataset; bytes: Uint8Array } => {
    const pixels = dtype === "float64" ? new Float64Array(indices.length * PIXELS) : new Float32Array(indices.length * PIXELS);
    const bytes = new Uint8Array(indices.length * PIXELS);
    const labels = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const from = indices[i]!;
      const source = digits.pixels.subarray(from * PIXELS, (from + 1) * PIXELS);
      bytes.set(source, i * PIXELS);
      for (let p = 0; p < PIXELS; p++) pixels[i * PIXELS + p] = source[p]! / 255;
      labels[i] = digits.labels[from]!;
    }
    return { data: { size: indices.length, inputs: { [input]: pixels }, targets: { [target]: labels } }, bytes };
  };
  const train = build(order.subarray(0, Math.min(trainSize, TRAIN_SIZE)));
  const test = build(order.subarray(TRAIN_SIZE));
  return { train: train.data, test: test.data, testPixels: test.bytes };
}
