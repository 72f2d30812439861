// `--threads N`: a bad value is a usage error naming the flag; training on 1 and 2 threads
// prints the same losses (the kernels are bit-identical across thread counts); and `nnc
// train` on 2 threads exits by itself when done (its workers never keep the process alive).
// Without the flag, training times its first steps on all the cores and on one and says which
// it keeps (runtime/thread-choice.ts); with it, it keeps what it was given.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { threadsChosen } from "../../cli/train.js";
import { nnc, repositoryRoot, xorProject } from "./run-nnc.js";

/** xor with wide relu layers: their products are large enough to be split across threads. */
function wideXor(epochs = 3) {
  const p = xorProject();
  const text = readFileSync(p.model, "utf8").replace("dense(4, init: xavier_uniform) |> tanh", "dense(512) |> relu |> dense(512) |> relu");
  writeFileSync(p.model, text.replace("epochs: 500", `epochs: ${epochs}`));
  return p;
}

describe("nnc --threads", () => {
  it("refuses a thread count below 1 or not a number, naming the flag", async () => {
    const p = xorProject();
    for (const bad of ["0", "two"]) {
      const r = await nnc("train", p.model, "--data", p.data, "--threads", bad);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--threads needs a whole number of at least 1, got '${bad}'`);
    }
  });

  it("trains to the same losses on 1 and 2 threads, and the process exits when done", async () => {
    const p = wideXor();
    const outputs = [];
    for (const threads of ["1", "2"]) {
      // A child process: an idle worker left referenced would keep it alive until the timeout.
      const { stdout } = await promisify(execFile)(process.execPath, [join(repositoryRoot, "bin/nnc.js"), "train", p.model, "--data", p.data, "--threads", threads, "--json"], {
        timeout: 30000,
      });
      outputs.push(stdout.trim().split("\n").map((line) => (JSON.parse(line) as { loss?: number }).loss));
    }
    expect(outputs[0]!.length).toBeGreaterThanOrEqual(3);
    expect(outputs[1]).toEqual(outputs[0]);
  });

  it("without --threads, says which threads the first steps chose; with it, keeps them", async () => {
    // Enough steps for the warm-up (200 ms) and three rounds of both settings.
    const p = wideXor(2000);
    const chosen = await nnc("train", p.model, "--data", p.data);
    expect(chosen.code).toBe(0);
    // On one core there is nothing to choose.
    if (availableParallelism() < 2) expect(chosen.stdout).not.toContain("threads:");
    else expect(chosen.stdout).toMatch(/^threads: (1 \(\d+ ran \d+\.\d\dx as fast on this model; --threads \d+ keeps them\)|\d+ \(\d+\.\d\dx as fast as one; --threads 1 runs on one\))$/m);
    const given = await nnc("train", p.model, "--data", p.data, "--threads", "2");
    expect(given.code).toBe(0);
    expect(given.stdout).not.toContain("threads:");
  });

  it("says what it chose, and how to choose otherwise", () => {
    expect(threadsChosen({ threads: 2, most: 2, speedup: 1.784 })).toBe("threads: 2 (1.78x as fast as one; --threads 1 runs on one)");
    expect(threadsChosen({ threads: 1, most: 2, speedup: 0.8 })).toBe("threads: 1 (2 ran 0.80x as fast on this model; --threads 2 keeps them)");
  });
});
