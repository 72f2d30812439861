// Neuron -> PyTorch -> Neuron: train in Neuron, export, continue training the exported module
// with the generated train.py (the DDP script, here in one process) from the same checkpoint,
// load its result back into Neuron and evaluate: the loss and accuracy PyTorch reports.
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../compiler/load.js";
import { loadData } from "../../runtime/node/data-source.js";
import { encodeSafetensors, type SafeTensor } from "../../runtime/safetensors.js";
import { exampleProject, nnc, xorProject } from "../cli/run-nnc.js";
import { PYTHON, requirePythonInterop } from "./python.js";

/**
 * `value` is what `printed` shows, up to the rounding of its last digit: Python rounds a tie
 * like 40.625 to even (40.62) where toFixed rounds it up (40.63), so strings are not compared.
 */
function expectPrinted(value: number, printed: string): void {
  const decimals = printed.split(".")[1]?.length ?? 0;
  expect(Math.abs(value - Number(printed))).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-9);
}

/** Neuron's evaluation equals what train.py printed: `eval: loss L  accuracy A%`. */
function expectAsPrinted(result: { loss: number; accuracy: number }, reported: RegExpExecArray): void {
  expectPrinted(result.loss, reported[1]!);
  expectPrinted(100 * result.accuracy, reported[2]!);
}

describe("round trip through the exported PyTorch module", () => {
  it("xor: 1 epoch in Neuron, 1 in PyTorch, evaluated in Neuron as PyTorch reports", async () => {
    requirePythonInterop();
    const p = xorProject();
    const first = await nnc("train", p.model, "--data", p.data, "--epochs", "1", "--no-shuffle", "--quiet", "--save", p.at("neuron.safetensors"));
    expect(first.stderr).toBe("");
    const exported = await nnc("export", p.model, "--format", "pytorch", "-o", p.at("model.py"));
    expect(exported.stderr).toBe("");
    expect(exported.code).toBe(0);

    const { module } = await loadModel(p.model);
    const train = (await loadData(p.data, module.info)).train!;
    const tensors: SafeTensor[] = [];
    for (const [group, values] of [["input", train.inputs], ["target", train.targets]] as const) {
      for (const t of group === "input" ? module.info.inputs : module.info.targets) {
        tensors.push({ name: t.name, dtype: "F32", shape: [train.size, ...t.shape], data: Float32Array.from(values[t.name]!) });
      }
    }
    writeFileSync(p.at("data.safetensors"), encodeSafetensors(tensors));

    const torch = spawnSync(
      PYTHON,
      ["train.py", "--data", "data.safetensors", "--init", "neuron.safetensors", "--save", "torch.safetensors", "--epochs", "1", "--no-shuffle"],
      { cwd: p.dir, encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } },
    );
    expect(torch.stderr).toBe("");
    const reported = /eval: loss ([\d.]+)  accuracy ([\d.]+)%/.exec(torch.stdout);
    expect(reported, torch.stdout).not.toBeNull();

    const back = await nnc("eval", p.model, "--weights", p.at("torch.safetensors"), "--data", p.data, "--json");
    expect(back.stderr).toBe("");
    const result = JSON.parse(back.stdout) as { loss: number; accuracy: number };
    console.log(`round trip xor: PyTorch loss ${reported![1]} accuracy ${reported![2]}%; Neuron loss ${result.loss.toFixed(4)} accuracy ${(100 * result.accuracy).toFixed(2)}%`);
    expectAsPrinted(result, reported!);
    // PyTorch trained: its weights are not the ones it started from.
    const before = await nnc("eval", p.model, "--weights", p.at("neuron.safetensors"), "--data", p.data, "--json");
    expect(before.stderr).toBe("");
    expect((JSON.parse(before.stdout) as { loss: number }).loss).not.toBe(result.loss);
  }, 60_000);

  it("mnist_cnn on 256 digits: the conv -> flatten -> dense layout survives both ways", async () => {
    requirePythonInterop();
    const p = exampleProject("mnist_cnn.nn");
    const model = p.at("mnist_cnn.nn");
    const { module } = await loadModel(model);
    const train = (await loadData("mnist", module.info)).train!;
    const count = 256;
    const lines: string[] = [];
    const image = train.inputs["image"]!;
    const digit = train.targets["digit"]!;
    const tensors: SafeTensor[] = [
      { name: "image", dtype: "F32", shape: [count, 28, 28, 1], data: Float32Array.from(image.subarray(0, count * 784)) },
      { name: "digit", dtype: "I64", shape: [count], data: BigInt64Array.from(Array.from(digit.subarray(0, count), (d) => BigInt(d))) },
    ];
    for (let i = 0; i < count; i++) {
      const rows = Array.from({ length: 28 }, (_, y) => Array.from({ length: 28 }, (_, x) => [image[i * 784 + y * 28 + x]!]));
      lines.push(JSON.stringify({ image: rows, digit: digit[i] }));
    }
    writeFileSync(p.at("digits.jsonl"), lines.join("\n") + "\n");
    writeFileSync(p.at("data.safetensors"), encodeSafetensors(tensors));
    const first = await nnc("train", model, "--data", p.at("digits.jsonl"), "--epochs", "1", "--quiet", "--save", p.at("neuron.safetensors"));
    expect(first.stderr).toBe("");
    expect((await nnc("export", model, "--format", "pytorch", "-o", p.at("model.py"))).code).toBe(0);
    const torch = spawnSync(
      PYTHON,
      ["train.py", "--data", "data.safetensors", "--init", "neuron.safetensors", "--save", "torch.safetensors", "--epochs", "1"],
      { cwd: p.dir, encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } },
    );
    expect(torch.stderr).toBe("");
    const reported = /eval: loss ([\d.]+)  accuracy ([\d.]+)%/.exec(torch.stdout);
    expect(reported, torch.stdout).not.toBeNull();
    // train.py seeds torch (--seed, default the .nn file's): the same command gives the same run.
    const again = spawnSync(PYTHON, ["train.py", "--data", "data.safetensors", "--init", "neuron.safetensors", "--epochs", "1"], {
      cwd: p.dir,
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: "1" },
    });
    expect(again.stdout).toBe(torch.stdout);
    const back = await nnc("eval", model, "--weights", p.at("torch.safetensors"), "--data", p.at("digits.jsonl"), "--json");
    expect(back.stderr).toBe("");
    const result = JSON.parse(back.stdout) as { loss: number; accuracy: number };
    console.log(`round trip mnist_cnn: PyTorch loss ${reported![1]} accuracy ${reported![2]}%; Neuron loss ${result.loss.toFixed(4)} accuracy ${(100 * result.accuracy).toFixed(2)}%`);
    expectAsPrinted(result, reported!);
  }, 120_000);

  it("train.py under DistributedDataParallel: two processes (gloo) train xor and nnc eval reads the result", async () => {
    requirePythonInterop();
    const p = xorProject();
    await nnc("export", p.model, "--format", "pytorch", "-o", p.at("model.py"));
    await nnc("train", p.model, "--steps", "0", "--save", p.at("init.safetensors"));
    const x = Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1);
    const y = Float32Array.of(0, 1, 1, 0);
    writeFileSync(p.at("data.safetensors"), encodeSafetensors([
      { name: "x", dtype: "F32", shape: [4, 2], data: x },
      { name: "y", dtype: "F32", shape: [4, 1], data: y },
    ]));
    // What torchrun sets for each process (Debian's torch 1.13 launcher fails on Python 3.12+).
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const ranks = [0, 1].map(
      (rank) =>
        new Promise<{ code: number | null; out: string }>((done) => {
          const child = spawn(PYTHON, ["train.py", "--data", "data.safetensors", "--init", "init.safetensors", "--save", "ddp.safetensors", "--epochs", "20", "--batch", "2"], {
            cwd: p.dir,
            env: { ...process.env, OMP_NUM_THREADS: "1", MASTER_ADDR: "127.0.0.1", MASTER_PORT: port, WORLD_SIZE: "2", RANK: String(rank), LOCAL_RANK: String(rank) },
          });
          let out = "";
          child.stdout.on("data", (d: Buffer) => (out += d.toString()));
          child.stderr.on("data", (d: Buffer) => (out += d.toString()));
          child.on("close", (code) => done({ code, out }));
        }),
    );
    const [rank0, rank1] = await Promise.all(ranks);
    expect(rank0!.code, rank0!.out).toBe(0);
    expect(rank1!.code, rank1!.out).toBe(0);
    expect(rank0!.out).toMatch(/epoch 20: loss/);
    expect(rank1!.out).toBe("");
    const back = await nnc("eval", p.model, "--weights", p.at("ddp.safetensors"), "--data", p.data, "--json");
    expect(back.stderr).toBe("");
    const reported = /eval: loss ([\d.]+)/.exec(rank0!.out);
    expectPrinted((JSON.parse(back.stdout) as { loss: number }).loss, reported![1]!);
  }, 120_000);
});
