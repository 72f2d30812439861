// Garbage in a weights file or on the command line is refused with one line naming the
// file and tensor (or the flag or train key), the place and the accepted range, never
// accepted silently and never an internal error.
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors } from "../../runtime/safetensors.js";
import { nnc, xorProject, type Project } from "./run-nnc.js";

async function failure(code: number, ...argv: string[]): Promise<string> {
  const r = await nnc(...argv);
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  return r.stderr;
}

/** A copy of `from` with one value of one tensor replaced. */
function poison(from: string, to: string, tensor: string, index: number, value: number): void {
  const { tensors, metadata } = decodeSafetensors(readFileSync(from));
  const list = [...tensors.values()].map((t) => (t.name === tensor ? { ...t, data: t.data.slice() } : t));
  (list.find((t) => t.name === tensor)!.data as Float32Array | Uint32Array)[index] = value;
  writeFileSync(to, encodeSafetensors(list, metadata));
}

const BATCH_NORM = `model Xor {
  input  x: [2]
  target y: [1]
  hidden = x |> dense(4) |> batch_norm |> relu
  output p = hidden |> dense(1) |> sigmoid
  loss binary_cross_entropy(p, y)
  optimizer sgd(lr: 0.5, momentum: 0.9)
  train { batch: 4 }
}
`;

describe("a NaN or an infinity in a checkpoint is refused by every command that loads one", () => {
  const p: Project & { model: string; data: string } = xorProject();
  const saved = p.at("run.safetensors");
  const ready = (async () => {
    writeFileSync(p.at("bn.nn"), BATCH_NORM);
    await nnc("train", p.at("bn.nn"), "--data", p.data, "--steps", "2", "-q", "--save", saved);
  })();
  const model = p.at("bn.nn");

  it.each([
    ["hidden.dense_0.weight", 3, Number.NaN, "NaN"],
    ["hidden.batch_norm_0.running_var", 1, Number.POSITIVE_INFINITY, "Infinity"],
    ["hidden.batch_norm_0.running_mean", 2, Number.NaN, "NaN"],
  ])("%s[%i] = %d: eval, predict, --init and --resume name the file, tensor, index and value", async (tensor, index, value, shown) => {
    await ready;
    const bad = p.at(`bad-${tensor}.safetensors`);
    poison(saved, bad, tensor, index, value);
    const expected = `${bad}: tensor '${tensor}' holds ${shown} at index ${index}: a checkpoint must hold finite numbers (was it saved after training diverged?)\n`;
    expect(await failure(1, "eval", model, "--data", p.data, "--weights", bad)).toBe(expected);
    expect(await failure(1, "predict", model, "--data", p.data, "--weights", bad)).toBe(expected);
    expect(await failure(1, "train", model, "--data", p.data, "--steps", "1", "--init", bad)).toBe(expected);
    expect(await failure(1, "train", model, "--data", p.data, "--steps", "3", "--resume", bad)).toBe(expected);
  });

  it("optimizer state and an all-zero generator state, on --resume", async () => {
    await ready;
    poison(saved, p.at("moment.safetensors"), "optimizer.p.dense_0.weight.momentum_buffer", 2, Number.NaN);
    expect(await failure(1, "train", model, "--data", p.data, "--steps", "3", "--resume", p.at("moment.safetensors"))).toBe(
      `${p.at("moment.safetensors")}: optimizer state 'optimizer.p.dense_0.weight.momentum_buffer' holds NaN at index 2: a checkpoint must hold finite numbers (was it saved after training diverged?)\n`,
    );
    const zero = p.at("zero.safetensors");
    writeFileSync(zero, readFileSync(saved));
    for (let i = 0; i < 4; i++) poison(zero, zero, "rng.model", i, 0);
    expect(await failure(1, "train", model, "--data", p.data, "--steps", "3", "--resume", zero)).toBe(
      `${zero}: 'rng.model' is all zeros, a state the xoshiro128** generator never leaves: the file is damaged; train from its weights alone with --init\n`,
    );
  });
});

describe("whole-number flags and train { } values outside their range are usage errors naming the range", () => {
  const p = xorProject();

  it.each([
    [["train", "--batch", "1000000000"], "nnc: --batch needs a whole number from 1 to 1,048,576, got '1000000000'\n"],
    [["train", "--seed", "99999999999999999999"], "nnc: --seed needs a whole number from 0 to 9007199254740991 (2^53 - 1, the largest whole number held exactly), got '99999999999999999999'\n"],
    [["train", "--epochs", "9007199254740993"], "nnc: --epochs needs a whole number from 1 to 9007199254740991 (2^53 - 1, the largest whole number held exactly), got '9007199254740993'\n"],
    [["eval", "--weights", "w.safetensors", "--batch", "2000000"], "nnc: --batch needs a whole number from 1 to 1,048,576, got '2000000'\n"],
    [["predict", "--weights", "w.safetensors", "--batch", "99999999999999999999"], "nnc: --batch needs a whole number from 1 to 1,048,576, got '99999999999999999999'\n"],
  ])("%j", async ([command, ...flags], message) => {
    expect(await failure(2, command!, p.model, "--data", p.data, ...flags)).toBe(message);
  });

  it("the train block takes the same ranges", async () => {
    writeFileSync(p.at("big.nn"), readFileSync(p.model, "utf8").replace("train { batch: 4, epochs: 500 }", "train { batch: 1000000000, seed: 99999999999999999999 }"));
    const r = await nnc("check", p.at("big.nn"));
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain("'batch' of 'train' must be in [1, 1048576], got 1000000000");
    expect(r.stderr + r.stdout).toContain("'seed' of 'train' must be in [0, 9007199254740991], got 100000000000000000000");
  });

  it("a batch whose buffers cannot be allocated names the batch and the fix", async () => {
    writeFileSync(p.at("wide.nn"), readFileSync(p.model, "utf8").replace("dense(4, init: xavier_uniform)", "dense(8192)").replace("batch: 4", "batch: 1000000"));
    // Refused before allocating by the memory check (compiler/memory-need.ts), which names the figures;
    // a fixed limit keeps the outcome the same on a machine with more memory than this needs.
    const saved = process.env.NNC_MEMORY_LIMIT;
    process.env.NNC_MEMORY_LIMIT = "16G";
    const stderr = await failure(1, "train", p.at("wide.nn"), "--steps", "0", "--save", p.at("wide.safetensors")).finally(() => {
      if (saved === undefined) delete process.env.NNC_MEMORY_LIMIT;
      else process.env.NNC_MEMORY_LIMIT = saved;
    });
    expect(stderr).toMatch(
      /^model Xor needs [\d.]+ GiB to train \(.*activations and scratch at batch 1000000 [\d.]+ GiB\); the limit is .+: give a smaller --batch N \(or lower train \{ batch \}\), or set NNC_MEMORY_LIMIT to raise the limit\n$/,
    );
  });

  it("eval sizes its buffers to the data, not to a batch larger than it", async () => {
    await nnc("train", p.model, "--steps", "0", "--save", p.at("w.safetensors"));
    writeFileSync(p.at("wide.nn"), readFileSync(p.model, "utf8").replace("dense(4, init: xavier_uniform)", "dense(8192)"));
    await nnc("train", p.at("wide.nn"), "--steps", "0", "--save", p.at("wide-w.safetensors"));
    const r = await nnc("eval", p.at("wide.nn"), "--data", p.data, "--weights", p.at("wide-w.safetensors"), "--batch", "1048576");
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^loss \d+\.\d{4}  accuracy \d+\.\d\d%  \(4 samples\)\n$/);
  });
});
