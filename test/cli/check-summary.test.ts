// `nnc check` and `nnc summary`, run in process with captured output, plus the shared
// argument parser; one spawn of the built `bin/nnc.js` checks the real entry point.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "../../cli/args.js";
import { run } from "../../cli/main.js";

const root = join(import.meta.dirname, "../..");
const examples = (name: string) => join(root, "examples", `${name}.nn`);

async function nnc(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-test-"));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("nnc check", () => {
  it("exits 0 for clean files, saying each is ok, and -q prints nothing", async () => {
    const files = [examples("mnist_mlp"), examples("reverse"), examples("xor"), examples("mnist_cnn")];
    const r = await nnc("check", ...files);
    expect(r).toEqual({ code: 0, stdout: files.map((f) => `${f}: ok (1 model)\n`).join(""), stderr: "" });
    expect(await nnc("check", "--quiet", ...files)).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("exits 1 with file:line:col: error: message on stderr", async () => {
    const file = tempFile("bad.nn", "model M {\n  input x: [784]\n  h = x |> dense(128)\n  y = h + x\n  output z = y\n}\n");
    const r = await nnc("check", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:4:7: error: shape mismatch: [128] vs [784]\n`);
    expect(r.stderr).toContain(`${file}:1:7: warning: model 'M' has no loss and no optimizer`);
    expect(r.stderr.trim().split("\n").at(-1)).toBe("1 error, 1 warning");
  });

  it("exits 0 with warnings only, and --no-warnings hides them", async () => {
    const file = tempFile("warn.nn", "model M {\n  input x: [2]\n  output y = x |> relu\n}\n");
    expect((await nnc("check", file)).code).toBe(0);
    expect(await nnc("check", "--no-warnings", file)).toEqual({ code: 0, stdout: `${file}: ok (1 model)\n`, stderr: "" });
  });

  it("exits 1 when any of several files has an error, reporting each file's own", async () => {
    const bad = tempFile("bad.nn", "model M {\n  input x: [2]\n  output y = x |> rleu\n}\n");
    const r = await nnc("check", examples("xor"), bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:3:19: error: unknown layer 'rleu' (did you mean 'relu'?)`);
    expect(r.stderr).not.toContain("xor.nn");
  });

  it("exits 2 with one line for usage errors", async () => {
    for (const [argv, message] of [
      [["check"], "nnc: no files to check: nnc check FILE...\n"],
      [["check", "missing.nn"], "nnc: missing.nn: cannot read: no such file or directory\n"],
      [["check", root], `nnc: ${root}: cannot read: is a directory, expected a .nn file\n`],
      [["check", "--no-warning", "x.nn"], "nnc: unknown option '--no-warning' (did you mean '--no-warnings'?)\n"],
      [["chek", "x.nn"], "nnc: unknown command 'chek' (did you mean 'check'?); run `nnc --help` for the list\n"],
    ] as const) {
      const r = await nnc(...argv);
      expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ code: 2, stderr: message, stdout: "" });
    }
  });
});

describe("nnc summary", () => {
  it("prints a table per model with output shapes, parameter counts and totals", async () => {
    const r = await nnc("summary", examples("mnist_mlp"));
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("Model: MnistMlp");
    expect(lines).toContainEqual(expect.stringMatching(/^image\s+input\s+\(None, 784\)\s+0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^hidden\.dense_0\s+dense\s+\(None, 128\)\s+100,480$/));
    expect(lines).toContainEqual(expect.stringMatching(/^logits\.dense_0\s+dense\s+\(None, 10\)\s+1,290$/));
    expect(lines).toContain("Total params: 101,770");
    expect(lines).toContain("Trainable params: 101,770");
    expect(lines).toContain("Non-trainable params: 0");
  });

  it("counts batch_norm's running statistics as non-trainable", async () => {
    const r = await nnc("summary", examples("mnist_cnn"));
    expect(r.stdout).toContain("Total params: 106,058\nTrainable params: 105,962\nNon-trainable params: 96");
  });

  it("--json gives models with layers, params in checkpoint order and the total", async () => {
    const r = await nnc("summary", examples("reverse"), "--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      models: { name: string; layers: { name: string; op: string; shape: (number | null)[]; params: number }[]; params: { name: string; shape: number[] }[]; total: number }[];
    };
    expect(json.models).toHaveLength(1);
    const m = json.models[0]!;
    expect(m.name).toBe("Reverse");
    expect(m.total).toBe(13_674);
    expect(m.layers[0]).toEqual({ name: "tokens", op: "input", shape: [null, 8], params: 0 });
    expect(m.layers.find((l) => l.op === "self_attention")).toEqual({ name: "x_1.self_attention_0", op: "self_attention", shape: [null, 8, 32], params: 4224 });
    expect(m.params[0]).toMatchObject({ name: "x.embedding_0.weight", shape: [10, 32] });
    expect(m.params.at(-1)).toMatchObject({ name: "logits.dense_0.bias", shape: [10] });
  });

  it("--model picks one model and suggests a near name", async () => {
    const file = tempFile("two.nn", "model A {\n  input x: [2]\n  output y = x |> dense(3)\n}\nmodel Bee {\n  input x: [2]\n  output y = x\n}\n");
    const all = await nnc("summary", file, "--json");
    expect((JSON.parse(all.stdout) as { models: { name: string }[] }).models.map((m) => m.name)).toEqual(["A", "Bee"]);
    const one = await nnc("summary", file, "--model=Bee", "--json");
    expect((JSON.parse(one.stdout) as { models: { name: string }[] }).models.map((m) => m.name)).toEqual(["Bee"]);
    const wrong = await nnc("summary", file, "--model", "Be");
    expect(wrong).toMatchObject({ code: 2, stderr: `nnc: no model 'Be' in ${file} (did you mean 'Bee'?); it has A, Bee\n` });
  });

  it("exits 1 with the errors of a file that does not check", async () => {
    const file = tempFile("bad.nn", "model M {\n  input x: [2]\n  output y = x |> rleu\n}\n");
    const r = await nnc("summary", file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${file}:3:19: error: unknown layer 'rleu' (did you mean 'relu'?)\n`);
  });

  it("takes exactly one file", async () => {
    expect((await nnc("summary")).code).toBe(2);
    expect((await nnc("summary", "a.nn", "b.nn")).stderr).toContain("summary takes exactly one file");
  });
});

describe("help", () => {
  it("nnc --help lists the commands; nnc help CMD and CMD --help show its options", async () => {
    const overview = await nnc("--help");
    expect(overview.code).toBe(0);
    expect(overview.stdout).toMatch(/check\s+check \.nn files/);
    expect(overview.stdout).toMatch(/summary\s+show each model/);
    const help = await nnc("help", "summary");
    expect(help.stdout).toContain("usage: nnc summary FILE [--model NAME] [--json]");
    expect(help.stdout).toContain("--model NAME");
    expect((await nnc("summary", "--help")).stdout).toBe(help.stdout);
    expect((await nnc("help", "sumary")).stderr).toContain("did you mean 'summary'?");
  });
});

describe("argument parser", () => {
  const options = [
    { name: "model", kind: "string" as const, valueName: "NAME", doc: "" },
    { name: "json", kind: "boolean" as const, doc: "" },
    { name: "out", short: "o", kind: "string" as const, doc: "" },
    { name: "epochs", kind: "string" as const, doc: "" },
  ];

  it("reads values in both forms, booleans, short names and positionals in any order", () => {
    const a = parseArgs(["f.nn", "--model", "M", "--json", "-o", "out.ts", "--epochs=3", "g.nn"], options);
    expect(a.positionals).toEqual(["f.nn", "g.nn"]);
    expect(a.string("model")).toBe("M");
    expect(a.flag("json")).toBe(true);
    expect(a.string("out")).toBe("out.ts");
    expect(a.integer("epochs", 1)).toBe(3);
    expect(a.flag("missing")).toBe(false);
  });

  it("treats everything after -- as positional", () => {
    expect(parseArgs(["--", "--json"], options).positionals).toEqual(["--json"]);
  });

  it("refuses unknown flags, missing values, values on booleans and bad numbers", () => {
    expect(() => parseArgs(["--jsn"], options)).toThrow(new UsageError("unknown option '--jsn' (did you mean '--json'?)"));
    expect(() => parseArgs(["--model"], options)).toThrow("--model needs a value: --model NAME");
    expect(() => parseArgs(["--model", "--json"], options)).toThrow("--model needs a value");
    expect(() => parseArgs(["--json=yes"], options)).toThrow("--json takes no value");
    expect(() => parseArgs(["--epochs", "three"], options).integer("epochs", 1)).toThrow("--epochs needs a whole number of at least 1, got 'three'");
  });
});

describe("the built CLI", () => {
  const bin = join(root, "bin", "nnc.js");
  const built = existsSync(join(root, "dist", "cli", "main.js"));

  it.runIf(built)("runs from bin/nnc.js with the documented exit codes", () => {
    expect(execFileSync(process.execPath, [bin, "check", examples("xor")], { encoding: "utf8" })).toBe(`${examples("xor")}: ok (1 model)\n`);
    const bad = spawnSync(process.execPath, [bin, "check", "nope.nn"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("nnc: nope.nn: cannot read: no such file or directory\n");
    const summary = spawnSync(process.execPath, [bin, "summary", examples("mnist_mlp")], { encoding: "utf8" });
    expect(summary.status).toBe(0);
    expect(summary.stdout).toContain("Total params: 101,770");
  });
});
