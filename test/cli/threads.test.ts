// `--threads N`: a bad value is a usage error naming the flag; training on 1 and 2 threads
// prints the same losses (the kernels are bit-identical across thread counts); and `nnc
// train` on 2 threads exits by itself when done (its workers never keep the process alive).
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { nnc, repositoryRoot, xorProject } from "./run-nnc.js";

/** xor with wide relu layers: their products are large enough to be split across threads. */
function wideXor() {
  const p = xorProject();
  const text = readFileSync(p.model, "utf8").replace("dense(4, init: xavier_uniform) |> tanh", "dense(512) |> relu |> dense(512) |> relu");
  writeFileSync(p.model, text.replace("epochs: 500", "epochs: 3"));
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
});
