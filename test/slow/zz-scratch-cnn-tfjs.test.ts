// SCRATCH (F): not for commit. tfjs twin of mnist_cnn trained like nnc train, per-epoch held-out accuracy.
import { it } from "vitest";
import { loadModel } from "../../compiler/load.js";
import { Batcher } from "../../runtime/data.js";
import { loadMnist } from "../../runtime/node/mnist.js";
import { Rng, RngStream } from "../../runtime/rng.js";
import { buildTfjsModel } from "../reference/tfjs-model.js";

it("cnn tfjs", { timeout: 3600_000 }, async () => {
  const { graph, module } = await loadModel("/work/main/examples/mnist_cnn.nn");
  const seed = Number(process.env.SEED ?? 0);
  const initial = module.create({ seed, maxBatch: 32 }).getWeights();
  const reference = await buildTfjsModel(graph, initial);
  const { train, test } = loadMnist(module.info);
  const batcher = new Batcher(train, 32);
  const order = new Rng(seed).fork(RngStream.shuffle);
  const t0 = performance.now();
  for (let epoch = 0; epoch < 3; epoch++) {
    batcher.shuffle(order);
    for (let b = 0; b < batcher.batchesPerEpoch; b++) reference.trainStep(batcher.fill(b));
    const tb = new Batcher(test, 250);
    let correct = 0;
    for (let b = 0; b < tb.batchesPerEpoch; b++) {
      const batch = tb.fill(b);
      const logits = reference.forward({ inputs: batch.inputs, size: batch.size }, { training: false }).logits!;
      for (let i = 0; i < batch.size; i++) {
        const row = logits.subarray(i * 10, (i + 1) * 10);
        if (row.indexOf(Math.max(...row)) === batch.targets.digit![i]) correct++;
      }
    }
    console.log(`tfjs cnn seed ${seed} epoch ${epoch + 1}: val_acc ${correct / test.size}  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
});
