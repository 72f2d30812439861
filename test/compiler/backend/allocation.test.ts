// A training step allocates nothing: no typed array is constructed, sliced or viewed while
// trainStep runs. The counting constructors are installed before the module is loaded, so
// the module's `const F = Float32Array` captures the counting one.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import { GraphBuilder } from "./graphs.js";
import { randomBatch } from "./gradcheck.js";

const names = ["Float32Array", "Float64Array", "Int32Array", "Uint32Array", "Uint8Array"] as const;
const typedArrayPrototype = Object.getPrototypeOf(Float32Array.prototype) as Record<string, unknown>;
const methods = ["subarray", "slice", "map", "filter"] as const;
let created = 0;
const originals = new Map<string, unknown>();

beforeAll(() => {
  for (const name of names) {
    const original = globalThis[name];
    originals.set(name, original);
    (globalThis as Record<string, unknown>)[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        created++;
        return Reflect.construct(target, args, newTarget) as object;
      },
    });
  }
  for (const m of methods) {
    const original = typedArrayPrototype[m] as (...args: unknown[]) => unknown;
    originals.set(`#${m}`, original);
    typedArrayPrototype[m] = function (this: unknown, ...args: unknown[]) {
      created++;
      return original.apply(this, args);
    };
  }
});

afterAll(() => {
  for (const name of names) (globalThis as Record<string, unknown>)[name] = originals.get(name);
  for (const m of methods) typedArrayPrototype[m] = originals.get(`#${m}`);
});

describe("trainStep", () => {
  // On the wasm back end too: inputs are copied into the one memory, kernels addressed by the views' byteOffset.
  for (const backend of ["js", "wasm"] as const) {
    it(`allocates no typed arrays after the first step (conv, batch_norm, dropout, attention, adam; --backend ${backend})`, async () => {
      const g = new GraphBuilder("AllocationCounted");
      const image = g.input("image", [6, 6, 2]);
      const conv = g.unary("f", "relu", g.norm("f", "batch_norm", g.conv2d("f", image, 4, 3, { padding: "same" })));
      const pooled = g.pool("f", "max_pool2d", conv, 2);
      const seq = g.layer("f", "reshape", [pooled], { shape: [9, 4] }, [9, 4]);
      const attended = g.attention("a", g.norm("a", "layer_norm", seq), 0, 0, 2, true, true);
      const flat = g.layer("h", "flatten", [g.layer("r", "add", [seq, attended], {}, [9, 4])], {}, [36]);
      const hidden = g.unary("h", "dropout", g.unary("h", "gelu", g.dense("h", flat, 8)), { p: 0.5 });
      const logits = g.dense("logits", hidden, 3);
      g.output("logits", logits);
      g.loss("softmax_cross_entropy", logits, g.target("y", [], 3));
      const graph = g.build({
        name: "adam",
        args: { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, clip_norm: 1 },
        schedule: { name: "constant", args: {} },
      });
      const { module } = await loadModelFromGraph(graph, { backend });
      const model = module.create({ maxBatch: 5 });
      expect(Reflect.get(model, "kw") != null).toBe(backend === "wasm");
      const batch = randomBatch(graph, 5);
      const floats = (a: Float64Array | Float32Array | Int32Array) => (a instanceof Float64Array ? Float32Array.from(a) : a);
      for (const name of Object.keys(batch.inputs)) batch.inputs[name] = floats(batch.inputs[name]!);
      for (const name of Object.keys(batch.targets)) batch.targets[name] = floats(batch.targets[name]!);
      model.trainStep(batch);
      // A short batch is views of the first 3 samples (made before counting: a view is a typed array too).
      const firstThree = (record: Record<string, Float32Array | Float64Array | Int32Array>) =>
        Object.fromEntries(Object.entries(record).map(([name, a]) => [name, a.subarray(0, (a.length / 5) * 3)]));
      const partial = { size: 3, inputs: firstThree(batch.inputs), targets: firstThree(batch.targets) };
      created = 0;
      for (let i = 0; i < 5; i++) {
        model.trainStep(batch);
        model.trainStep(partial);
      }
      expect(created).toBe(0);
      // The counters do see allocations: getWeights copies every tensor.
      model.getWeights();
      expect(created).toBeGreaterThan(0);
    });
  }

  it("allocates no typed arrays for lstm and gru, whose states of every step are planned buffers", async () => {
    const graph = checkText(
      [
        "model Recurrent {",
        "  input x: [7, 3]",
        "  target t: [2]",
        "  output y = x |> lstm(4, return_sequences: true) |> gru(2)",
        "  loss mse(y, t)",
        "  optimizer adam(lr: 0.01)",
        "}",
      ].join("\n"),
    ).models[0]!;
    const { module } = await loadModelFromGraph(graph);
    const model = module.create({ maxBatch: 4 });
    const data = randomBatch(graph, 4);
    const batch = { size: 4, inputs: { x: Float32Array.from(data.inputs["x"]!) }, targets: { t: Float32Array.from(data.targets["t"]!) } };
    model.trainStep(batch);
    created = 0;
    for (let i = 0; i < 5; i++) model.trainStep(batch);
    expect(created).toBe(0);
  });
});
