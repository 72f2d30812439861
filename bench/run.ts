// `npm run bench [-- --quick] [-- --rounds N]`: Neuron against TensorFlow.js (CPU and WASM
// backends) on the example models, and on mnist_mlp Neuron with zero-skipping off as well,
// for the arithmetic rate of multiply-adds really done. Each system runs in its own process per round, the
// systems alternating (A B C, B C A, ...); the table shows medians over rounds, and the raw
// measurements go to bench/results.json. Run it on an otherwise idle machine.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkText } from "../compiler/check/index.js";
import { trainingMultiplyAddsPerSample } from "./flops.js";
import { measureMatmulCeiling } from "./matmul-ceiling.js";
import type { SystemName } from "./systems.js";
import type { WorkerBudget, WorkerResult, WorkerTask } from "./worker.js";

interface BenchCase {
  example: string;
  batches: number[];
  /** Systems that train; the others measure inference latency only. */
  trainers: SystemName[];
  /** Every system measured (latency for all of them). */
  systems: SystemName[];
}

const allSystems: SystemName[] = ["neuron", "tfjs-cpu", "tfjs-wasm"];
/** With Neuron compiled to do every multiply-add that bench/flops.ts counts (systems.ts). */
const withDenseNeuron: SystemName[] = ["neuron", "neuron-dense", "tfjs-cpu", "tfjs-wasm"];

const cases: BenchCase[] = [
  { example: "mnist_mlp", batches: [32, 128], trainers: withDenseNeuron, systems: withDenseNeuron },
  // tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so it cannot train a conv net.
  { example: "mnist_cnn", batches: [32], trainers: ["neuron", "tfjs-cpu"], systems: allSystems },
  { example: "reverse", batches: [32], trainers: allSystems, systems: allSystems },
];

const budgets: Record<"quick" | "full", WorkerBudget> = {
  quick: { epochSamples: 512, warmupSeconds: 1, measureSeconds: 1.5, minimumSteps: 1, latencyWarmupCalls: 20, latencySeconds: 0.3 },
  full: { epochSamples: 8000, warmupSeconds: 30, measureSeconds: 10, minimumSteps: 3, latencyWarmupCalls: 200, latencySeconds: 3 },
};

interface Options {
  quick: boolean;
  rounds: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { quick: false, rounds: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--quick") options.quick = true;
    else if (arg === "--rounds") {
      options.rounds = Number(argv[++i]);
      if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new UsageError("--rounds needs a whole number of at least 1");
    } else throw new UsageError(`unknown option '${arg}' (options: --quick, --rounds N)`);
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
  const results: WorkerResult[] = [];
  const failures: string[] = [];

  for (let round = 0; round < options.rounds; round++) {
    for (const benchCase of cases) {
      const example = path.join(examplesFolder, `${benchCase.example}.nn`);
      if (!existsSync(example)) throw new UsageError(`${example} not found: run the benchmark from the repository root`);
      // Rotate the order every round, so that no system always runs first (or last) on a warm machine.
      const order = benchCase.systems.map((_, i) => benchCase.systems[(i + round) % benchCase.systems.length]!);
      for (const system of order) {
        const task: WorkerTask = {
          system,
          example,
          batches: benchCase.trainers.includes(system) ? benchCase.batches : [],
          budget,
          seed: 1,
        };
        process.stderr.write(`round ${round + 1}/${options.rounds}: ${benchCase.example} on ${system}\n`);
        try {
          results.push(await runWorker(task));
        } catch (e) {
          failures.push(e instanceof Error ? e.message : String(e));
        }
      }
    }
  }

  process.stderr.write("measuring the plain-JavaScript matmul ceiling\n");
  const ceiling = measureMatmulCeiling(options.quick ? 192 : 384, options.quick ? 1 : 3);

  const summary = summarise(results, examplesFolder);
  const report = renderReport(summary, ceiling, options, failures);
  process.stdout.write(report);

  const file = path.resolve("bench", "results.json");
  const temporary = `${file}.${process.pid}.tmp`;
  const machine = { node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, platform: `${os.platform()} ${os.arch()}` };
  writeFileSync(temporary, JSON.stringify({ date: new Date().toISOString(), machine, options, budget, ceilingGflops: ceiling, summary, failures, runs: results }, null, 2) + "\n");
  renameSync(temporary, file);
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

interface TrainingRow {
  example: string;
  data: string;
  batch: number;
  samplesPerSecond: Partial<Record<SystemName, number>>;
  /** Dense-equivalent: the default module's samples/s times the dense count, zeros it skips included. */
  neuronGflops: number;
  /** Multiply-adds really done: neuron-dense's samples/s times the same count (NaN where not measured). */
  neuronDenseGflops: number;
}

interface LatencyRow {
  example: string;
  latencyMs: Partial<Record<SystemName, number>>;
}

interface Summary {
  training: TrainingRow[];
  latency: LatencyRow[];
}

function summarise(results: WorkerResult[], examplesFolder: string): Summary {
  const summary: Summary = { training: [], latency: [] };
  for (const benchCase of cases) {
    const file = path.join(examplesFolder, `${benchCase.example}.nn`);
    const mine = results.filter((r) => r.example === file);
    const graph = checkText(readFileSync(file, "utf8"), file).models[0];
    const flopsPerSample = graph ? 2 * trainingMultiplyAddsPerSample(graph) : NaN;
    const latencyMs: Partial<Record<SystemName, number>> = {};
    for (const system of benchCase.systems) latencyMs[system] = median(mine.filter((r) => r.system === system).map((r) => r.latencyMs));
    summary.latency.push({ example: benchCase.example, latencyMs });
    for (const batch of benchCase.batches) {
      const samplesPerSecond: Partial<Record<SystemName, number>> = {};
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

function renderReport(summary: Summary, ceiling: number, options: Options, failures: string[]): string {
  const lines: string[] = [];
  lines.push(`## Training throughput (samples/s, median of ${options.rounds} rounds${options.quick ? ", quick" : ""})`, "");
  lines.push("| model | data | batch | Neuron | tfjs-cpu | tfjs-wasm | Neuron/tfjs-cpu | Neuron/tfjs-wasm | Neuron dense-equivalent GFLOP/s | of JS ceiling |");
  lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const row of summary.training) {
    const s = row.samplesPerSecond;
    lines.push(
      `| ${row.example} | ${row.data} | ${row.batch} | ${format(s.neuron ?? NaN)} | ${format(s["tfjs-cpu"] ?? NaN)} | ${format(s["tfjs-wasm"] ?? NaN)} | ` +
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
  lines.push("", `## Single-sample inference latency (ms, median)`, "");
  lines.push("| model | Neuron | tfjs-cpu | tfjs-wasm | tfjs-cpu/Neuron | tfjs-wasm/Neuron |");
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const row of summary.latency) {
    const l = row.latencyMs;
    lines.push(
      `| ${row.example} | ${format(l.neuron ?? NaN, 3)} | ${format(l["tfjs-cpu"] ?? NaN, 3)} | ${format(l["tfjs-wasm"] ?? NaN, 3)} | ` +
        `${ratio(l["tfjs-cpu"] ?? NaN, l.neuron ?? NaN)} | ${ratio(l["tfjs-wasm"] ?? NaN, l.neuron ?? NaN)} |`,
    );
  }
  lines.push(
    "",
    `Plain-JS ceiling (float32 4x4 register-blocked matmul, one core): ${ceiling.toFixed(2)} GFLOP/s. ` +
      "Both GFLOP/s columns count the multiply-adds of dense, conv2d and attention in the training step (forward, weight and needed input gradients) " +
      "as a dense implementation does them. Neuron by default skips the terms that are exact zeros (mostly-zero inputs, gradients behind a relu; " +
      "see docs/performance.md), so its figure is dense-equivalent and counts skipped zeros as done; neuron-dense is the same model compiled " +
      "with zero-skipping off (EmitOptions.skipZeros: false), which does every counted multiply-add, so its figure is arithmetic really done.",
    "tfjs-wasm cannot train mnist_cnn (no Conv2DBackpropFilter kernel). Ratios above 1 mean Neuron is faster.",
  );
  if (failures.length > 0) lines.push("", "Failed runs:", ...failures.map((f) => `- ${f}`));
  return lines.join("\n") + "\n";
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
