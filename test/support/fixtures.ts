// What many suites share: the example models as text, and a small seeded generator so that a
// randomised test (fuzzing, random edits) can be replayed from its seed.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const examplesDir = fileURLToPath(new URL("../../examples/", import.meta.url));

/** Every `.nn` file of examples/, as text, in name order. */
export function exampleSources(): string[] {
  return readdirSync(examplesDir)
    .filter((f) => f.endsWith(".nn"))
    .sort()
    .map((f) => readFileSync(examplesDir + f, "utf8"));
}

/** mulberry32: uniform numbers in [0, 1) from a 32-bit seed. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
