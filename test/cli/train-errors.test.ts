// Every bad input to `nnc train`, `eval` and `predict` ends in one line on stderr that names
// the file (or flag) and the fix, and a non-zero exit: 2 for usage mistakes, 1 for bad files.
// Never a stack trace.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeSafetensors } from "../../runtime/safetensors.js";
import { nnc, xorProject } from "./run-nnc.js";

/** One line, no stack frames. */
function expectOneLine(stderr: string): void {
  expect(stderr.endsWith("\n")).toBe(true);
  expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
}

async function failure(code: number, ...argv: string[]): Promise<string> {
  const r = await nnc(...argv);
  expect(r.code, r.stderr).toBe(code);
  expectOneLine(r.stderr);
  return r.stderr;
}

describe("bad flags are usage errors (exit 2) naming the flag and the fix", () => {
  const p = xorProject();
  const train = (...flags: string[]) => failure(2, "train", p.model, "--data", p.data, ...flags);

  it.each([
    [["--epochs", "abc"], "nnc: --epochs needs a whole number of at least 1, got 'abc'\n"],
    [["--epochs", "0"], "nnc: --epochs needs a whole number of at least 1, got '0'\n"],
    [["--steps", "-3"], "nnc: --steps needs a whole number (0 or more), got '-3'\n"],
    [["--batch", "0"], "nnc: --batch needs a whole number of at least 1, got '0'\n"],
    [["--seed", "1.5"], "nnc: --seed needs a whole number (0 or more), got '1.5'\n"],
    [["--lr", "fast"], "nnc: --lr needs a number, got 'fast'\n"],
    [["--lr", "-0.1"], "nnc: --lr must be above 0, got -0.1\n"],
    [["--epoch", "3"], "nnc: unknown option '--epoch' (did you mean '--epochs'?)\n"],
    [["--epochs", "2", "--steps", "3"], "nnc: give --epochs or --steps, not both\n"],
    [["--init", "a.safetensors", "--resume", "b.safetensors"], "nnc: give --init (weights to start from) or --resume (a run to continue), not both\n"],
    [["--checkpoint-every", "10"], "nnc: --checkpoint-every needs --save OUT.safetensors to know where to write\n"],
    [["--save"], "nnc: --save needs a value: --save OUT.safetensors\n"],
  ])("train %j", async (flags, message) => {
    expect(await train(...flags)).toBe(message);
  });

  it("train without --data, eval and predict without --weights", async () => {
    expect(await failure(2, "train", p.model)).toMatch(/^nnc: train needs --data SPEC \(mnist, a \.csv or \.jsonl file, or a \.js\/\.ts data module\)\n$/);
    expect(await failure(2, "eval", p.model, "--data", p.data)).toMatch(/^nnc: eval needs --weights W\.safetensors \(written by `nnc train FILE --data SPEC --save W\.safetensors`\)\n$/);
    expect(await failure(2, "predict", p.model, "--data", p.data)).toMatch(/needs --weights W\.safetensors/);
    expect(await failure(2, "eval", p.model, "--data", p.data, "--weights", "w.safetensors", "--split", "dev")).toBe("nnc: --split must be train or test, got 'dev'\n");
  });
});

describe("bad files (exit 1) are named with what is wrong", () => {
  it("a missing, unknown or corrupt data file", async () => {
    const p = xorProject();
    expect(await failure(1, "train", p.model, "--data", p.at("none.csv"))).toBe(`${p.at("none.csv")}: cannot read: no such file or directory\n`);
    expect(await failure(1, "train", p.model, "--data", p.at("data.txt"))).toBe(`${p.at("data.txt")}: unknown kind of data; use mnist, a .csv or .jsonl file, or a .js/.ts data module\n`);

    writeFileSync(p.at("bad.csv"), "x.0,x.1,y\n0,0,0\n0,one,1\n");
    expect(await failure(1, "train", p.model, "--data", p.at("bad.csv"))).toBe(`${p.at("bad.csv")}: line 3, column 'x.1': 'one' is not a number\n`);
    writeFileSync(p.at("short.csv"), "x.0,y\n0,0\n");
    expect(await failure(1, "train", p.model, "--data", p.at("short.csv"))).toMatch(/short\.csv: line 1: missing column 'x\.1' for input 'x'/);
    writeFileSync(p.at("bad.jsonl"), '{"x": [0, 1], "y": [1]}\n{"x": [0, 1, 2], "y": [1]}\n');
    expect(await failure(1, "train", p.model, "--data", p.at("bad.jsonl"))).toBe(`${p.at("bad.jsonl")}: line 2: field 'x': expected float [2], found a list of 3 where 2 belong\n`);
    writeFileSync(p.at("broken.mjs"), "export function train() { throw new Error('no network'); }\n");
    expect(await failure(1, "train", p.model, "--data", p.at("broken.mjs"))).toBe(`${p.at("broken.mjs")}: train() failed: no network\n`);
    expect(await failure(1, "train", p.model, "--data", "mnist")).toMatch(/^mnist data needs a model with one float input of 784 values .*; model Xor has inputs x: float \[2\]\n$/);
    expect(await failure(1, "train", p.model, "--data", p.data, "--val", p.at("bad.csv"))).toMatch(/bad\.csv: line 3/);
  });

  it("a model file with errors, or one that cannot be trained", async () => {
    const p = xorProject();
    expect(await failure(1, "train", p.at("none.nn"), "--data", p.data)).toBe(`${p.at("none.nn")}: cannot read: no such file or directory\n`);
    writeFileSync(p.at("untrainable.nn"), readFileSync(p.model, "utf8").replace(/\n\s*optimizer .*\n/, "\n"));
    expect(await failure(1, "train", p.at("untrainable.nn"), "--data", p.data)).toBe(
      `${p.at("untrainable.nn")}: model Xor cannot be trained: add an optimizer (e.g. \`optimizer adam(lr: 0.001)\`)\n`,
    );
  });

  it("missing, corrupt and truncated weights", async () => {
    const p = xorProject();
    const evalWith = (weights: string) => failure(1, "eval", p.model, "--data", p.data, "--weights", weights);
    expect(await evalWith(p.at("none.safetensors"))).toBe(`${p.at("none.safetensors")}: cannot read: no such file or directory\n`);
    writeFileSync(p.at("junk.safetensors"), "hello");
    expect(await evalWith(p.at("junk.safetensors"))).toMatch(/^.*junk\.safetensors: not a safetensors file: 5 bytes/);
    await nnc("train", p.model, "--steps", "0", "--save", p.at("w.safetensors"));
    const whole = readFileSync(p.at("w.safetensors"));
    writeFileSync(p.at("cut.safetensors"), whole.subarray(0, whole.length - 10));
    expect(await evalWith(p.at("cut.safetensors"))).toMatch(/^.*cut\.safetensors: /);
    expect(await failure(1, "train", p.model, "--data", p.data, "--resume", p.at("junk.safetensors"))).toMatch(/junk\.safetensors: not a safetensors file/);
  });

  it("weights of another model, by name or by shape", async () => {
    const p = xorProject();
    writeFileSync(p.at("other.nn"), readFileSync(p.model, "utf8").replace("model Xor", "model Other"));
    await nnc("train", p.at("other.nn"), "--steps", "0", "--save", p.at("other.safetensors"));
    expect(await failure(1, "eval", p.model, "--data", p.data, "--weights", p.at("other.safetensors"))).toBe(
      `${p.at("other.safetensors")}: was saved from model Other, not Xor: give the weights of a Xor run\n`,
    );
    // A plain weights file (as PyTorch writes them) is checked tensor by tensor.
    const plain = encodeSafetensors([{ name: "hidden.dense_0.weight", dtype: "F32", shape: [8, 2], data: new Float32Array(16) }]);
    writeFileSync(p.at("plain.safetensors"), plain);
    expect(await failure(1, "train", p.model, "--data", p.data, "--init", p.at("plain.safetensors"))).toBe(
      `${p.at("plain.safetensors")}: tensor 'hidden.dense_0.weight' has shape [8, 2], model Xor needs [4, 2]\n`,
    );
  });

  it("a checkpoint resumed with other settings than its run's", async () => {
    const p = xorProject();
    await nnc("train", p.model, "--data", p.data, "--steps", "3", "-q", "--save", p.at("run.safetensors"));
    expect(await failure(1, "train", p.model, "--data", p.data, "--resume", p.at("run.safetensors"), "--batch", "2")).toBe(
      `${p.model}: the checkpoint was trained with batch size 4, this run uses 2: resume with --batch 4\n`,
    );
  });

  it("an output that cannot be written, before training rather than after", async () => {
    const p = xorProject();
    const nowhere = join(p.dir, "no", "such", "w.safetensors");
    expect(await failure(1, "train", p.model, "--data", p.data, "--save", nowhere)).toBe(
      `${nowhere}: cannot write: the folder ${join(p.dir, "no", "such")} does not exist; create it first\n`,
    );
  });
});

/** A straight-line fit, `y = w x + b`, with its data. */
function lineProject(rows: string): { model: string; data: string } {
  const p = xorProject();
  writeFileSync(
    p.at("line.nn"),
    ["model Line {", "  input x: [1]", "  target y: [1]", "  output y_hat = x |> dense(1)", "  loss mse(y_hat, y)", "  optimizer sgd(lr: 0.01)", "  train { batch: 4, epochs: 5 }", "}", ""].join("\n"),
  );
  writeFileSync(p.at("line.csv"), `x,y\n${rows}`);
  return { model: p.at("line.nn"), data: p.at("line.csv") };
}

describe("a loss that stops being finite", () => {
  const failed = /^.*line\.nn: loss became (NaN|Infinity) at step (\d+) \(epoch \d+, batch 1\); first non-finite value: (.+) at index \d+; try a lower learning rate \(--lr\) or gradient clipping \(clip_norm\)\n$/;

  it("stops training, naming the step and the first value that went bad (a learning rate of 1e30)", async () => {
    const line = lineProject("0,1\n1,3\n2,5\n3,7\n");
    expect((await nnc("train", line.model, "--data", line.data, "-q")).code).toBe(0);
    const r = await nnc("train", line.model, "--data", line.data, "--lr", "1e30", "--save", line.data.replace(".csv", ".safetensors"));
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    const [, , step, culprit] = failed.exec(r.stderr) ?? [];
    expect(Number(step)).toBeGreaterThan(1);
    expect(culprit).toMatch(/y_hat|dense|weight|bias/);
  });

  it("or a huge value in the data", async () => {
    const line = lineProject("0,1\n1,3\n2,5\n1e20,7\n");
    const r = await nnc("train", line.model, "--data", line.data);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(failed);
  });

  it("a value float32 cannot hold is refused when the data is read", async () => {
    const line = lineProject("0,1\n1e39,3\n");
    expect(await failure(1, "train", line.model, "--data", line.data)).toBe(
      `${line.data}: line 3, column 'x': 1e+39 is too large for float32 (at most 3.40e+38 in magnitude); rescale the data, or train with --dtype float64\n`,
    );
  });
});
