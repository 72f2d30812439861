// nnc export --format onnx, run by onnxruntime (onnxruntime-node, CPU): every exported model
// loads into an InferenceSession and gives Neuron's predict outputs on the same weights and
// inputs, to 1e-5 relative to max(1, |v|), at batch sizes 1 and 3 through the one symbolic
// batch dimension: on every example, every_op.nn, sequence_ops.nn and a model per library entry (the
// cases of onnx.test.ts). The serving snippet of docs/interop.md is run as written.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { exportOnnx } from "../../compiler/export/onnx.js";
import { loadModelFromGraph } from "../../compiler/load.js";
import { randomBatch } from "../compiler/backend/gradcheck.js";
import { exportCases, models } from "./cases.js";
import { examplesDir, random } from "../support/fixtures.js";
import { tempDir } from "./python.js";

const TOLERANCE = 1e-5;
const BATCHES = [1, 3];



/** Neuron's int inputs are int32; the exported graph declares int64, as PyTorch's indices are. */
function tensor(data: Float32Array | Int32Array, shape: readonly number[], batch: number): ort.Tensor {
  const dims = [batch, ...shape];
  return data instanceof Int32Array ? new ort.Tensor("int64", BigInt64Array.from(data, (v) => BigInt(v)), dims) : new ort.Tensor("float32", data, dims);
}

describe("nnc export --format onnx, run by onnxruntime", () => {
  const cases = exportCases();
  const errors: (number | string)[][] = [];
  beforeAll(async () => {
    for (const [, graph] of cases) {
      const { module } = await loadModelFromGraph(graph, { dtype: "float32" });
      const model = module.create({ seed: 4, maxBatch: Math.max(...BATCHES) });
      // Non-trivial running statistics, so that inference-mode batch_norm is checked.
      const weights = model.getWeights();
      for (const [name, w] of weights) if (name.endsWith("running_mean") || name.endsWith("running_var")) w.forEach((_, k) => (w[k] = 0.5 + 0.1 * k));
      model.setWeights(weights);
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(exportOnnx(graph, weights, "test.nn", "test"), { intraOpNumThreads: 1, interOpNumThreads: 1 });
      } catch (error) {
        errors.push(BATCHES.map(() => `onnxruntime refused the model: ${(error as Error).message}`));
        continue;
      }
      const perBatch: (number | string)[] = [];
      for (const batch of BATCHES) {
        const random = randomBatch(graph, batch, 9 + batch);
        const inputs: Record<string, Float32Array | Int32Array> = {};
        for (const [name, d] of Object.entries(random.inputs)) inputs[name] = d instanceof Int32Array ? d : Float32Array.from(d);
        const want = model.predict(inputs, batch) as Record<string, Float32Array>;
        const feeds: Record<string, ort.Tensor> = {};
        for (const i of graph.inputs) feeds[i.name] = tensor(inputs[i.name]!, i.type.shape, batch);
        try {
          const got = await session.run(feeds);
          let worst = 0;
          for (const o of graph.outputs) {
            const g = got[o.name]!;
            const w = want[o.name]!;
            expect(g.dims).toEqual([batch, ...o.type.shape]);
            expect(g.data.length).toBe(w.length);
            const data = g.data as Float32Array;
            for (let k = 0; k < w.length; k++) worst = Math.max(worst, Math.abs(data[k]! - w[k]!) / Math.max(1, Math.abs(w[k]!)));
          }
          perBatch.push(worst);
        } catch (error) {
          perBatch.push(`onnxruntime failed to run it: ${(error as Error).message}`);
        }
      }
      errors.push(perBatch);
      await session.release();
    }
  }, 120_000);
  cases.forEach(([label], i) => {
    it(`${label}: outputs equal Neuron's at batch sizes ${BATCHES.join(" and ")}`, () => {
      console.log(`onnxruntime ${label}: ${errors[i]!.map((e) => (typeof e === "number" ? e.toExponential(2) : e)).join(", ")}`);
      for (const e of errors[i]!) {
        expect(typeof e === "number" ? e : Infinity, String(e)).toBeLessThan(TOLERANCE);
      }
    });
  });
});

describe("rate_encode exported to ONNX, run by onnxruntime", () => {
  it("fires at the input's probability (its spikes are onnxruntime's own draws)", async () => {
    const [graph] = models("model Rates {\n  input x: [5]\n  output s = x |> rate_encode(steps: 2000)\n}\n");
    const session = await ort.InferenceSession.create(exportOnnx(graph!, new Map(), "test.nn", "test"));
    const p = [0, 0.1, 0.5, 0.8, 1];
    const s = (await session.run({ x: new ort.Tensor("float32", Float32Array.from(p), [1, 5]) }))["s"]!.data as Float32Array;
    for (const [f, q] of p.entries()) {
      let fired = 0;
      for (let t = 0; t < 2000; t++) fired += s[t * 5 + f]!;
      // 4.5 standard errors of 2000 draws; exact at 0 and 1.
      expect(Math.abs(fired / 2000 - q), `p = ${q}`).toBeLessThanOrEqual(4.5 * Math.sqrt((q * (1 - q)) / 2000));
    }
    await session.release();
  });
});

describe("docs/interop.md: serving with onnxruntime", () => {
  it("the snippet runs as written on the exported mnist_cnn and prints Neuron's logits", async () => {
    const doc = readFileSync(new URL("../../docs/interop.md", import.meta.url), "utf8");
    const snippet = /Serving with onnxruntime[^\n]*\n\n```js\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(snippet, "docs/interop.md has a js block after 'Serving with onnxruntime'").toBeDefined();
    const [graph] = models(readFileSync(join(examplesDir, "mnist_cnn.nn"), "utf8"));
    const { module } = await loadModelFromGraph(graph!, { dtype: "float32" });
    const model = module.create({ seed: 1, maxBatch: 2 });
    // Random biases too: the snippet feeds zeros, which fresh zero biases would map to zeros.
    // A variance stays positive.
    const next = random(5);
    const weights = model.getWeights();
    for (const [name, w] of weights) w.forEach((_, k) => (w[k] = name.endsWith("running_var") ? 0.5 + next() : next() - 0.5));
    model.setWeights(weights);
    const want = model.predict({ image: new Float32Array(2 * 28 * 28) }, 2) as Record<string, Float32Array>;
    expect(Math.max(...want.logits!.map(Math.abs))).toBeGreaterThan(0.1);

    // The snippet in a directory of its own, where `import "onnxruntime-node"` resolves to ours.
    const dir = tempDir();
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(realpathSync(new URL("../../node_modules/onnxruntime-node", import.meta.url)), join(dir, "node_modules", "onnxruntime-node"));
    writeFileSync(join(dir, "model.onnx"), exportOnnx(graph!, weights, "mnist_cnn.nn", "test"));
    writeFileSync(join(dir, "snippet.mjs"), `${snippet}\nconsole.log(JSON.stringify({ dims: logits.dims, data: Array.from(logits.data) }));\n`);
    const r = spawnSync(process.execPath, ["snippet.mjs"], { cwd: dir, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { dims: number[]; data: number[] };
    expect(got.dims).toEqual([2, 10]);
    // JSON writes NaN as null.
    expect(got.data.every((v) => typeof v === "number")).toBe(true);
    const worst = Math.max(...got.data.map((v, k) => Math.abs(v - want.logits![k]!) / Math.max(1, Math.abs(want.logits![k]!))));
    expect(worst).toBeLessThan(TOLERANCE);
  });
});
