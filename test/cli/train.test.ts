// `nnc train`, `eval` and `predict` end to end: a model compiled in memory, data from the
// example files, checkpoints in a temporary directory.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../compiler/cli/main.js";

const root = join(import.meta.dirname, "../..");

async function nnc(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

/** A scratch copy of examples/xor.nn and examples/xor.csv. */
function xorProject(): { dir: string; model: string; data: string } {
  const dir = mkdtempSync(join(tmpdir(), "nnc-train-"));
  copyFileSync(join(root, "examples", "xor.nn"), join(dir, "xor.nn"));
  copyFileSync(join(root, "examples", "xor.csv"), join(dir, "xor.csv"));
  return { dir, model: join(dir, "xor.nn"), data: join(dir, "xor.csv") };
}

describe("nnc train / eval / predict on xor", () => {
  it("trains xor to a low loss, saves a checkpoint beside the model, and eval and predict read it", async () => {
    const p = xorProject();
    const trained = await nnc("train", p.model, "--data", p.data, "--epochs", "300", "--lr", "0.5");
    expect(trained.stderr).toBe("");
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/^training Xor on 4 samples: batch 4, 300 epochs, sgd lr 0.5, seed 0\n/);
    expect(trained.stdout).toMatch(/epoch 300\/300  loss \d\.\d{4}/);
    expect(trained.stdout).toContain(`saved ${join(p.dir, "xor.safetensors")} (300 steps)`);

    const evaluated = await nnc("eval", p.model, "--data", p.data, "--json");
    expect(evaluated.code).toBe(0);
    const result = JSON.parse(evaluated.stdout) as { loss: number; samples: number };
    expect(result.samples).toBe(4);
    expect(result.loss).toBeLessThan(0.1);

    const predicted = await nnc("predict", p.model, "--data", p.data);
    expect(predicted.code).toBe(0);
    const rows = predicted.stdout.trim().split("\n").map((line) => JSON.parse(line) as { p: number[] });
    expect(rows.map((r) => Math.round(r.p[0]!))).toEqual([0, 1, 1, 0]);
  });

  it("prints JSON lines of epoch metrics with --json", async () => {
    const p = xorProject();
    const r = await nnc("train", p.model, "--data", p.data, "--epochs", "3", "--json", "-o", join(p.dir, "x.safetensors"));
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { epoch: number; loss: number });
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3]);
    expect(existsSync(join(p.dir, "x.safetensors"))).toBe(true);
  });

  it("resumes a run to the same weights as an uninterrupted one", async () => {
    const p = xorProject();
    const whole = join(p.dir, "whole.safetensors");
    const half = join(p.dir, "half.safetensors");
    expect((await nnc("train", p.model, "--data", p.data, "--steps", "40", "-q", "-o", whole)).code).toBe(0);
    expect((await nnc("train", p.model, "--data", p.data, "--steps", "17", "-q", "-o", half)).code).toBe(0);
    expect((await nnc("train", p.model, "--data", p.data, "--steps", "40", "-q", "--resume", half)).code).toBe(0);
    const predictions = async (weights: string) => (await nnc("predict", p.model, "--data", p.data, "--weights", weights)).stdout;
    expect(await predictions(half)).toBe(await predictions(whole));
  });

  it("explains bad data, missing weights and usage mistakes in one line", async () => {
    const p = xorProject();
    const bad = join(p.dir, "bad.csv");
    writeFileSync(bad, "x.0,x.1,y\n0,0,0\n0,one,1\n");
    const badData = await nnc("train", p.model, "--data", bad);
    expect(badData).toMatchObject({ code: 1, stdout: "" });
    expect(badData.stderr).toBe(`${bad}: line 3, column 'x.1': 'one' is not a number\n`);

    const noWeights = await nnc("eval", p.model, "--data", p.data, "--weights", join(p.dir, "none.safetensors"));
    expect(noWeights.stderr).toBe(`${join(p.dir, "none.safetensors")}: cannot read: no such file or directory\n`);
    expect(noWeights.code).toBe(1);

    const notCheckpoint = join(p.dir, "junk.safetensors");
    writeFileSync(notCheckpoint, "hello");
    expect((await nnc("eval", p.model, "--data", p.data, "--weights", notCheckpoint)).stderr).toMatch(/junk.safetensors: not a safetensors file: 5 bytes/);

    expect(await nnc("train", p.model)).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs --data SPEC/) });
    expect(await nnc("train", p.model, "--data", p.data, "--epochs", "2", "--steps", "3")).toMatchObject({ code: 2 });
    expect(readFileSync(p.data, "utf8")).toContain("x.0,x.1,y");
  });
});
