// Runs a model in Neuron and its exported PyTorch module on the same weights and batch, and
// returns the largest differences of the outputs (inference) and of the loss and the
// parameter gradients (training), relative to the larger of 1 and the tensor's magnitude.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelGraph } from "../../compiler/graph.js";
import { loadModelFromGraph } from "../../compiler/load.js";
import { exportPytorch } from "../../compiler/export/pytorch.js";
import type { Batch, CompiledModel, FloatArray } from "../../runtime/model.js";
import { encodeSafetensors, type SafeTensor } from "../../runtime/safetensors.js";
import { randomBatch } from "../compiler/backend/gradcheck.js";
import { python, tempDir } from "./python.js";

export interface Comparison {
  outputs: number;
  loss: number;
  gradients: number;
  where: string;
}

/** Dropout is random on both sides; p = 0 makes training deterministic for the comparison. */
export function withoutDropout(graph: ModelGraph): ModelGraph {
  return { ...graph, nodes: graph.nodes.map((n) => (n.op === "dropout" ? { ...n, args: { ...n.args, p: 0 } } : n)) };
}

function tensor(name: string, data: FloatArray | Int32Array, shape: number[]): SafeTensor {
  if (data instanceof Int32Array) return { name, dtype: "I32", shape, data };
  return { name, dtype: "F32", shape, data: Float32Array.from(data) };
}

const SCRIPT = `
import importlib.util, json, os, sys, torch

def run(folder, train):
    torch.manual_seed(0)
    loader = importlib.util.spec_from_file_location("model_" + str(abs(hash(folder))), os.path.join(folder, "model.py"))
    spec = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(spec)
    os.chdir(folder)
    return compare(spec, train)

def compare(spec, train):
    m = spec.Model()
    m.load_state_dict(spec.load_weights("weights.safetensors"))
    data = spec.load_tensors("batch.safetensors")
    inputs = [data["input." + k] for k in spec.INPUTS]
    targets = {k: data["target." + k] for k in spec.TARGETS}
    m.eval()
    with torch.no_grad():
        out = m(*inputs)
    result = {"outputs": {k: out[k].flatten().tolist() for k in spec.OUTPUTS}}
    if train:
        m.train()
        loss = spec.loss(m(*inputs), targets)
        loss.backward()
        result["loss"] = float(loss)
        result["grads"] = {k: (p.grad.flatten().tolist() if p.grad is not None else [0.0] * p.numel()) for k, p in m.named_parameters()}
    return result

jobs = json.loads(sys.argv[1])
print(json.dumps([run(folder, train) for folder, train in jobs]))
`;

function worst(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let scale = 1;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i]! - want[i]!) / scale);
  return w;
}

interface Prepared {
  dir: string;
  graph: ModelGraph;
  model: CompiledModel;
  batch: Batch;
}

/** Neuron's parameter gradients, with conv2d kernels from the back end's [out, kh, kw, in] to the checkpoint's [out, in, kh, kw]. */
function checkpointGradient(shape: readonly number[], grad: FloatArray): FloatArray {
  if (shape.length !== 4) return grad;
  const [o, i, kh, kw] = shape as [number, number, number, number];
  const out = new Float32Array(grad.length);
  for (let a = 0; a < o; a++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++) for (let c = 0; c < i; c++) out[((a * i + c) * kh + y) * kw + x] = grad[((a * kh + y) * kw + x) * i + c]!;
  return out;
}

async function prepare(graph0: ModelGraph, size: number, seed: number): Promise<Prepared> {
  const graph = withoutDropout(graph0);
  const dir = tempDir();
  writeFileSync(join(dir, "model.py"), exportPytorch(graph, "test.nn").model);
  const { module } = await loadModelFromGraph(graph, { dtype: "float32" });
  const model = module.create({ seed: 3, maxBatch: size });
  const batch64 = randomBatch(graph, size, seed);
  const batch: Batch = { size, inputs: {}, targets: {} };
  const tensors: SafeTensor[] = [];
  for (const i of graph.inputs) {
    const d = batch64.inputs[i.name]!;
    batch.inputs[i.name] = d instanceof Int32Array ? d : Float32Array.from(d);
    tensors.push(tensor(`input.${i.name}`, d, [size, ...i.type.shape]));
  }
  for (const t of graph.targets) {
    const d = batch64.targets[t.name]!;
    batch.targets[t.name] = d instanceof Int32Array ? d : Float32Array.from(d);
    tensors.push(tensor(`target.${t.name}`, d, [size, ...t.type.shape]));
  }
  const weights = model.getWeights();
  writeFileSync(join(dir, "weights.safetensors"), encodeSafetensors(module.info.params.map((p) => tensor(p.name, weights.get(p.name)!, p.shape))));
  writeFileSync(join(dir, "batch.safetensors"), encodeSafetensors(tensors));
  return { dir, graph, model, batch };
}

interface TorchResult {
  outputs: Record<string, number[]>;
  loss?: number;
  grads?: Record<string, number[]>;
}

function judge({ graph, model, batch }: Prepared, torch: TorchResult): Comparison {
  const result: Comparison = { outputs: 0, loss: 0, gradients: 0, where: "" };
  const outputs = model.predict(batch.inputs, batch.size);
  for (const o of graph.outputs) {
    const w = worst(outputs[o.name]!, torch.outputs[o.name]!);
    if (w > result.outputs) [result.outputs, result.where] = [w, `output ${o.name}`];
  }
  if (torch.loss !== undefined) {
    const loss = model.forwardBackward(batch);
    result.loss = Math.abs(loss - torch.loss) / Math.max(1, Math.abs(torch.loss));
    const shapes = new Map(model.info.params.map((p) => [p.name, p.shape]));
    for (const p of model.parameters()) {
      const w = worst(checkpointGradient(shapes.get(p.name)!, p.grad), torch.grads![p.name]!);
      if (w > result.gradients) [result.gradients, result.where] = [w, `gradient ${p.name}`];
    }
  }
  return result;
}

/** Compares every graph, with one python process for all of them (importing torch takes seconds). */
export async function compareWithPytorch(graphs: readonly ModelGraph[], size = 3, seed = 5): Promise<Comparison[]> {
  const prepared: Prepared[] = [];
  for (const g of graphs) prepared.push(await prepare(g, size, seed));
  const jobs = prepared.map((p) => [p.dir, p.graph.losses.length > 0]);
  const results = JSON.parse(python(SCRIPT, prepared[0]!.dir, [JSON.stringify(jobs)])) as TorchResult[];
  return prepared.map((p, i) => judge(p, results[i]!));
}
