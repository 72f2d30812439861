// nnc export --format onnx: onnx.checker (full check, with shape inference) passes and the
// graph, run by a numpy evaluator written from the ONNX operator specifications
// (onnx_eval.py), gives Neuron's outputs on the same weights, to 1e-5: on every example,
// every_op.nn and a model per library entry.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadModelFromGraph } from "../../compiler/load.js";
import { exportOnnx } from "../../compiler/export/onnx.js";
import { randomBatch } from "../compiler/backend/gradcheck.js";
import { exportCases } from "./cases.js";
import { PYTHON, requirePythonInterop, tempDir } from "./python.js";
import { spawnSync } from "node:child_process";

const TOLERANCE = 1e-5;
const EVALUATOR = fileURLToPath(new URL("onnx_eval.py", import.meta.url));



describe("nnc export --format onnx", () => {
  const cases = exportCases();
  const errors: number[] = [];
  beforeAll(async () => {
    requirePythonInterop();
    const dir = tempDir();
    const jobs: string[][] = [];
    const expected: Record<string, Float32Array>[] = [];
    for (const [i, [, graph]] of cases.entries()) {
      const { module } = await loadModelFromGraph(graph, { dtype: "float32" });
      const model = module.create({ seed: 4, maxBatch: 3 });
      // Non-trivial running statistics, so that inference-mode batch_norm is checked.
      const weights = model.getWeights();
      for (const [name, w] of weights) if (name.endsWith("running_mean") || name.endsWith("running_var")) w.forEach((_, k) => (w[k] = 0.5 + 0.1 * k));
      model.setWeights(weights);
      const batch = randomBatch(graph, 3, 9);
      const inputs: Record<string, Float32Array | Int32Array> = {};
      for (const [name, d] of Object.entries(batch.inputs)) inputs[name] = d instanceof Int32Array ? d : Float32Array.from(d);
      expected.push(model.predict(inputs, 3) as Record<string, Float32Array>);
      const paths = ["model.onnx", "inputs.json", "outputs.json"].map((f) => join(dir, `${i}-${f}`));
      writeFileSync(paths[0]!, exportOnnx(graph, weights, "test.nn", "test"));
      writeFileSync(paths[1]!, JSON.stringify(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, [...v]]))));
      jobs.push(paths);
    }
    writeFileSync(join(dir, "jobs.json"), JSON.stringify(jobs));
    const r = spawnSync(PYTHON, [EVALUATOR, join(dir, "jobs.json")], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`onnx_eval.py failed:\n${r.stderr}`);
    jobs.forEach((paths, i) => {
      const got = JSON.parse(readFileSync(paths[2]!, "utf8")) as Record<string, number[]>;
      let worst = 0;
      for (const [name, want] of Object.entries(expected[i]!)) {
        const g = got[name]!;
        if (g.length !== want.length) worst = Infinity;
        const scale = Math.max(1, ...want.map(Math.abs));
        for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(g[k]! - want[k]!) / scale);
      }
      errors.push(worst);
    });
  }, 300_000);
  cases.forEach(([label], i) => {
    it(`${label}: checker passes, outputs equal Neuron's`, () => {
      console.log(`onnx ${label}: ${errors[i]!.toExponential(2)}`);
      expect(errors[i]).toBeLessThan(TOLERANCE);
    });
  });
});
