// `nnc train FILE --data SPEC`: trains the model in memory and saves a checkpoint (weights,
// optimizer state, generators, progress) that `eval`, `predict` and `--resume` read.

import type { BatchProgress, EpochMetrics } from "../../runtime/train.js";
import { train as runTraining } from "../../runtime/train.js";
import { readCheckpointFile } from "../../runtime/node/checkpoint-file.js";
import { writeFileAtomic } from "../../runtime/node/files.js";
import { UsageError } from "./args.js";
import type { Command } from "./command.js";
import { batchOption, dataOption, defaultWeightsPath, loadDataFor, loadForRun, modelFile, modelOptions, reportingUserErrors } from "./model-run.js";

function formatEpoch(m: EpochMetrics, epochs: number | null): string {
  const width = String(epochs ?? m.epoch).length;
  const parts = [`epoch ${String(m.epoch).padStart(width)}${epochs !== null ? `/${epochs}` : ""}`, `loss ${m.loss.toFixed(4)}`];
  if (m.accuracy !== null) parts.push(`acc ${m.accuracy.toFixed(4)}`);
  if (m.val_loss !== null) parts.push(`val_loss ${m.val_loss.toFixed(4)}`);
  if (m.val_accuracy !== null) parts.push(`val_acc ${m.val_accuracy.toFixed(4)}`);
  parts.push(`${Math.round(m.samples_per_sec).toLocaleString("en-US")} samples/s`, `${m.seconds.toFixed(2)}s`);
  return parts.join("  ");
}

export const train: Command = {
  name: "train",
  summary: "train a model and save a checkpoint",
  usage: "nnc train FILE.nn --data SPEC [--epochs N | --steps N] [--batch N] [--lr X] [-o OUT.safetensors] [--resume CKPT]",
  details:
    "Data: `mnist` (8,000 training / 2,000 held-out digits), a .csv (header names inputs and targets; tensors as name.0, name.1, ...), " +
    "a .jsonl file (one object per line), or a .js/.ts module exporting `train` and optionally `test` sample arrays. " +
    "Held-out data (mnist, a module's `test`, or --val) is evaluated after every epoch. " +
    "The checkpoint (default FILE.safetensors beside the model) is a safetensors file whose weights PyTorch can read. " +
    "Ctrl-C stops after the current step and saves a checkpoint to resume from.",
  options: [
    ...modelOptions,
    { name: "epochs", kind: "string", valueName: "N", doc: "epochs to train (default the file's train { epochs })" },
    { name: "steps", kind: "string", valueName: "N", doc: "optimizer steps to train instead of epochs" },
    { name: "lr", kind: "string", valueName: "X", doc: "learning rate, overriding the file's" },
    { name: "seed", kind: "string", valueName: "N", doc: "seed of the initial weights, dropout and data order (default the file's train { seed }, else 0)" },
    { name: "val", kind: "string", valueName: "SPEC", doc: "held-out data to evaluate after each epoch" },
    { name: "no-shuffle", kind: "boolean", doc: "keep the data in file order" },
    { name: "out", short: "o", kind: "string", valueName: "OUT.safetensors", doc: "where to save the checkpoint" },
    { name: "checkpoint-every", kind: "string", valueName: "N", doc: "also save every N steps" },
    { name: "resume", kind: "string", valueName: "CKPT", doc: "continue the run saved in this checkpoint, exactly" },
    { name: "json", kind: "boolean", doc: "print each epoch's metrics as a JSON line" },
    { name: "quiet", short: "q", kind: "boolean", doc: "print only errors" },
  ],
  async run(args, io) {
    const file = modelFile(args, "train");
    const spec = dataOption(args, "train");
    const epochs = args.integer("epochs", 1);
    const steps = args.integer("steps", 1);
    if (epochs !== undefined && steps !== undefined) throw new UsageError("give --epochs or --steps, not both");
    const lr = args.number("lr");
    if (lr !== undefined && !(lr > 0)) throw new UsageError(`--lr must be above 0, got ${lr}`);
    const seedOption = args.integer("seed", 0);
    const every = args.integer("checkpoint-every", 1);
    const resumePath = args.string("resume");
    const out = args.string("out") ?? resumePath ?? defaultWeightsPath(file, args.string("model"));
    const json = args.flag("json");
    const quiet = args.flag("quiet");

    return reportingUserErrors(io, async () => {
      const { graph, module } = await loadForRun(file, args);
      const info = module.info;
      if (info.optimizer === null || info.losses.length === 0) {
        io.stderr.write(`${file}: model ${info.name} cannot be trained: add a loss and an optimizer (e.g. \`optimizer adam(lr: 0.001)\`)\n`);
        return 1;
      }
      const batch = batchOption(args, info);
      const seed = seedOption ?? info.train.seed ?? 0;
      const data = await loadDataFor(spec, info, true);
      if (data.train === null) {
        io.stderr.write(`${spec}: has no training data (export \`train\`)\n`);
        return 1;
      }
      const valSpec = args.string("val");
      const validation = valSpec !== undefined ? ((await loadDataFor(valSpec, info, true)).train ?? null) : data.test;
      const resume = resumePath !== undefined ? readCheckpointFile(resumePath, info) : undefined;

      const model = module.create({ seed, maxBatch: batch });
      const totalEpochs = steps === undefined ? (epochs ?? info.train.epochs ?? 1) : null;
      const logEvery = totalEpochs !== null && totalEpochs > 20 ? Math.ceil(totalEpochs / 20) : 1;
      if (!quiet && !json) {
        const plan = steps !== undefined ? `${steps} steps` : `${totalEpochs} epoch${totalEpochs === 1 ? "" : "s"}`;
        io.stdout.write(
          `training ${graph.name} on ${data.train.size.toLocaleString("en-US")} samples` +
            `${validation ? ` (held out: ${validation.size.toLocaleString("en-US")})` : ""}: batch ${batch}, ${plan}, ` +
            `${info.optimizer.name} lr ${lr ?? info.optimizer.args.lr}, seed ${seed}${resume ? `, resuming from ${resumePath}` : ""}\n`,
        );
      }

      // On a terminal, a progress line rewritten in place every half second within long epochs.
      const live = !quiet && !json && io.stdout === process.stdout && process.stdout.isTTY === true;
      let lastProgress = 0;
      const clearProgress = () => live && lastProgress > 0 && io.stdout.write("\r\x1b[K");
      const onBatch = (p: BatchProgress) => {
        const now = performance.now();
        if (!live || now - lastProgress < 500) return;
        lastProgress = now;
        io.stdout.write(`\r\x1b[Kepoch ${p.epoch}  batch ${p.batch}/${p.batches}  step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(4)}`);
      };

      let interrupted = false;
      const onInterrupt = () => (interrupted = true);
      process.once("SIGINT", onInterrupt);
      try {
        const result = await runTraining(model, data.train, {
          ...(steps !== undefined ? { steps } : { epochs: totalEpochs! }),
          batchSize: batch,
          shuffle: !args.flag("no-shuffle"),
          seed,
          ...(lr !== undefined ? { lr } : {}),
          ...(validation ? { validation } : {}),
          ...(resume ? { resume } : {}),
          ...(every !== undefined ? { checkpointEvery: every } : {}),
          onCheckpoint: (bytes) => writeFileAtomic(out, bytes),
          shouldStop: () => interrupted,
          onBatch,
          onEpoch: (m) => {
            clearProgress();
            if (json) io.stdout.write(`${JSON.stringify(m)}\n`);
            else if (!quiet && (m.epoch % logEvery === 0 || m.epoch === totalEpochs || m.epoch === 1)) io.stdout.write(`${formatEpoch(m, totalEpochs)}\n`);
          },
        });
        clearProgress();
        if (result.stopped) {
          io.stderr.write(`interrupted at step ${result.steps}; saved ${out}. Continue with: nnc train ${file} --data ${spec} --resume ${out}\n`);
          return 130;
        }
        if (!quiet && !json) io.stdout.write(`saved ${out} (${result.steps} steps)\n`);
        return 0;
      } finally {
        process.removeListener("SIGINT", onInterrupt);
      }
    });
  },
};
