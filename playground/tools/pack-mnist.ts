// The MNIST digits of the `mnist` package (src/digits/<d>.json, pixels in [0, 1]) packed for
// the page: a little-endian uint32 count, the labels as bytes, then the pixels as bytes
// (round(255 v)): 7.9 MB instead of 21 MB of JSON. The page reads it back (src/mnist.ts) and
// splits it as runtime/node/mnist.ts does.

import { readFileSync } from "node:fs";
import { join } from "node:path";

export const MNIST_FILE = "mnist.bin";
const PIXELS = 784;

export function packMnist(digitsFolder: string): Uint8Array {
  const perDigit: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(digitsFolder, `${digit}.json`);
    const data = (JSON.parse(readFileSync(file, "utf8")) as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) throw new Error(`${file}: expected {"data": [...]} with a multiple of ${PIXELS} pixels`);
    perDigit.push(data as number[]);
  }
  const count = perDigit.reduce((n, d) => n + d.length / PIXELS, 0);
  const bytes = new Uint8Array(4 + count * (1 + PIXELS));
  new DataView(bytes.buffer).setUint32(0, count, true);
  let at = 0;
  perDigit.forEach((data, digit) => {
    for (let s = 0; s < data.length / PIXELS; s++, at++) {
      bytes[4 + at] = digit;
      const base = 4 + count + at * PIXELS;
      for (let p = 0; p < PIXELS; p++) bytes[base + p] = Math.round(255 * Math.min(1, Math.max(0, data[s * PIXELS + p]!)));
    }
  });
  return bytes;
}
