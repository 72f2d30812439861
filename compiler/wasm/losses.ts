// softmax_cross_entropy's WebAssembly kernel for a training step (the JavaScript kernels and
// the formulas: compiler/ir/ops/losses.ts): one pass per row of logits that finds the row's
// max and argmax, writes exp(logit - max) into the gradient row (`f32x4Exp`), sums it, and
// scales it into softmax minus one-hot over the batch's labels, so the loss, its accuracy
// and its gradient read the logits once instead of three times.
// Rows are independent, so the kernel splits by samples across threads. The batch's totals
// are not summed here: a chunk would sum only its rows. Each row leaves its max, its sum of
// exps, its label's logit and its correct flag in a per-sample scratch, and the calling
// thread sums the rows in sample order in float64 (lossRowsSum), as the JavaScript loss
// does, so the loss is bit-identical for any number of threads.

import { f32x4Exp, mapLanes } from "./elementwise.js";
import type { ModuleBuilder } from "./module.js";

const F32 = 4;

/** What a row leaves in the scratch: max, sum of exp(logit - max), the label's logit, correct (1 or 0). */
export const LOSS_ROW_FLOATS = 4;

export interface SoftmaxCrossEntropyShape {
  /** Classes (the last axis). */
  k: number;
  /** Rows of logits (labels) per sample. */
  rows: number;
}

/**
 * `name(n, batch, x0, x1, s0, gx0)`: the logits x0, the int32 labels x1, the rows' scratch s0
 * and the gradient gx0 (assigned) of the first n samples; `batch` is the whole call's batch
 * size (the mean's divisor), which a chunk of the call cannot know from its own n.
 */
export function softmaxCrossEntropyKernel(m: ModuleBuilder, name: string, shape: SoftmaxCrossEntropyShape): string[] {
  const params = ["n", "batch", "x0", "x1", "s0", "gx0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { k, rows } = shape;
  const i32 = (local: string) => f.local(local, "i32");
  const f32 = (local: string) => f.local(local, "f32");
  const [r, count, j, label, best, classes, logits, grads, at] = [i32("r"), i32("count"), i32("j"), i32("label"), i32("best"), i32("classes"), i32("logits"), i32("grads"), i32("at")];
  const [max, bestValue, p, sum, scale] = [f32("max"), f32("best_value"), f32("p"), f32("sum"), f32("scale")];
  const spread = f.local("spread", "v128");
  // 1 / (batch x rows) in float64, as the JavaScript gradient's scale, then rounded once.
  f.f64Const(1).get(f.ref("batch")).i32Const(rows).op("i32.mul").op("f64.convert_i32_s").op("f64.div").op("f32.demote_f64").set(scale);
  f.i32Const(k).set(classes);
  f.get(f.ref("n")).i32Const(rows).op("i32.mul").set(count);
  f.get(f.ref("x0")).set(logits);
  f.get(f.ref("gx0")).set(grads);
  f.forLoop(r, () => f.i32Const(0), () => f.get(count), 1, "rows", () => {
    // max as the JavaScript `if (p > max)` from -Infinity, the argmax as its accuracy's
    // `if (p > prediction[best])` from 0: with a NaN they part, as the JavaScript's do.
    f.f32Const(Number.NEGATIVE_INFINITY).set(max);
    f.get(logits).load("f32").set(bestValue);
    f.i32Const(0).set(best);
    f.get(logits).set(at);
    f.forLoop(j, () => f.i32Const(0), () => f.i32Const(k), 1, "max", () => {
      f.get(at).load("f32").set(p);
      f.get(p).get(max).get(p).get(max).op("f32.gt").select().set(max);
      f.get(p).get(bestValue).op("f32.gt").if(() => {
        f.get(p).set(bestValue);
        f.get(j).set(best);
      });
      f.get(at).i32Const(F32).op("i32.add").set(at);
    });
    f.get(f.ref("x1")).get(r).i32Const(F32).op("i32.mul").op("i32.add").load("i32").set(label);
    f.get(max).op("f32x4.splat").set(spread);
    mapLanes(f, "exp", classes, [logits], grads, () => {
      f.get(spread).op("f32x4.sub");
      f32x4Exp(f, "exp");
    });
    f.f32Const(0).set(sum);
    f.get(grads).set(at);
    f.forLoop(j, () => f.i32Const(0), () => f.i32Const(k), 1, "sum", () => {
      f.get(sum).get(at).load("f32").op("f32.add").set(sum);
      f.get(at).i32Const(F32).op("i32.add").set(at);
    });
    f.get(scale).get(sum).op("f32.div").op("f32x4.splat").set(spread);
    mapLanes(f, "softmax", classes, [grads], grads, () => {
      f.get(spread).op("f32x4.mul");
    });
    // minus the one-hot label, scaled
    f.get(grads).get(label).i32Const(F32).op("i32.mul").op("i32.add").tee(at);
    f.get(at).load("f32").get(scale).op("f32.sub").store("f32");
    // the row's part of the loss and of the accuracy, summed on the calling thread
    f.get(f.ref("s0")).get(r).i32Const(LOSS_ROW_FLOATS * F32).op("i32.mul").op("i32.add").set(at);
    f.get(at).get(max).store("f32", 0);
    f.get(at).get(sum).store("f32", F32);
    f.get(at).get(logits).get(label).i32Const(F32).op("i32.mul").op("i32.add").load("f32").store("f32", 2 * F32);
    f.get(at).get(best).get(label).op("i32.eq").op("f32.convert_i32_s").store("f32", 3 * F32);
    f.get(logits).i32Const(k * F32).op("i32.add").set(logits);
    f.get(grads).i32Const(k * F32).op("i32.add").set(grads);
  });
  return params;
}

/**
 * The batch's mean loss and correct count from the rows' scratch, in row order in float64:
 * `max + log(sum) - logit[label]` per row, as the JavaScript loss sums it. As source text
 * (the emitted module's function `name`, `typed` for TypeScript) and as a function (tests).
 */
export function lossRowsSumSource(name: string, rows: number, typed: boolean): string {
  const t = (text: string) => (typed ? text : "");
  return [
    "/** softmax_cross_entropy's mean loss and correct count from the rows its WebAssembly kernel leaves (compiler/wasm/losses.ts), summed in row order. */",
    `function ${name}(n${t(": number")}, s${t(": Float32Array")}, metrics${t(": BatchMetrics")})${t(": void")} {`,
    "  let total = 0;",
    "  let correct = 0;",
    `  for (let r = 0; r < n * ${rows}; r++) {`,
    `    const at = r * ${LOSS_ROW_FLOATS};`,
    `    total += s[at]${t("!")} + Math.log(s[at + 1]${t("!")}) - s[at + 2]${t("!")};`,
    `    correct += s[at + 3]${t("!")};`,
    "  }",
    `  metrics.loss = total / (n * ${rows});`,
    "  metrics.correct = correct;",
    "}",
  ].join("\n");
}
