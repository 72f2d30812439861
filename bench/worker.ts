// One benchmark process: one system, one example model. Measures single-sample inference
// latency, then training throughput at each batch size after a warm-up epoch, and prints
// one JSON line (WorkerResult) on stdout. Run by run.ts, one process per system and round,
// so that no system shares a heap or a JIT with another.
import type { ModelGraph } from "../compiler/graph.js";
import { benchBatches, type BenchData } from "./data.js";
import { loadGraph } from "./graph.js";
import { createSystem, type SystemName } from "./systems.js";

export interface WorkerBudget {
  /** Samples in the synthetic training set: one epoch. */
  epochSamples: number;
  /** The warm-up epoch stops early after this long. */
  warmupSeconds: number;
  measureSeconds: number;
  /** Measured steps even when they outlast measureSeconds (tfjs-cpu takes seconds per conv step). */
  minimumSteps: number;
  latencyWarmupCalls: number;
  latencySeconds: number;
}

export interface WorkerTask {
  system: SystemName;
  /** Path of the `.nn` file; its first model is benchmarked. */
  example: string;
  /** Batch sizes to train at; empty for latency only. */
  batches: number[];
  budget: WorkerBudget;
  seed: number;
}

export interface TrainingMeasurement {
  batch: number;
  samplesPerSecond: number;
  steps: number;
  seconds: number;
  lastLoss: number;
}

export interface WorkerResult {
  system: SystemName;
  example: string;
  /** Where the training data came from (see data.ts). */
  data: BenchData["source"];
  /** Median milliseconds of one single-sample prediction. */
  latencyMs: number;
  training: TrainingMeasurement[];
}


async function measureLatency(task: WorkerTask, graph: ModelGraph): Promise<number> {
  const system = await createSystem(task.system, graph, 1, task.seed);
  const [sample] = benchBatches(graph, 1, 1, task.seed + 1).batches;
  for (let i = 0; i < task.budget.latencyWarmupCalls; i++) system.predictOne(sample!.inputs);
  const times: number[] = [];
  const end = performance.now() + task.budget.latencySeconds * 1000;
  while (performance.now() < end || times.length < 10) {
    const start = performance.now();
    system.predictOne(sample!.inputs);
    times.push(performance.now() - start);
  }
  system.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function measureTraining(task: WorkerTask, graph: ModelGraph, batchSize: number): Promise<TrainingMeasurement> {
  const system = await createSystem(task.system, graph, batchSize, task.seed);
  const { batches } = benchBatches(graph, batchSize, task.budget.epochSamples, task.seed + 2);
  const warmupEnd = performance.now() + task.budget.warmupSeconds * 1000;
  for (const batch of batches) {
    system.trainStep(batch);
    if (performance.now() > warmupEnd) break;
  }
  let steps = 0;
  let lastLoss = NaN;
  const start = performance.now();
  const end = start + task.budget.measureSeconds * 1000;
  while (performance.now() < end || steps < task.budget.minimumSteps) {
    lastLoss = system.trainStep(batches[steps % batches.length]!);
    steps++;
  }
  const seconds = (performance.now() - start) / 1000;
  system.dispose();
  if (!Number.isFinite(lastLoss)) throw new Error(`${task.system} reached a non-finite loss at batch ${batchSize}`);
  return { batch: batchSize, samplesPerSecond: (steps * batchSize) / seconds, steps, seconds, lastLoss };
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? "") as WorkerTask;
  const graph = loadGraph(task.example);
  const data = benchBatches(graph, 1, 1, task.seed).source;
  const result: WorkerResult = { system: task.system, example: task.example, data, latencyMs: await measureLatency(task, graph), training: [] };
  for (const batch of task.batches) result.training.push(await measureTraining(task, graph, batch));
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((e: unknown) => {
  process.stderr.write(`benchmark worker failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
