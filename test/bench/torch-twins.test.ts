// The PyTorch twins `npm run bench` races (bench/pytorch/twins.py) compute the same model as
// Neuron's module: with Neuron's initial weights, in float64, the same loss on the same batch,
// and where no dropout draws its own mask, the same training step. Also the bench plumbing
// (data written by Node, one JSON line back) on a few steps, by count, never by time. Skipped,
// with the reason, where no python3 has PyTorch.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { benchBatches } from "../../bench/data.js";
import { findTorch, runTwin, writeTwinData } from "../../bench/torch.js";
import { checkText } from "../../compiler/check/index.js";
import type { ModelGraph } from "../../compiler/graph.js";
import { loadModelFromGraph } from "../../compiler/load.js";
import { initTensor } from "../../runtime/init.js";
import type { Batch, FloatArray } from "../../runtime/model.js";
import { Rng, RngStream } from "../../runtime/rng.js";

const torch = findTorch();
const SEED = 1;
const SAMPLES = 16;
/** Models without dropout, whose training step is deterministic and so comparable. */
const withoutDropout = new Set(["reverse", "spiking_mnist"]);
const examples = ["mnist_mlp", "mnist_cnn", "reverse", "spiking_mnist"];

function graphOf(example: string): ModelGraph {
  const file = join("examples", `${example}.nn`);
  return checkText(readFileSync(file, "utf8"), file).models[0]!;
}

const float64Batch = (batch: Batch): Batch => {
  const widen = (columns: Batch["inputs"]) =>
    Object.fromEntries(Object.entries(columns).map(([name, v]) => [name, v instanceof Int32Array ? v : Float64Array.from(v)]));
  return { size: batch.size, inputs: widen(batch.inputs), targets: widen(batch.targets) };
};

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe.skipIf("missing" in torch)(`PyTorch twins of the benchmark models${"missing" in torch ? ` (skipped: ${torch.missing})` : ""}`, () => {
  const python = "missing" in torch ? "" : torch.python;
  let folder = "";
  beforeAll(() => void (folder = mkdtempSync(join(tmpdir(), "neuron-twins-"))));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("computes Neuron's loss and training step from Neuron's weights (float64)", async () => {
    const weights = new Map<string, Map<string, FloatArray>>();
    for (const example of examples) {
      const graph = graphOf(example);
      const rng = new Rng(SEED).fork(RngStream.init);
      weights.set(example, new Map(graph.params.map((p) => [p.name, initTensor(p.init, p.shape, rng, "float64")])));
      writeTwinData(join(folder, example), graph, SAMPLES, SEED, weights.get(example));
    }
    // The twins start (importing torch takes seconds) while Neuron compiles its modules.
    const twins = runTwin(python, { mode: "check", dtype: "float64", seed: SEED, checks: examples.map((model) => ({ model, dataDir: join(folder, model) })) });
    const neuron: { example: string; evalLoss: number; trainLoss: number; evalLossAfter: number }[] = [];
    for (const example of examples) {
      const graph = graphOf(example);
      const { module } = await loadModelFromGraph(graph, { dtype: "float64" });
      const model = module.create({ seed: SEED, maxBatch: SAMPLES, weights: weights.get(example)! });
      const batch = float64Batch(benchBatches(graph, SAMPLES, SAMPLES, SEED + 2).batches[0]!);
      const evalLoss = model.evaluate(batch).loss;
      const trainLoss = model.trainStep(batch);
      neuron.push({ example, evalLoss, trainLoss, evalLossAfter: model.evaluate(batch).loss });
    }
    const { checks } = await twins;
    for (const [i, mine] of neuron.entries()) {
      const twin = checks[i]!;
      expect(relative(twin.evalLoss, mine.evalLoss), `${mine.example}: eval loss ${twin.evalLoss} vs Neuron ${mine.evalLoss}`).toBeLessThan(1e-9);
      if (!withoutDropout.has(mine.example)) continue;
      expect(relative(twin.trainLoss, mine.trainLoss), `${mine.example}: step loss`).toBeLessThan(1e-9);
      expect(relative(twin.evalLossAfter, mine.evalLossAfter), `${mine.example}: loss after one step`).toBeLessThan(1e-9);
    }
  }, 60_000);

  it("runs a twin's benchmark on the benchmark's data and answers in one JSON line", async () => {
    const dataDir = join(folder, "bench-mnist_mlp");
    writeTwinData(dataDir, graphOf("mnist_mlp"), 32, SEED);
    const budget = { epochSamples: 32, warmupSeconds: 0, measureSeconds: 0, minimumSteps: 3, latencyWarmupCalls: 1, latencySeconds: 0 };
    const result = await runTwin(python, { mode: "bench", model: "mnist_mlp", dataDir, threads: 1, batches: [8, 16], budget, seed: SEED });
    expect(result.threads).toBe(1);
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(result.training.map((t) => [t.batch, t.steps])).toEqual([
      [8, 3],
      [16, 3],
    ]);
    for (const t of result.training) expect(Number.isFinite(t.lastLoss) && t.samplesPerSecond > 0).toBe(true);
  }, 60_000);
});
