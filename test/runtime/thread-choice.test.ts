// Choosing the threads by timing the first training steps (runtime/thread-choice.ts): the
// chooser alone on made-up timings, then train() with a real two-thread wasm model, which must
// end with the bytes of a run on the threads it was created with.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import { loadModelFromGraph } from "../../compiler/load.js";
import { useNodeThreads } from "../../runtime/node/threads.js";
import { hasThreadChoice, ThreadChooser } from "../../runtime/thread-choice.js";
import { train } from "../../runtime/train.js";
import { sequence } from "../compiler/wasm/harness.js";

/** A model of `most` threads whose steps take `msOn(threads)` per sample; records every useThreads. */
function fakeModel(most: number) {
  const calls: number[] = [];
  let now = most;
  return {
    threads: most,
    calls,
    get current() {
      return now;
    },
    useThreads(threads: number) {
      calls.push(threads);
      now = Math.max(1, Math.min(most, threads));
      return now;
    },
  };
}

/** Runs steps until the chooser decides (at most 200), each `msOn(threads)` per sample at 10 samples. */
function drive(chooser: ThreadChooser, model: ReturnType<typeof fakeModel>, msOn: (threads: number) => number) {
  for (let step = 0; step < 200; step++) {
    chooser.beforeStep();
    const choice = chooser.afterStep(10 * msOn(model.current), 10);
    if (choice !== null) return { choice, step };
  }
  return null;
}

describe("choosing the threads from the first steps", () => {
  const quick = { warmupSteps: 3, warmupMs: 0, blockSteps: 2, rounds: 3 };

  it("keeps every thread where they are faster, and one where one is", () => {
    const fast = fakeModel(2);
    expect(drive(new ThreadChooser(fast, quick), fast, (t) => (t === 2 ? 0.55 : 1))?.choice).toEqual({ threads: 2, most: 2, speedup: 1 / 0.55 });
    expect(fast.current).toBe(2);
    const slow = fakeModel(4);
    expect(drive(new ThreadChooser(slow, quick), slow, (t) => (t === 4 ? 1.25 : 1))?.choice).toEqual({ threads: 1, most: 4, speedup: 0.8 });
    expect(slow.current).toBe(1);
    // A tie within 2% keeps them all.
    const tie = fakeModel(2);
    expect(drive(new ThreadChooser(tie, quick), tie, (t) => (t === 2 ? 1.01 : 1))?.choice.threads).toBe(2);
  });

  it("times nothing during the warm-up, then alternates blocks of all the threads and one, and decides once", () => {
    const model = fakeModel(2);
    const chooser = new ThreadChooser(model, quick);
    const decided = drive(chooser, model, () => 1);
    // 3 warm-up steps, then 3 rounds of two blocks of 2 steps: the 15th step decides.
    expect(decided?.step).toBe(3 + 3 * 2 * 2 - 1);
    expect(model.calls.slice(0, 12)).toEqual([2, 2, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1]);
    chooser.beforeStep();
    expect(chooser.afterStep(1, 1)).toBeNull();
  });

  it("waits out a warm-up of both steps and milliseconds: the workers start asynchronously", () => {
    const model = fakeModel(2);
    const chooser = new ThreadChooser(model, { warmupSteps: 2, warmupMs: 100, blockSteps: 1, rounds: 1 });
    for (let step = 0; step < 10; step++) {
      chooser.beforeStep();
      expect(chooser.afterStep(10, 1)).toBeNull();
    }
    expect(model.calls).toEqual([]);
    chooser.beforeStep();
    chooser.afterStep(10, 1);
    chooser.beforeStep();
    expect(chooser.afterStep(10, 1)?.threads).toBe(2);
  });

  it("applies only to a model that has more than one thread to choose from", () => {
    expect(hasThreadChoice({})).toBe(false);
    expect(hasThreadChoice({ threads: 1, useThreads: () => 1 })).toBe(false);
    expect(hasThreadChoice({ threads: 2, useThreads: () => 2 })).toBe(true);
  });

  it("train() with a real two-thread model: it chooses once, and the weights are the bytes of a run that did not choose", async () => {
    useNodeThreads();
    const file = fileURLToPath(new URL("../../examples/mnist_cnn.nn", import.meta.url));
    const graph = checkText(readFileSync(file, "utf8"), file).models[0]!;
    const { module } = await loadModelFromGraph(graph, { backend: "wasm" });
    const size = 48;
    const data = {
      size,
      inputs: { image: sequence(size * 28 * 28, 3).map(Math.abs) },
      targets: { digit: Int32Array.from({ length: size }, (_, i) => (i * 7) % 10) },
    };
    const run = async (choose: boolean) => {
      const model = module.create({ seed: 1, maxBatch: 8, threads: 2 });
      const choices: unknown[] = [];
      await train(model, data as never, {
        batchSize: 8,
        epochs: 3,
        chooseThreads: choose ? { warmupSteps: 2, warmupMs: 0, blockSteps: 2, rounds: 2 } : false,
        onThreads: (c) => choices.push(c),
      });
      const weights = [...model.getWeights().values()].map((w) => new Uint8Array(w.slice().buffer));
      model.dispose!();
      return { weights, choices };
    };
    const chose = await run(true);
    const kept = await run(false);
    expect(chose.choices).toHaveLength(1);
    expect(kept.choices).toHaveLength(0);
    expect(chose.weights).toEqual(kept.weights);
  });
});
