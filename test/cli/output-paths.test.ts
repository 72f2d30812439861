// Outputs never overwrite inputs, and nothing trained is lost to a bad output path: every
// command that writes refuses (exit 2, one line naming both) an output that is one of its
// inputs or another output, compared as files (symlinks, hard links), and checks its output
// paths before it trains, not after.
import { linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nnc, xorProject, type Outcome } from "./run-nnc.js";

function expectOneLine(r: Outcome, code: number): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe("an output that is an input or another output is refused before anything is written", () => {
  const p = xorProject();
  const weights = p.at("w.safetensors");
  const original = new Map<string, string>();

  it("trains the weights the predict cases read", async () => {
    expect((await nnc("train", p.model, "--data", p.data, "--epochs", "2", "-q", "--save", weights)).code).toBe(0);
    for (const file of [p.model, p.data, weights]) original.set(file, readFileSync(file, "latin1"));
  });

  it.each([
    ["compile -o the model", () => ["compile", p.model, "-o", p.model], `-o ${p.model} is the same file as the model ${p.model}`],
    ["train --save the data", () => ["train", p.model, "--data", p.data, "--save", p.data], `--save ${p.data} is the same file as --data ${p.data}`],
    ["train --save the model", () => ["train", p.model, "--data", p.data, "--save", p.model], `--save ${p.model} is the same file as the model ${p.model}`],
    ["train --metrics the data", () => ["train", p.model, "--data", p.data, "--metrics", p.data], `--metrics ${p.data} is the same file as --data ${p.data}`],
    ["train --metrics the --val data", () => ["train", p.model, "--data", p.data, "--val", p.data, "--metrics", p.data], `--metrics ${p.data} is the same file as --data ${p.data}`],
    ["train --save the --init weights", () => ["train", p.model, "--data", p.data, "--init", weights, "--save", weights], `--save ${weights} is the same file as --init ${weights}`],
    ["train --metrics the --resume checkpoint", () => ["train", p.model, "--data", p.data, "--resume", weights, "--metrics", weights], `--metrics ${weights} is the same file as --resume ${weights}`],
    ["predict --out the data", () => ["predict", p.model, "--data", p.data, "--weights", weights, "--out", p.data], `--out ${p.data} is the same file as --data ${p.data}`],
    ["predict --out the weights", () => ["predict", p.model, "--data", p.data, "--weights", weights, "--out", weights], `--out ${weights} is the same file as --weights ${weights}`],
    ["predict --out the model", () => ["predict", p.model, "--data", p.data, "--weights", weights, "--out", p.model], `--out ${p.model} is the same file as the model ${p.model}`],
  ])("%s", async (_, argv, message) => {
    const r = await nnc(...argv());
    expectOneLine(r, 2);
    expect(r.stderr).toContain(`nnc: ${message}: writing it would destroy the input`);
    for (const [file, text] of original) expect(readFileSync(file, "latin1"), file).toBe(text);
  });

  it("two outputs on one file, however the paths are spelled", async () => {
    const r = await nnc("train", p.model, "--data", p.data, "--save", p.at("x"), "--metrics", `${p.dir}/./x`);
    expectOneLine(r, 2);
    expect(r.stderr).toBe(`nnc: --metrics ${p.dir}/./x is the same file as --save ${p.at("x")}: one would overwrite the other; give them different paths\n`);
    expect(readdirSync(p.dir)).not.toContain("x");
  });

  it("the same file through a symlink or a hard link", async () => {
    symlinkSync(p.data, p.at("link.csv"));
    linkSync(p.data, p.at("hard.csv"));
    for (const alias of [p.at("link.csv"), p.at("hard.csv")]) {
      const r = await nnc("train", p.model, "--data", alias, "--metrics", p.data);
      expectOneLine(r, 2);
      expect(r.stderr).toContain(`--metrics ${p.data} is the same file as --data ${alias}`);
      expect(readFileSync(p.data, "latin1")).toBe(original.get(p.data));
    }
  });

  it("--resume CKPT --save CKPT continues the run in place", async () => {
    const r = await nnc("train", p.model, "--data", p.data, "--epochs", "4", "-q", "--resume", weights, "--save", weights);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(readFileSync(weights, "latin1")).not.toBe(original.get(weights));
  });
});

describe("output paths are checked before the first step", () => {
  const p = xorProject();
  mkdirSync(p.at("existing_dir"));
  // Not quiet: an error after training would come after the epoch lines.
  const train = (...flags: string[]) => nnc("train", p.model, "--data", p.data, "--epochs", "50", ...flags);

  it.each([
    [["--save", "existing_dir"], (d: string) => `${d}/existing_dir: cannot write: it is a folder; add a file name, e.g. ${d}/existing_dir/xor.safetensors`],
    [["--save", "newname/"], (d: string) => `${d}/newname/: cannot write: a path ending in '/' names a folder; add a file name, e.g. ${d}/newname/xor.safetensors`],
    [["--metrics", "existing_dir"], (d: string) => `${d}/existing_dir: cannot write: it is a folder; add a file name, e.g. ${d}/existing_dir/metrics.jsonl`],
  ])("train %j", async (flags, message) => {
    const r = await train(flags[0]!, p.at(flags[1]!));
    expectOneLine(r, 1);
    expect(r.stderr).toBe(`${message(p.dir)}\n`);
    expect(r.stdout).toBe("");
  });

  it("compile -o and predict --out too", async () => {
    const compiled = await nnc("compile", p.model, "-o", p.at("existing_dir"));
    expectOneLine(compiled, 1);
    expect(compiled.stderr).toBe(`${p.at("existing_dir")}: cannot write: it is a folder; add a file name, e.g. ${p.at("existing_dir")}/xor.ts\n`);
    const predicted = await nnc("predict", p.model, "--data", p.data, "--weights", p.at("none.safetensors"), "--out", p.at("gone/"));
    expectOneLine(predicted, 1);
    expect(predicted.stderr).toContain(`${p.at("gone/")}: cannot write: a path ending in '/' names a folder`);
  });
});

describe("--resume of a run that is already complete", () => {
  it("says so and how to train further, and writes nothing", async () => {
    const p = xorProject();
    const ckpt = p.at("r2.safetensors");
    expect((await nnc("train", p.model, "--data", p.data, "--epochs", "6", "-q", "--save", ckpt)).code).toBe(0);
    const before = readFileSync(ckpt, "latin1");
    const r = await nnc("train", p.model, "--data", p.data, "--epochs", "6", "--resume", ckpt, "--save", ckpt);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("saved");
    expect(r.stdout).toContain(
      `${ckpt} already holds the whole run: 6 steps, 6 epochs; nothing to train. To train further, ask for more: nnc train ${p.model} --data ${p.data} --epochs 12 --resume ${ckpt} --save ${ckpt}\n`,
    );
    expect(readFileSync(ckpt, "latin1")).toBe(before);

    // A --save elsewhere gets the checkpoint, so that the file asked for exists.
    const copy = p.at("copy.safetensors");
    const elsewhere = await nnc("train", p.model, "--data", p.data, "--epochs", "6", "-q", "--resume", ckpt, "--save", copy);
    expect(elsewhere).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(readFileSync(copy, "latin1")).toBe(before);

    // And the suggested command does train further.
    const more = await nnc("train", p.model, "--data", p.data, "--epochs", "12", "--resume", ckpt, "--save", ckpt);
    expect(more.stdout).toContain(`saved ${ckpt} (12 steps)\n`);
  });
});
