// The PyTorch CPU twins in the race (bench/pytorch/twins.py): finding a python3 with torch,
// writing the benchmark's samples where the twin reads them, and running one twin process,
// which answers with one JSON line like bench/worker.ts does. PyTorch is optional: without it
// the benchmark says so once and races the others.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ModelGraph } from "../compiler/graph.js";
import type { FloatArray } from "../runtime/model.js";
import { benchBatches } from "./data.js";
import type { TrainingMeasurement, WorkerBudget } from "./worker.js";

/** PyTorch on one thread, and on every core the machine reports. */
export const torchSystemNames = ["pytorch-1", "pytorch-all"] as const;
export type TorchSystemName = (typeof torchSystemNames)[number];

export const torchThreads = (system: TorchSystemName): number => (system === "pytorch-1" ? 1 : os.cpus().length);

/** The examples with a twin in bench/pytorch/twins.py. */
export const twinExamples = new Set(["mnist_mlp", "mnist_cnn", "reverse", "spiking_mnist"]);

const twinScript = () => path.resolve("bench", "pytorch", "bench_twin.py");

export interface Torch {
  python: string;
  version: string;
  /**
   * The BLAS library torch's dense products ran on (from the process's memory map). Debian's
   * python3-torch takes whatever libblas.so.3 points to: the reference BLAS unless an
   * optimised one (libopenblas0, libblis4) is installed, which makes its nn.Linear several
   * times slower; convolutions go through oneDNN either way.
   */
  blas: string;
}

const probe = [
  "import os, torch",
  "torch.ones(64, 64) @ torch.ones(64, 64)",
  "print(torch.__version__)",
  "print(sorted({os.path.realpath(l.split()[-1]) for l in open('/proc/self/maps') if 'blas' in l.split()[-1]} or {'unknown'})[0])",
].join("\n");

/**
 * Debian's python3-torch lives under /usr/bin/python3; the python3 first on PATH may be
 * another one without it. `NEURON_BENCH_PYTHON` picks one explicitly.
 */
export function findTorch(): Torch | { missing: string } {
  const candidates = process.env.NEURON_BENCH_PYTHON ? [process.env.NEURON_BENCH_PYTHON] : ["/usr/bin/python3", "python3"];
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", probe], { encoding: "utf8" });
    const [version, blas] = r.stdout?.trim().split("\n") ?? [];
    if (r.status === 0 && version !== undefined) return { python, version, blas: blas ?? "unknown" };
  }
  return { missing: `no python3 with PyTorch (tried ${candidates.join(", ")}; on Debian: apt-get install python3-torch)` };
}

type Column = FloatArray | Int32Array;

function columnDtype(values: Column): string {
  if (values instanceof Int32Array) return "int32";
  return values instanceof Float64Array ? "float64" : "float32";
}

/**
 * Writes `part` (train or latency): each column of the batches, in order, to one raw file. The
 * twin cuts the training samples into full batches the way bench/data.ts does, so both see
 * the same batches.
 */
function writePart(directory: string, part: string, columns: Map<string, Column[]>): Record<string, string> {
  const dtypes: Record<string, string> = {};
  for (const [name, chunks] of columns) {
    const bytes = Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
    writeFileSync(path.join(directory, `${part}.${name}.bin`), bytes);
    dtypes[name] = columnDtype(chunks[0]!);
  }
  return dtypes;
}

function columnsOf(batches: { inputs: Record<string, Column>; targets: Record<string, Column> }[]): Map<string, Column[]> {
  const columns = new Map<string, Column[]>();
  for (const batch of batches) {
    for (const [name, values] of Object.entries({ ...batch.inputs, ...batch.targets })) columns.set(name, [...(columns.get(name) ?? []), values]);
  }
  return columns;
}

/**
 * The samples the Node systems train and predict on (worker.ts draws them with the same seeds),
 * and optionally initial weights in checkpoint layout (stored as float64), for the twin in
 * `directory` (created if need be).
 */
export function writeTwinData(directory: string, graph: ModelGraph, sampleCount: number, seed: number, weights?: Map<string, FloatArray>): void {
  mkdirSync(directory, { recursive: true });
  const { source, batches: train } = benchBatches(graph, 1, sampleCount, seed + 2);
  const latency = benchBatches(graph, 1, 1, seed + 1).batches;
  const dtypes = writePart(directory, "train", columnsOf(train));
  writePart(directory, "latency", columnsOf(latency));
  const columns = Object.fromEntries(
    [...graph.inputs, ...graph.targets].map((t) => [t.name, { dtype: dtypes[t.name], shape: t.type.shape }]),
  );
  const manifest: Record<string, unknown> = { source, train: train.length, latency: 1, columns };
  if (weights !== undefined) {
    const shapes = new Map(graph.params.map((p) => [p.name, p.shape]));
    for (const [name, values] of weights) writeFileSync(path.join(directory, `weight.${name}.bin`), Buffer.from(Float64Array.from(values).buffer));
    manifest.weights = Object.fromEntries([...weights.keys()].map((name) => [name, shapes.get(name)]));
  }
  writeFileSync(path.join(directory, "manifest.json"), JSON.stringify(manifest));
}

export interface TwinBenchTask {
  mode: "bench";
  model: string;
  dataDir: string;
  threads: number;
  batches: number[];
  budget: WorkerBudget;
  seed: number;
}

export interface TwinCheckTask {
  mode: "check";
  /** Each twin with the folder writeTwinData filled (with weights): one batch of all its samples. */
  checks: { model: string; dataDir: string }[];
  dtype: "float32" | "float64";
  seed: number;
}

export interface TwinBenchResult {
  latencyMs: number;
  training: TrainingMeasurement[];
  torch: string;
  threads: number;
}

export interface TwinCheck {
  /** Inference-mode loss of the batch with Neuron's weights. */
  evalLoss: number;
  /** The loss one training step reports (dropout makes it the twin's own). */
  trainLoss: number;
  /** Inference-mode loss after that step. */
  evalLossAfter: number;
}

export interface TwinCheckResult {
  checks: TwinCheck[];
  torch: string;
  threads: number;
}

export function runTwin(python: string, task: TwinBenchTask): Promise<TwinBenchResult>;
export function runTwin(python: string, task: TwinCheckTask): Promise<TwinCheckResult>;
export function runTwin(python: string, task: TwinBenchTask | TwinCheckTask): Promise<TwinBenchResult | TwinCheckResult> {
  const script = twinScript();
  if (!existsSync(script)) return Promise.reject(new Error(`${script} not found: run the benchmark from the repository root`));
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, JSON.stringify(task)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const last = stderr.trim().split("\n").at(-1) ?? "";
      if (code !== 0) reject(new Error(`PyTorch twin ${task.mode === "bench" ? task.model : task.checks.map((c) => c.model).join(", ")} exited with code ${code}: ${last}`));
      else resolve(JSON.parse(stdout.trim().split("\n").pop()!) as TwinBenchResult | TwinCheckResult);
    });
  });
}
