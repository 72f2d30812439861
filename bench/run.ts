// `npm run bench [-- --quick] [-- --rounds N] [-- --models a,b]`: Neuron against TensorFlow.js
// (CPU and WASM backends) and PyTorch's CPU twins (one thread and all cores, where python3-torch
// is installed), Neuron itself on one thread and on all cores, on the example models, and on mnist_mlp Neuron with zero-skipping off as well,
// for the arithmetic rate of multiply-adds really done. Each system runs in its own process per round, the
// systems alternating (A B C, B C A, ...); the table shows medians over rounds, and the raw
// measurements go to bench/results.json. Run it on an otherwise idle machine.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkText } from "../compiler/check/index.js";
import type { BenchData } from "./data.js";
import { trainingMultiplyAddsPerSample } from "./flops.js";
import { measureMatmulCeiling } from "./matmul-ceiling.js";
import { allCores, type SystemName } from "./systems.js";
import { findTorch, runTwin, torchSystemNames, torchThreads, twinExamples, writeTwinData, type Torch, type TorchSystemName } from "./torch.js";
import type { WorkerBudget, WorkerResult, WorkerTask } from "./worker.js";

type Racer = SystemName | TorchSystemName;
const isTorch = (system: Racer): system is TorchSystemName => (torchSystemNames as readonly string[]).includes(system);

/** A worker's answer, or a PyTorch twin's (with the torch version and threads it ran). */
type RaceResult = Omit<WorkerResult, "system"> & { system: Racer; torch?: string; threads?: number };

interface BenchCase {
  example: string;
  batches: number[];
  /** Systems that train; the others measure inference latency only. */
  trainers: Racer[];
  /** Every system measured (latency for all of them). */
  systems: Racer[];
}

const torch: Racer[] = [...torchSystemNames];
const allSystems: Racer[] = ["neuron", "neuron-all", "neuron-js", "tfjs-cpu", "tfjs-wasm", ...torch];
/** With Neuron compiled to do every multiply-add that bench/flops.ts counts (systems.ts). */
const withDenseNeuron: Racer[] = ["neuron", "neuron-all", "neuron-js", "neuron-dense", "tfjs-cpu", "tfjs-wasm", ...torch];

const allCases: BenchCase[] = [
  { example: "mnist_mlp", batches: [32, 128], trainers: withDenseNeuron, systems: withDenseNeuron },
  // tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so it cannot train a conv net.
  { example: "mnist_cnn", batches: [32], trainers: ["neuron", "neuron-all", "neuron-js", "tfjs-cpu", ...torch], systems: allSystems },
  { example: "reverse", batches: [32], trainers: allSystems, systems: allSystems },
  // The TensorFlow.js reference has no lif: Neuron against its PyTorch twin only.
  { example: "spiking_mnist", batches: [128], trainers: ["neuron", "neuron-all", "neuron-js", ...torch], systems: ["neuron", "neuron-all", "neuron-js", ...torch] },
];

const budgets: Record<"quick" | "full", WorkerBudget> = {
  quick: { epochSamples: 512, warmupSeconds: 1, measureSeconds: 1.5, minimumSteps: 1, latencyWarmupCalls: 20, latencySeconds: 0.3 },
  full: { epochSamples: 8000, warmupSeconds: 30, measureSeconds: 10, minimumSteps: 3, latencyWarmupCalls: 200, latencySeconds: 3 },
};

interface Options {
  quick: boolean;
  rounds: number;
  /** Example names to run (all when empty). */
  models: string[];
}

function parseOptions(argv: string[]): Options {
  const options: Options = { quick: false, rounds: 0, models: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--quick") options.quick = true;
    else if (arg === "--rounds") {
      options.rounds = Number(argv[++i]);
      if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new UsageError("--rounds needs a whole number of at least 1");
    } else if (arg === "--models") {
      options.models = (argv[++i] ?? "").split(",").filter((m) => m !== "");
      const unknown = options.models.filter((m) => !allCases.some((c) => c.example === m));
      if (options.models.length === 0 || unknown.length > 0) {
        throw new UsageError(`--models takes a comma-separated list of ${allCases.map((c) => c.example).join(", ")}${unknown.length > 0 ? ` (not '${unknown.join("', '")}')` : ""}`);
      }
    } else throw new UsageError(`unknown option '${arg}' (options: --quick, --rounds N, --models a,b)`);
  }
  if (options.rounds === 0) options.rounds = options.quick ? 2 : 3;
  return options;
}

class UsageError extends Error {}

function runWorker(task: WorkerTask): Promise<WorkerResult> {
  const workerFile = fileURLToPath(new URL("./worker.js", import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [workerFile, JSON.stringify(task)], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`${task.system} on ${path.basename(task.example)} exited with code ${code}`));
      else resolve(JSON.parse(stdout.trim().split("\n").pop()!) as WorkerResult);
    });
  });
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const format = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "—");
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : "—");

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const budget = options.quick ? budgets.quick : budgets.full;
  const examplesFolder = path.resolve("examples");
  const results: RaceResult[] = [];
  const failures: string[] = [];
  const found = findTorch();
  const python = "missing" in found ? null : found;
  if ("missing" in found) process.stderr.write(`bench: ${found.missing}: skipping the PyTorch twins\n`);
  const cases = allCases
    .filter((c) => options.models.length === 0 || options.models.includes(c.example))
    .map((c) => {
      const keep = (s: Racer) => !isTorch(s) || (python !== null && twinExamples.has(c.example));
      return { ...c, trainers: c.trainers.filter(keep), systems: c.systems.filter(keep) };
    });
  const twinData = mkdtempSync(path.join(os.tmpdir(), "neuron-bench-twins-"));
  try {
    await race(cases, options, budget, python?.python ?? null, twinData, results, failures);
  } finally {
    rmSync(twinData, { recursive: true, force: true });
  }

  process.stderr.write("measuring the plain-JavaScript matmul ceiling\n");
  const ceiling = measureMatmulCeiling(options.quick ? 192 : 384, options.quick ? 1 : 3);

  const summary = summarise(cases, results, examplesFolder);
  const report = renderReport(summary, ceiling, options, failures, python);
  process.stdout.write(report);

  const file = path.resolve("bench", "results.json");
  const temporary = `${file}.${process.pid}.tmp`;
  const machine = {
    node: process.version,
    torch: python?.version ?? null,
    torchBlas: python?.blas ?? null,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
  };
  writeFileSync(temporary, JSON.stringify({ date: new Date().toISOString(), machine, options, budget, ceilingGflops: ceiling, summary, failures, runs: results }, null, 2) + "\n");
  renameSync(temporary, file);
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

async function race(
  cases: BenchCase[],
  options: Options,
  budget: WorkerBudget,
  python: string | null,
  twinData: string,
  results: RaceResult[],
  failures: string[],
): Promise<void> {
  const examplesFolder = path.resolve("examples");
  for (let round = 0; round < options.rounds; round++) {
    for (const benchCase of cases) {
      const example = path.join(examplesFolder, `${benchCase.example}.nn`);
      if (!existsSync(example)) throw new UsageError(`${example} not found: run the benchmark from the repository root`);
      // Rotate the order every round, so that no system always runs first (or last) on a warm machine.
      const order = benchCase.systems.map((_, i) => benchCase.systems[(i + round) % benchCase.systems.length]!);
      for (const system of order) {
        process.stderr.write(`round ${round + 1}/${options.rounds}: ${benchCase.example} on ${system}\n`);
        const batches = benchCase.trainers.includes(system) ? benchCase.batches : [];
        try {
          results.push(
            isTorch(system)
              ? await raceTwin(benchCase.example, example, system, batches, budget, python!, path.join(twinData, benchCase.example))
              : await runWorker({ system, example, batches, budget, seed: 1 }),
          );
        } catch (e) {
          failures.push(e instanceof Error ? e.message : String(e));
        }
      }
    }
  }
}

/** One twin process; the samples are written once per example, for every round and thread count. */
async function raceTwin(
  name: string,
  example: string,
  system: TorchSystemName,
  batches: number[],
  budget: WorkerBudget,
  python: string,
  dataDir: string,
): Promise<RaceResult> {
  if (!existsSync(dataDir)) {
    writeTwinData(dataDir, checkText(readFileSync(example, "utf8"), example).models[0]!, budget.epochSamples, 1);
  }
  const result = await runTwin(python, { mode: "bench", model: name, dataDir, threads: torchThreads(system), batches, budget, seed: 1 });
  const { source } = JSON.parse(readFileSync(path.join(dataDir, "manifest.json"), "utf8")) as { source: BenchData["source"] };
  return {
    system,
    example,
    data: source,
    latencyMs: result.latencyMs,
    training: result.training,
    torch: result.torch,
    threads: result.threads,
  };
}

interface TrainingRow {
  example: string;
  data: string;
  batch: number;
  samplesPerSecond: Partial<Record<Racer, number>>;
  /** Dense-equivalent: the default module's samples/s times the dense count, zeros it skips included. */
  neuronGflops: number;
  /** Multiply-adds really done: neuron-dense's samples/s times the same count (NaN where not measured). */
  neuronDenseGflops: number;
}

interface LatencyRow {
  example: string;
  latencyMs: Partial<Record<Racer, number>>;
}

interface Summary {
  training: TrainingRow[];
  latency: LatencyRow[];
}

function summarise(cases: BenchCase[], results: RaceResult[], examplesFolder: string): Summary {
  const summary: Summary = { training: [], latency: [] };
  for (const benchCase of cases) {
    const file = path.join(examplesFolder, `${benchCase.example}.nn`);
    const mine = results.filter((r) => r.example === file);
    const graph = checkText(readFileSync(file, "utf8"), file).models[0];
    const flopsPerSample = graph ? 2 * trainingMultiplyAddsPerSample(graph) : NaN;
    const latencyMs: Partial<Record<Racer, number>> = {};
    for (const system of benchCase.systems) latencyMs[system] = median(mine.filter((r) => r.system === system).map((r) => r.latencyMs));
    summary.latency.push({ example: benchCase.example, latencyMs });
    for (const batch of benchCase.batches) {
      const samplesPerSecond: Partial<Record<Racer, number>> = {};
      for (const system of benchCase.trainers) {
        samplesPerSecond[system] = median(
          mine.filter((r) => r.system === system).flatMap((r) => r.training.filter((t) => t.batch === batch).map((t) => t.samplesPerSecond)),
        );
      }
      summary.training.push({
        example: benchCase.example,
        data: mine[0]?.data ?? "—",
        batch,
        samplesPerSecond,
        neuronGflops: ((samplesPerSecond.neuron ?? NaN) * flopsPerSample) / 1e9,
        neuronDenseGflops: ((samplesPerSecond["neuron-dense"] ?? NaN) * flopsPerSample) / 1e9,
      });
    }
  }
  return summary;
}

function renderReport(summary: Summary, ceiling: number, options: Options, failures: string[], torch: Torch | null): string {
  const lines: string[] = [];
  lines.push(`## Training throughput (samples/s, median of ${options.rounds} rounds${options.quick ? ", quick" : ""})`, "");
  const cores = allCores();
  lines.push(
    `| model | data | batch | Neuron 1 thread | Neuron ${cores} threads | Neuron ${cores}/1 | Neuron js | tfjs-cpu | tfjs-wasm | Neuron/tfjs-cpu | Neuron/tfjs-wasm | Neuron dense-equivalent GFLOP/s | of JS ceiling |`,
  );
  lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const row of summary.training) {
    const s = row.samplesPerSecond;
    const all = s["neuron-all"] ?? NaN;
    lines.push(
      `| ${row.example} | ${row.data} | ${row.batch} | ${format(s.neuron ?? NaN)} | ${format(all)} | ${ratio(all, s.neuron ?? NaN)} | ${format(s["neuron-js"] ?? NaN)} | ${format(s["tfjs-cpu"] ?? NaN)} | ${format(s["tfjs-wasm"] ?? NaN)} | ` +
        `${ratio(s.neuron ?? NaN, s["tfjs-cpu"] ?? NaN)} | ${ratio(s.neuron ?? NaN, s["tfjs-wasm"] ?? NaN)} | ` +
        `${format(row.neuronGflops, 2)} | ${format((100 * row.neuronGflops) / ceiling)}% |`,
    );
  }
  const denseRows = summary.training.filter((row) => row.samplesPerSecond["neuron-dense"] !== undefined);
  if (denseRows.length > 0) {
    lines.push("", "## Multiply-adds really done: Neuron with zero-skipping off (neuron-dense)", "");
    lines.push("| model | data | batch | neuron-dense samples/s | GFLOP/s | of JS ceiling | Neuron/neuron-dense |");
    lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for (const row of denseRows) {
      const s = row.samplesPerSecond;
      lines.push(
        `| ${row.example} | ${row.data} | ${row.batch} | ${format(s["neuron-dense"] ?? NaN)} | ${format(row.neuronDenseGflops, 2)} | ` +
          `${format((100 * row.neuronDenseGflops) / ceiling)}% | ${ratio(s.neuron ?? NaN, s["neuron-dense"] ?? NaN)} |`,
      );
    }
  }
  const torchRows = summary.training.filter((row) => torchSystemNames.some((t) => row.samplesPerSecond[t] !== undefined));
  if (torchRows.length > 0) {
    lines.push("", `## Against PyTorch's CPU twins: training throughput (samples/s; tfjs on one thread)`, "");
    lines.push(
      `| model | data | batch | Neuron 1 thread | Neuron ${cores} threads | PyTorch 1 thread | PyTorch ${cores} threads | tfjs-cpu | tfjs-wasm | Neuron/PyTorch 1 | Neuron/PyTorch ${cores} |`,
    );
    lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const row of torchRows) {
      const s = row.samplesPerSecond;
      const [one, all] = [s["pytorch-1"] ?? NaN, s["pytorch-all"] ?? NaN];
      const neuronAll = s["neuron-all"] ?? NaN;
      // Same thread count on both sides: Neuron on 1 against PyTorch on 1, all cores against all cores.
      lines.push(
        `| ${row.example} | ${row.data} | ${row.batch} | ${format(s.neuron ?? NaN)} | ${format(neuronAll)} | ${format(one)} | ${format(all)} | ${format(s["tfjs-cpu"] ?? NaN)} | ` +
          `${format(s["tfjs-wasm"] ?? NaN)} | ${ratio(s.neuron ?? NaN, one)} | ${ratio(neuronAll, all)} |`,
      );
    }
  }
  lines.push("", `## Single-sample inference latency (ms, median)`, "");
  lines.push(
    `| model | Neuron 1 thread | Neuron ${cores} threads | Neuron js | tfjs-cpu | tfjs-wasm | PyTorch 1 thread | PyTorch ${cores} threads | tfjs-cpu/Neuron | tfjs-wasm/Neuron | PyTorch 1/Neuron | PyTorch ${cores}/Neuron |`,
  );
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const row of summary.latency) {
    const l = row.latencyMs;
    const neuron = l.neuron ?? NaN;
    const cells = (["tfjs-cpu", "tfjs-wasm", "pytorch-1", "pytorch-all"] as const).map((system) => l[system] ?? NaN);
    lines.push(`| ${row.example} | ${format(neuron, 3)} | ${format(l["neuron-all"] ?? NaN, 3)} | ${format(l["neuron-js"] ?? NaN, 3)} | ${cells.map((c) => format(c, 3)).join(" | ")} | ${cells.map((c) => ratio(c, neuron)).join(" | ")} |`);
  }
  lines.push(
    "",
    `Plain-JS ceiling (float32 4x4 register-blocked matmul, one core): ${ceiling.toFixed(2)} GFLOP/s. ` +
      "Both GFLOP/s columns count the multiply-adds of dense, conv2d and attention in the training step (forward, weight and needed input gradients) " +
      "as a dense implementation does them. Neuron is the module `nnc train` runs (the WebAssembly SIMD kernels where this engine has SIMD, " +
      "docs/wasm-backend.md), on one thread and on every core (worker_threads; ratios against tfjs and latencies use the one thread); Neuron js is the same model on the JavaScript kernels, which skip the terms that are exact zeros (mostly-zero inputs, " +
      "gradients behind a relu; see docs/performance.md); neuron-dense is the JavaScript kernels with zero-skipping off " +
      "(EmitOptions.skipZeros: false), which do every counted multiply-add, so its figure is arithmetic really done.",
    "tfjs-wasm cannot train mnist_cnn (no Conv2DBackpropFilter kernel); the tfjs reference has no lif (spiking_mnist). " +
      "PyTorch rows are twins in bench/pytorch/twins.py (same layers, batch, optimizer and loss). Ratios above 1 mean Neuron is faster.",
    torch === null ? "PyTorch: not found, not raced." : `PyTorch ${torch.version} (${torch.python}), dense products on ${torch.blas}.`,
  );
  // Netlib's reference BLAS (Debian's default libblas.so.3) makes torch's nn.Linear about 10x
  // slower than the OpenBLAS or MKL a pip install brings: a race against it flatters Neuron.
  if (torch !== null && /\/blas\/libblas\.so/.test(torch.blas)) {
    lines.push("Warning: PyTorch ran on the reference BLAS; `apt-get install libopenblas0-pthread` gives it the speed its users get.");
  }
  if (failures.length > 0) lines.push("", "Failed runs:", ...failures.map((f) => `- ${f}`));
  return lines.join("\n") + "\n";
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
