// The optimizer, schedule and gradient clipping of the exported module against Neuron's:
// five steps from the same weights on the same batch, with make_optimizer's optimizer and
// LambdaLR, CLIP_NORM and the module's loss, end at Neuron's weights to 1e-5.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import { exportPytorch } from "../../compiler/export/pytorch.js";
import { loadModelFromGraph } from "../../compiler/load.js";
import { encodeSafetensors } from "../../runtime/safetensors.js";
import { python, tempDir } from "./python.js";

const STEPS = 5;
const OPTIMIZERS = [
  "sgd(lr: 0.1)",
  "sgd(lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01)",
  "sgd(lr: 0.5, clip_norm: 0.05)",
  "adam(lr: 0.01, weight_decay: 0.1, schedule: step(every: 2, gamma: 0.5))",
  "adamw(lr: 0.01, schedule: cosine(warmup: 2))",
  "rmsprop(lr: 0.01, momentum: 0.5, weight_decay: 0.01)",
];

const SCRIPT = `
import importlib.util, json, os, sys, torch
out = []
for folder in json.loads(sys.argv[1]):
    loader = importlib.util.spec_from_file_location("m" + str(len(out)), os.path.join(folder, "model.py"))
    spec = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(spec)
    os.chdir(folder)
    m = spec.Model()
    m.load_state_dict(spec.load_weights("weights.safetensors"))
    data = spec.load_tensors("batch.safetensors")
    optimizer, schedule = spec.make_optimizer(m, ${STEPS})
    for _ in range(${STEPS}):
        optimizer.zero_grad()
        spec.loss(m(data["x"]), {"y": data["y"]}).backward()
        if spec.CLIP_NORM > 0:
            torch.nn.utils.clip_grad_norm_(m.parameters(), spec.CLIP_NORM)
        optimizer.step()
        schedule.step()
    out.append({k: v.flatten().tolist() for k, v in m.state_dict().items()})
print(json.dumps(out))
`;

describe("exported optimizers follow Neuron's updates", () => {
  const worst: number[] = [];
  beforeAll(async () => {
    const dirs: string[] = [];
    const finals: Map<string, Float32Array | Float64Array>[] = [];
    for (const opt of OPTIMIZERS) {
      const text = `model Opt {\n  input x: [3]\n  target y: [2]\n  output p = x |> dense(4) |> tanh |> dense(2)\n  loss mse(p, y)\n  optimizer ${opt}\n}\n`;
      const graph = checkText(text).models[0]!;
      const dir = tempDir();
      writeFileSync(join(dir, "model.py"), exportPytorch(graph, "opt.nn").model);
      const { module } = await loadModelFromGraph(graph, { dtype: "float32" });
      const model = module.create({ seed: 1, maxBatch: 4 });
      model.optimizer!.totalSteps = STEPS;
      const weights = model.getWeights();
      writeFileSync(join(dir, "weights.safetensors"), encodeSafetensors(module.info.params.map((p) => ({ name: p.name, dtype: "F32", shape: p.shape, data: Float32Array.from(weights.get(p.name)!) }))));
      const x = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
      const y = Float32Array.from({ length: 8 }, (_, i) => Math.cos(2 * i));
      writeFileSync(join(dir, "batch.safetensors"), encodeSafetensors([
        { name: "x", dtype: "F32", shape: [4, 3], data: x },
        { name: "y", dtype: "F32", shape: [4, 2], data: y },
      ]));
      for (let s = 0; s < STEPS; s++) model.trainStep({ size: 4, inputs: { x }, targets: { y } });
      finals.push(model.getWeights());
      dirs.push(dir);
    }
    const torch = JSON.parse(python(SCRIPT, dirs[0]!, [JSON.stringify(dirs)])) as Record<string, number[]>[];
    torch.forEach((state, i) => {
      let w = 0;
      for (const [name, values] of finals[i]!) {
        const t = state[name]!;
        for (let k = 0; k < values.length; k++) w = Math.max(w, Math.abs(values[k]! - t[k]!));
      }
      worst.push(w);
    });
  }, 120_000);
  OPTIMIZERS.forEach((opt, i) => {
    it(opt, () => {
      console.log(`optimizer ${opt}: ${worst[i]!.toExponential(2)}`);
      expect(worst[i]).toBeLessThan(1e-5);
    });
  });
});
