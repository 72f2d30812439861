// Running a PyTorch twin (a script under test/reference/pytorch/) through Debian's
// /usr/bin/python3 with torch 1.13, and the error measure the twins are held to.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import type { Batch, CompiledModel, DType } from "../../../runtime/model.js";
import { randomBatch } from "../../compiler/backend/gradcheck.js";

const PYTHON = "/usr/bin/python3";

export interface TwinResult {
  y: number[];
  loss: number;
  grads: Record<string, number[]>;
  after: number[];
}

/** All cases in one process: importing torch takes seconds. A missing torch is a failure that says how to install it. */
export function runTwin(script: string, cases: readonly unknown[]): TwinResult[] {
  const r = spawnSync(PYTHON, [join(import.meta.dirname, script)], { input: JSON.stringify(cases), encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error || /No module named 'torch'/.test(r.stderr))
    throw new Error(`the PyTorch twin needs ${PYTHON} with torch 1.13: apt-get install python3-torch (${r.error?.message ?? r.stderr.trim()})`);
  if (r.status !== 0) throw new Error(`the PyTorch twin ${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as TwinResult[];
}

/** max |a - b| / max |b|: the error relative to the tensor's scale (0 when both are all zeros). */
export function relativeError(got: ArrayLike<number>, want: readonly number[]): number {
  if (got.length !== want.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** A parameter's name without its layer path: the twins key gradients by PyTorch's local names. */
function local(name: string): string {
  return name.slice(name.lastIndexOf(".") + 1);
}

/** The worst relative error over the output `y`, the loss, the gradients and the output after a step, and where. */
export function worstError(model: CompiledModel, data: Batch, twin: TwinResult, y = model.predict(data.inputs, data.size)["y"]!): [string, number] {
  const errors: [string, number][] = [["output", relativeError(y, twin.y)]];
  const loss = model.forwardBackward(data);
  errors.push(["loss", Math.abs(loss - twin.loss) / Math.abs(twin.loss)]);
  for (const [name, g] of model.getGradients!()) errors.push([`d ${local(name)}`, relativeError(g, twin.grads[local(name)]!)]);
  model.trainStep(data);
  errors.push(["output after a step", relativeError(model.predict(data.inputs, data.size)["y"]!, twin.after)]);
  return errors.reduce((a, b) => (b[1] > a[1] ? b : a));
}

/**
 * The one model of `text` (which must check without diagnostics) compiled in `dtype` and created
 * from `seed`, a random batch for it from `dataSeed`, and its initial weights and their shapes
 * under PyTorch's local names, as the twins load them.
 */
export async function twinModel(text: string, dtype: DType, seed: number, batch: number, dataSeed: number) {
  const checked = checkText(text);
  expect(checked.diagnostics).toEqual([]);
  const graph = checked.models[0]!;
  const { module } = await loadModelFromGraph(graph, { dtype });
  const model = module.create({ seed, maxBatch: batch });
  const parameters = {
    weights: Object.fromEntries([...model.getWeights()].map(([name, w]) => [local(name), Array.from(w)])),
    shapes: Object.fromEntries(module.info.params.map((p) => [local(p.name), p.shape])),
  };
  return { model, random: randomBatch(graph, batch, dataSeed), parameters };
}
