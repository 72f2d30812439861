// `nnc train`, `eval` and `predict` end to end, in-process through run(): a model compiled in
// memory, data from the example files, everything written into a temporary directory.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { interruptedCheckpointPath } from "../../cli/train.js";
import { decodeSafetensors } from "../../runtime/safetensors.js";
import { nnc, xorProject } from "./run-nnc.js";

const tensorNames = (path: string) => [...decodeSafetensors(new Uint8Array(readFileSync(path))).tensors.keys()].sort();

describe("nnc train / eval / predict on xor", () => {
  it("trains xor to 100% from the file's defaults, saves with --save, and eval and predict read the checkpoint", async () => {
    const p = xorProject();
    const trained = await nnc("train", p.model, "--data", p.data, "--save", p.at("xor.safetensors"));
    expect(trained.stderr).toBe("");
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/^training Xor on 4 samples: batch 4, 500 epochs, sgd lr 0.5, seed 0\n/);
    // Not a terminal: plain lines, the first epoch's and every 25th of 500 (the last among them).
    expect(trained.stdout.match(/^epoch +\d+\/500  loss \d\.\d{4}  acc \d\.\d{4}  [\d,]+ samples\/s  \d+\.\d\ds$/gm)).toHaveLength(21);
    expect(trained.stdout).toMatch(/^epoch 500\/500  loss 0\.\d{4}  acc 1\.0000 /m);
    expect(trained.stdout).toContain(`saved ${p.at("xor.safetensors")} (500 steps)\n`);

    const evaluated = await nnc("eval", p.model, "--data", p.data, "--weights", p.at("xor.safetensors"), "--json");
    expect(evaluated).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ accuracy: 1, samples: 4 });
    expect(JSON.parse(evaluated.stdout).loss).toBeLessThan(0.05);
    const text = await nnc("eval", p.model, "--data", p.data, "--weights", p.at("xor.safetensors"));
    expect(text.stdout).toMatch(/^loss 0\.\d{4}  accuracy 100\.00%  \(4 samples\)\n$/);

    const out = p.at("predictions.jsonl");
    const predicted = await nnc("predict", p.model, "--data", p.data, "--weights", p.at("xor.safetensors"), "--out", out);
    expect(predicted).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const rows = readFileSync(out, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { p: number[] });
    expect(rows.map((r) => Math.round(r.p[0]!))).toEqual([0, 1, 1, 0]);
  });

  it("writes nothing it was not asked to write", async () => {
    const p = xorProject();
    const r = await nnc("train", p.model, "--data", p.data, "--epochs", "3");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("trained 3 steps; not saved (add --save OUT.safetensors to keep the weights)\n");
    expect(readdirSync(p.dir).sort()).toEqual(["xor.csv", "xor.nn"]);
  });

  it("--metrics writes one JSON line per epoch with exactly the documented keys", async () => {
    const p = xorProject();
    const r = await nnc("train", p.model, "--data", p.data, "--epochs", "4", "--metrics", p.at("m.jsonl"), "--val", p.data, "--quiet");
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    const lines = readFileSync(p.at("m.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3, 4]);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "samples_per_sec", "seconds"]);
      for (const value of Object.values(line)) expect(Number.isFinite(value)).toBe(true);
    }
  });

  it("--json prints each epoch's metrics as JSON lines and nothing else", async () => {
    const p = xorProject();
    const r = await nnc("train", p.model, "--data", p.data, "--epochs", "3", "--json", "-o", p.at("x.safetensors"));
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { epoch: number; step: number });
    expect(lines.map((l) => [l.epoch, l.step])).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(existsSync(p.at("x.safetensors"))).toBe(true);
  });

  it("--steps 0 --save writes the initial weights alone, and --init starts from them", async () => {
    const p = xorProject();
    const initial = p.at("initial.safetensors");
    const written = await nnc("train", p.model, "--steps", "0", "--save", initial, "--seed", "7");
    expect(written).toEqual({ code: 0, stdout: `saved the initial weights (seed 7) to ${initial}\n`, stderr: "" });
    expect(tensorNames(initial)).toEqual(["hidden.dense_0.bias", "hidden.dense_0.weight", "p.dense_0.bias", "p.dense_0.weight"]);

    // Same seed, same initial weights: training from them equals training from the seed.
    const fromSeed = p.at("seed.safetensors");
    const fromInit = p.at("init.safetensors");
    expect((await nnc("train", p.model, "--data", p.data, "--steps", "25", "--seed", "7", "-q", "--save", fromSeed)).code).toBe(0);
    expect((await nnc("train", p.model, "--data", p.data, "--steps", "25", "--seed", "7", "-q", "--save", fromInit, "--init", initial)).code).toBe(0);
    const predictions = async (weights: string) => (await nnc("predict", p.model, "--data", p.data, "--weights", weights)).stdout;
    expect(await predictions(fromInit)).toBe(await predictions(fromSeed));
    // Another seed's initial weights give another run.
    const other = p.at("other.safetensors");
    await nnc("train", p.model, "--steps", "0", "--save", other, "--seed", "8");
    expect(await predictions(other)).not.toBe(await predictions(initial));
  });

  it("--init also accepts a full checkpoint and takes only its weights", async () => {
    const p = xorProject();
    const checkpoint = p.at("ckpt.safetensors");
    await nnc("train", p.model, "--data", p.data, "--steps", "30", "-q", "--save", checkpoint);
    expect(tensorNames(checkpoint)).toContain("optimizer.step");
    const weightsOnly = p.at("weights.safetensors");
    const r = await nnc("train", p.model, "--steps", "0", "--init", checkpoint, "--save", weightsOnly);
    expect(r.stdout).toBe(`saved the weights of ${checkpoint} to ${weightsOnly}\n`);
    const predictions = async (weights: string) => (await nnc("predict", p.model, "--data", p.data, "--weights", weights)).stdout;
    expect(await predictions(weightsOnly)).toBe(await predictions(checkpoint));
    // A fresh run from those weights starts a new run (optimizer from scratch), unlike --resume.
    const continued = await nnc("train", p.model, "--data", p.data, "--epochs", "2", "--init", checkpoint, "--json");
    expect(continued.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { step: number }).step)).toEqual([1, 2]);
  });

  it("--model picks one model of a file that defines several, and names its interrupted checkpoint", async () => {
    const p = xorProject();
    const xor = readFileSync(p.model, "utf8");
    writeFileSync(p.at("two.nn"), `${xor}\n${xor.replace("model Xor", "model Wide").replace("dense(4,", "dense(8,")}`);
    expect(await nnc("train", p.at("two.nn"), "--data", p.data)).toMatchObject({
      code: 1,
      stderr: `${p.at("two.nn")}: defines 2 models (Xor, Wide); choose one with --model NAME\n`,
    });
    const r = await nnc("train", p.at("two.nn"), "--model", "Wide", "--data", p.data, "--epochs", "2", "--save", p.at("wide.safetensors"));
    expect(r.stdout).toMatch(/^training Wide on 4 samples/);
    expect(decodeSafetensors(new Uint8Array(readFileSync(p.at("wide.safetensors")))).tensors.get("hidden.dense_0.weight")?.shape).toEqual([8, 2]);
    expect(interruptedCheckpointPath(p.at("two.nn"), "Wide")).toBe(p.at("two.Wide.interrupted.safetensors"));
  });

  it("resumes a run to the same weights as an uninterrupted one, bit for bit", async () => {
    const p = xorProject();
    const whole = p.at("whole.safetensors");
    const half = p.at("half.safetensors");
    const resumed = p.at("resumed.safetensors");
    expect((await nnc("train", p.model, "--data", p.data, "--steps", "40", "-q", "--save", whole)).code).toBe(0);
    expect((await nnc("train", p.model, "--data", p.data, "--steps", "17", "-q", "--save", half)).code).toBe(0);
    expect((await nnc("train", p.model, "--data", p.data, "--steps", "40", "-q", "--resume", half, "--save", resumed)).code).toBe(0);
    const bytes = (path: string) => decodeSafetensors(new Uint8Array(readFileSync(path))).tensors;
    for (const [name, tensor] of bytes(whole)) expect(bytes(resumed).get(name)?.data, name).toEqual(tensor.data);
  });

  it("--no-shuffle and --seed change the run, the same settings repeat it", async () => {
    const p = xorProject();
    const loss = async (...extra: string[]) => {
      const r = await nnc("train", p.model, "--data", p.data, "--batch", "1", "--epochs", "2", "--json", ...extra);
      expect(r.code).toBe(0);
      return r.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { loss: number }).loss);
    };
    const base = await loss();
    expect(await loss()).toEqual(base);
    expect(await loss("--no-shuffle")).not.toEqual(base);
    expect(await loss("--seed", "3")).not.toEqual(base);
    expect(await loss("--lr", "0.01")).not.toEqual(base);
  });

  it("Ctrl-C stops after the current step, saves a checkpoint to resume from and says where", async () => {
    const p = xorProject();
    // Stand in for the terminal: other SIGINT listeners (the test runner's) are set aside meanwhile.
    const others = process.rawListeners("SIGINT") as ((...args: unknown[]) => void)[];
    process.removeAllListeners("SIGINT");
    const ticker = setInterval(() => process.emit("SIGINT"), 20);
    try {
      const r = await nnc("train", p.model, "--data", p.data, "--epochs", "100000", "--batch", "2", "-q");
      expect(r.code).toBe(130);
      const saved = p.at("xor.interrupted.safetensors");
      expect(r.stderr).toMatch(new RegExp(`^interrupted at step \\d+; saved ${saved}\\. Continue with: nnc train ${p.model} --data ${p.data} --epochs 100000 --batch 2 --resume ${saved} --save ${p.at("xor.safetensors")}\\n$`));
      expect(tensorNames(saved)).toContain("optimizer.step");
    } finally {
      clearInterval(ticker);
      others.forEach((listener) => process.on("SIGINT", listener));
    }
  });
});
