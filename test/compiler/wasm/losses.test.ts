// softmax_cross_entropy's WebAssembly kernel (compiler/wasm/losses.ts) and the sum of its rows
// against a float64 reference and against the JavaScript loss, accuracy and gradient
// (compiler/ir/ops/losses.ts): batches of 1, odd and the maximum, class counts below and above
// the vector width with remainders, large logits, ties, and a chunk of the batch run on its own
// (as a thread runs it) giving the same rows as the whole call.

import { describe, expect, it } from "vitest";
import type { IrValue } from "../../../compiler/ir/ir.js";
import { losses } from "../../../compiler/ir/ops/losses.js";
import { LOSS_ROW_FLOATS, lossRowsSumSource, softmaxCrossEntropyKernel } from "../../../compiler/wasm/losses.js";
import { ModuleBuilder } from "../../../compiler/wasm/module.js";
import type { BatchMetrics } from "../../../runtime/model.js";
import { layout, load, sequence } from "./harness.js";

type Sum = (n: number, s: Float32Array, metrics: BatchMetrics) => void;

/** The emitted JavaScript summing the rows, as a function. */
function rowsSum(rows: number): Sum {
  return new Function(`${lossRowsSumSource("sum", rows, false)}\nreturn sum;`)() as Sum;
}

/** The JavaScript back end's loss kernels, from the same generators the emitter calls. */
function jsLoss(k: number, rows: number) {
  const value = (shape: number[], size: number) => ({ shape, size, batched: true }) as unknown as IrValue;
  const ctx = { prediction: value(rows === 1 ? [k] : [rows, k], rows * k), target: value(rows === 1 ? [] : [rows], rows) };
  const def = losses["softmax_cross_entropy"]!;
  type Kernel<R> = (n: number, prediction: Float32Array, target: Int32Array, gprediction?: Float32Array) => R;
  return {
    value: new Function("n", "prediction", "target", def.value(ctx)) as Kernel<number>,
    correct: new Function("n", "prediction", "target", def.accuracy!.body(ctx)) as Kernel<number>,
    gradient: new Function("n", "prediction", "target", "gprediction", def.gradient(ctx, { accumulate: false })) as Kernel<void>,
  };
}

/** Mean loss, correct count and gradient in float64 from the float32 logits. */
function reference(logits: Float32Array, labels: Int32Array, k: number) {
  const count = labels.length;
  let total = 0;
  let correct = 0;
  const grad = new Float64Array(logits.length);
  for (let r = 0; r < count; r++) {
    const row = Array.from(logits.subarray(r * k, (r + 1) * k));
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    total += max + Math.log(sum) - row[labels[r]!]!;
    if (row.indexOf(max) === labels[r]) correct++;
    row.forEach((v, j) => (grad[r * k + j] = (Math.exp(v - max) / sum - (j === labels[r] ? 1 : 0)) / count));
  }
  return { loss: total / count, correct, grad };
}

async function kernel(k: number, rows: number, maxBatch: number) {
  const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
  softmaxCrossEntropyKernel(m, "sce", { k, rows });
  const plan = layout({ x: maxBatch * rows * k, t: maxBatch * rows, s: maxBatch * rows * LOSS_ROW_FLOATS, g: maxBatch * rows * k });
  const { kernels, memory } = await load(m, ["sce"], plan.bytes);
  return { run: kernels["sce"]!, buffers: plan.place(memory), memory };
}

function inputs(n: number, k: number, rows: number, spread: number, seed: number) {
  const logits = Float32Array.from(sequence(n * rows * k, seed), (v) => v * spread);
  const labels = Int32Array.from(sequence(n * rows, seed + 1), (v) => Math.min(k - 1, Math.floor(((v + 1) / 2) * k)));
  return { logits, labels };
}

describe("softmax_cross_entropy's WebAssembly kernel", () => {
  const maxBatch = 33;
  for (const k of [3, 10, 17]) {
    for (const rows of [1, 3]) {
      for (const n of [1, 7, maxBatch]) {
        for (const spread of [4, 80]) {
          it(`k ${k}, ${rows} row(s) a sample, batch ${n}, logits within ±${spread}: the reference's loss, correct count and gradient, and the JavaScript's`, async () => {
            const { run, buffers, memory } = await kernel(k, rows, maxBatch);
            const { logits, labels } = inputs(n, k, rows, spread, 11 * k + n + spread);
            buffers.view("x").set(logits);
            new Int32Array(memory.buffer, buffers.address("t"), n * rows).set(labels);
            run(n, n, buffers.address("x"), buffers.address("t"), buffers.address("s"), buffers.address("g"));
            expect(buffers.outsideUntouched()).toBe(true);
            const metrics = { loss: 0, correct: 0, count: 0 };
            rowsSum(rows)(n, buffers.view("s"), metrics);
            const want = reference(logits, labels, k);
            expect(Number.isFinite(metrics.loss)).toBe(true);
            expect(Math.abs(metrics.loss - want.loss)).toBeLessThanOrEqual(1e-6 * Math.max(1, want.loss));
            expect(metrics.correct).toBe(want.correct);
            const grad = buffers.view("g").subarray(0, n * rows * k);
            // Within a few float32 units of the gradient's scale (1 / the labels).
            const scale = 1 / (n * rows);
            grad.forEach((g, i) => expect(Math.abs(g - want.grad[i]!), `gradient ${i}`).toBeLessThanOrEqual(4e-7 * scale));

            const js = jsLoss(k, rows);
            const jsGrad = new Float32Array(n * rows * k);
            js.gradient(n, logits, labels, jsGrad);
            expect(Math.abs(metrics.loss - js.value(n, logits, labels))).toBeLessThanOrEqual(1e-6 * Math.max(1, want.loss));
            expect(metrics.correct).toBe(js.correct(n, logits, labels));
            jsGrad.forEach((g, i) => expect(Math.abs(grad[i]! - g), `gradient ${i}`).toBeLessThanOrEqual(4e-7 * scale));
          });
        }
      }
    }
  }

  it("counts a tie as the JavaScript accuracy does (the first of the equal logits), and a row's flag only for its own label", async () => {
    const k = 5;
    const { run, buffers, memory } = await kernel(k, 1, 4);
    const logits = Float32Array.from([1, 3, 3, 0, 2, 7, 7, 7, 7, 7, -80, 80, -80, 80, 0, 0, 0, 0, 0, 0]);
    const labels = Int32Array.from([2, 0, 1, 4]);
    buffers.view("x").set(logits);
    new Int32Array(memory.buffer, buffers.address("t"), 4).set(labels);
    run(4, 4, buffers.address("x"), buffers.address("t"), buffers.address("s"), buffers.address("g"));
    const flags = Array.from({ length: 4 }, (_, r) => buffers.view("s")[r * LOSS_ROW_FLOATS + 3]);
    const js = jsLoss(k, 1);
    expect(flags).toEqual([0, 1, 1, 0]);
    expect(flags.reduce((a, b) => a! + b!, 0)).toBe(js.correct(4, logits, labels));
  });

  it("gives a chunk of the batch (a thread's share, with the whole batch's size) the rows the whole call gives it", async () => {
    const [k, rows, n] = [10, 2, 9];
    const { run, buffers, memory } = await kernel(k, rows, n);
    const { logits, labels } = inputs(n, k, rows, 6, 5);
    buffers.view("x").set(logits);
    new Int32Array(memory.buffer, buffers.address("t"), n * rows).set(labels);
    const at = (name: string, sample: number, perSample: number) => buffers.address(name) + sample * perSample * 4;
    run(n, n, buffers.address("x"), buffers.address("t"), buffers.address("s"), buffers.address("g"));
    const whole = { s: buffers.view("s").slice(), g: buffers.view("g").slice() };
    buffers.view("s").fill(0);
    buffers.view("g").fill(0);
    // Samples 0-3, then 4-8, each with the batch size 9.
    for (const [from, count] of [[0, 4], [4, 5]] as const) {
      run(count, n, at("x", from, rows * k), at("t", from, rows), at("s", from, rows * LOSS_ROW_FLOATS), at("g", from, rows * k));
    }
    expect(buffers.view("s")).toEqual(whole.s);
    expect(buffers.view("g")).toEqual(whole.g);
  });
});
