// The frictions a new user hit on a first run (issue 14): the version, a clean `check` saying so,
// a log of a long run kept short, a terminal that reports no width, and usage errors that point
// at the fix.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { suggest } from "../../compiler/check/suggest.js";
import { checkText } from "../../compiler/check/index.js";
import { createProgressReporter } from "../../cli/train-progress.js";
import type { BatchProgress } from "../../runtime/train.js";
import { nnc, nncOn, repositoryRoot, xorProject } from "./run-nnc.js";

const version = (JSON.parse(readFileSync(`${repositoryRoot}/package.json`, "utf8")) as { version: string }).version;

describe("nnc --version", () => {
  it("prints the package's version", async () => {
    expect(await nnc("--version")).toEqual({ code: 0, stdout: `nnc ${version}\n`, stderr: "" });
    expect((await nnc("-V")).stdout).toBe(`nnc ${version}\n`);
  });
});

describe("nnc check on a clean file", () => {
  it("says it is ok and how many models it holds, unless -q", async () => {
    const p = xorProject();
    expect(await nnc("check", p.model)).toEqual({ code: 0, stdout: `${p.model}: ok (1 model)\n`, stderr: "" });
    expect(await nnc("check", "-q", p.model)).toEqual({ code: 0, stdout: "", stderr: "" });
  });
});

describe("nnc train's log", () => {
  it("keeps the first epoch's line, about 20 more and the last when not on a terminal", async () => {
    const p = xorProject();
    const r = await nncOn({ isTTY: false }, "train", p.model, "--data", p.data, "--epochs", "100");
    expect(r.code).toBe(0);
    const epochs = r.stdout.split("\n").filter((l) => l.startsWith("epoch")).map((l) => Number(/^epoch +(\d+)/.exec(l)![1]));
    expect(epochs).toEqual([1, ...Array.from({ length: 20 }, (_, i) => 5 * (i + 1))]);
  });

  it("--log-every N prints the first epoch, every Nth and the last", async () => {
    const p = xorProject();
    const r = await nncOn({ isTTY: false }, "train", p.model, "--data", p.data, "--epochs", "10", "--log-every", "4");
    const epochs = r.stdout.split("\n").filter((l) => l.startsWith("epoch")).map((l) => Number(/^epoch +(\d+)/.exec(l)![1]));
    expect(epochs).toEqual([1, 4, 8, 10]);
  });

  it("draws the bar on a terminal that reports 0 columns", () => {
    let out = "";
    const reporter = createProgressReporter({ stdout: { write: (s: string) => (out += s), isTTY: true, columns: 0 }, stderr: { write: () => {} } }, "bar", 10, () => 0);
    const p: BatchProgress = { epoch: 1, batch: 1, batches: 10, step: 1, totalSteps: 100, loss: 0.5, samples: 4, epochLoss: 0.5, epochAccuracy: null };
    reporter.batch(p);
    expect(out).toMatch(/^\r\x1b\[Kepoch 1\/10 \[#*\.*\] step 1\/100 {2}loss 0\.5000/);
  });
});

describe("usage errors point at the fix", () => {
  it("suggests 'units' for 'unit', not 'init'", () => {
    expect(suggest("unit", ["init", "units", "bias"])).toBe("units");
    const text = "model M {\n  input x: [2]\n  output y = x |> dense(unit: 3)\n}\n";
    expect(checkText(text).diagnostics.map((d) => d.message)).toContain("unknown argument 'unit' for 'dense' (did you mean 'units'?)");
  });

  it("reports a missing '}' at the end of the last line, not after the file", () => {
    const text = "model M {\n  input x: [2]\n  output y = x |> dense(3)\n\n\n";
    const error = checkText(text).diagnostics.find((d) => d.severity === "error")!;
    expect(error.message).toBe("expected '}' to close model 'M' but reached the end of the file");
    expect(error.range.start).toMatchObject({ line: 3, column: 27 });
  });

  it("knows --learning-rate means --lr, and other tools' names for the options", async () => {
    const p = xorProject();
    expect((await nnc("train", p.model, "--data", p.data, "--learning-rate", "0.1")).stderr).toBe("nnc: unknown option '--learning-rate' (did you mean '--lr'?)\n");
    expect((await nnc("train", p.model, "--batch-size", "4")).stderr).toBe("nnc: unknown option '--batch-size' (did you mean '--batch'?)\n");
    expect((await nnc("compile", p.model, "--output", "x.ts")).stderr).toBe("nnc: unknown option '--output' (did you mean '--out'?)\n");
  });

  it("suggests --data for a data file given as a second file", async () => {
    const p = xorProject();
    const r = await nnc("train", p.model, p.data);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`nnc: train takes one model file; to use ${p.data} as the data, write --data ${p.data}: nnc train ${p.model} --data ${p.data}\n`);
  });

  it("names the command once", async () => {
    const p = xorProject();
    expect((await nnc("train", p.model)).stderr).toBe("nnc: train needs --data SPEC (mnist, a .csv or .jsonl file, or a .js/.ts data module)\n");
    expect((await nnc("eval", p.model, "--data", p.data)).stderr).toMatch(/^nnc: eval needs --weights W\.safetensors/);
  });

  it("words a missing file the same way for models, data and checkpoints", async () => {
    const p = xorProject();
    const missing = p.at("none.nn");
    expect((await nnc("check", missing)).stderr).toBe(`nnc: ${missing}: cannot read: no such file or directory\n`);
    expect((await nnc("train", missing, "--data", p.data)).stderr).toBe(`${missing}: cannot read: no such file or directory\n`);
    expect((await nnc("train", p.model, "--data", p.at("none.csv"))).stderr).toBe(`${p.at("none.csv")}: cannot read: no such file or directory\n`);
  });
});

describe("the docs' commands", () => {
  const doc = (name: string) => readFileSync(`${repositoryRoot}/docs/${name}`, "utf8");

  it("docs/typescript.md installs the versions its package.json pins", () => {
    const page = doc("typescript.md");
    const install = /^npm install --save-dev (.+)$/m.exec(page)![1]!.split(/\s+/);
    const manifest = JSON.parse(/```json title="package.json"\n([\s\S]*?)```/.exec(page)![1]!) as { devDependencies: Record<string, string> };
    const asked = Object.fromEntries(install.map((word) => [word.slice(0, word.lastIndexOf("@")), word.slice(word.lastIndexOf("@") + 1)]));
    expect(asked).toEqual(manifest.devDependencies);
  });

  it("docs/training.md runs nnc as the README does, through npx", () => {
    const commands = [...doc("training.md").matchAll(/^```\w*\n([\s\S]*?)^```$/gm)].flatMap((m) => m[1]!.split("\n")).filter((line) => /^(npx )?nnc /.test(line));
    expect(commands.length).toBeGreaterThan(3);
    expect(commands.filter((line) => !line.startsWith("npx nnc "))).toEqual([]);
  });
});
