// `nnc train FILE --data SPEC`: compiles the model in memory and trains it. The file's
// `train { }` block gives the defaults; flags override them. Nothing is written unless asked:
// `--save` (the weights, optimizer and generator state and progress, to resume from),
// `--metrics` (a JSON line per epoch). Ctrl-C stops after the current step and saves a
// checkpoint — to `--save`, else to a file named after the model, and says where.

import { accessSync, constants } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { encodeWeights } from "../../runtime/checkpoint.js";
import type { Dataset } from "../../runtime/data.js";
import type { ModelInfo } from "../../runtime/model.js";
import { readCheckpointFile } from "../../runtime/node/checkpoint-file.js";
import { FileError, writeFileAtomic } from "../../runtime/node/files.js";
import { train as runTraining, TrainingError } from "../../runtime/train.js";
import { UsageError, type ParsedArgs } from "./args.js";
import { fromOption, fromValue, readWeightsFile, type WeightsOrigin } from "./weights-file.js";
import type { Command, Io } from "./command.js";
import { MetricsLog } from "./metrics-log.js";
import { batchOption, loadDataFor, loadForRun, modelFile, modelOptions, reportingUserErrors } from "./model-run.js";
import { createProgressReporter, progressStyle } from "./train-progress.js";

/** The command line of one run, checked before anything is loaded. */
interface TrainSettings {
  file: string;
  /** Absent only with `--steps 0`, which trains nothing. */
  data: string | undefined;
  validation: string | undefined;
  epochs: number | undefined;
  steps: number | undefined;
  lr: number | undefined;
  seed: number | undefined;
  save: string | undefined;
  init: string | undefined;
  from: WeightsOrigin;
  resume: string | undefined;
  checkpointEvery: number | undefined;
  metrics: string | undefined;
  shuffle: boolean;
  json: boolean;
  quiet: boolean;
}

function readSettings(args: ParsedArgs): TrainSettings {
  const file = modelFile(args, "train");
  const epochs = args.integer("epochs", 1);
  const steps = args.integer("steps", 0);
  const data = args.string("data");
  const save = args.string("save");
  const init = args.string("init");
  const resume = args.string("resume");
  const checkpointEvery = args.integer("checkpoint-every", 1);
  const lr = args.number("lr");
  args.integer("batch", 1);
  if (epochs !== undefined && steps !== undefined) throw new UsageError("give --epochs or --steps, not both");
  if (lr !== undefined && !(lr > 0)) throw new UsageError(`--lr must be above 0, got ${lr}`);
  if (init !== undefined && resume !== undefined) {
    throw new UsageError("give --init (weights to start from) or --resume (a run to continue), not both");
  }
  const from = fromValue(args);
  if (from !== undefined && init === undefined) throw new UsageError("--from says whose layout the --init weights hold: give --init W.safetensors");
  if (checkpointEvery !== undefined && save === undefined) throw new UsageError("--checkpoint-every needs --save OUT.safetensors to know where to write");
  if (steps === 0 && resume !== undefined) throw new UsageError("--steps 0 trains nothing, so there is nothing to resume");
  if (data === undefined && steps !== 0) {
    throw new UsageError("nnc train needs --data SPEC (mnist, a .csv or .jsonl file, or a .js/.ts data module)");
  }
  return {
    file,
    data,
    validation: args.string("val"),
    epochs,
    steps,
    lr,
    seed: args.integer("seed", 0),
    save,
    init,
    from,
    resume,
    checkpointEvery,
    metrics: args.string("metrics"),
    shuffle: !args.flag("no-shuffle"),
    json: args.flag("json"),
    quiet: args.flag("quiet"),
  };
}

/** Where Ctrl-C saves a run that has no `--save`: beside the model, named after it. */
export function interruptedCheckpointPath(file: string, model: string | undefined): string {
  const base = basename(file, extname(file));
  return join(dirname(file), `${base}${model !== undefined ? `.${model}` : ""}.interrupted.safetensors`);
}

function count(n: number, what: string): string {
  return `${n.toLocaleString("en-US")} ${what}${n === 1 ? "" : "s"}`;
}

export const train: Command = {
  name: "train",
  summary: "train a model on data and save its weights",
  usage:
    "nnc train FILE.nn --data SPEC [--epochs N | --steps N] [--batch N] [--lr X] [--seed N] [--save OUT.safetensors] " +
    "[--init W.safetensors | --resume CKPT.safetensors] [--val SPEC] [--metrics OUT.jsonl] [--no-shuffle] [--quiet]",
  details:
    "Data: `mnist` (8,000 training / 2,000 held-out digits), a .csv (a header naming inputs and targets; tensors as name.0, name.1, ...), " +
    "a .jsonl file (one object per line), or a .js/.ts module exporting `train` and optionally `test` sample arrays. " +
    "Held-out data (mnist's, a module's `test`, or --val) is evaluated after every epoch. " +
    "The file's `train { batch, epochs, seed }` gives the defaults. " +
    "Nothing is written unless asked: --save writes a checkpoint (a safetensors file whose weights PyTorch can read, plus optimizer and generator state) " +
    "that `nnc eval`, `nnc predict`, --init and --resume read; --steps 0 --save writes the initial weights. " +
    "Ctrl-C stops after the current step and saves a checkpoint (to --save, else to FILE.interrupted.safetensors) to resume from.",
  options: [
    ...modelOptions,
    { name: "epochs", kind: "string", valueName: "N", doc: "epochs to train (default the file's train { epochs }, else 1)" },
    { name: "steps", kind: "string", valueName: "N", doc: "optimizer steps to train instead of epochs (0: only write the initial weights)" },
    { name: "lr", kind: "string", valueName: "X", doc: "learning rate, overriding the file's" },
    { name: "seed", kind: "string", valueName: "N", doc: "seed of the initial weights, dropout and data order (default the file's train { seed }, else 0)" },
    { name: "val", kind: "string", valueName: "SPEC", doc: "held-out data to evaluate after each epoch (default the data's own held-out part)" },
    { name: "no-shuffle", kind: "boolean", doc: "keep the data in file order" },
    { name: "save", short: "o", kind: "string", valueName: "OUT.safetensors", doc: "write a checkpoint here at the end (and on Ctrl-C)" },
    { name: "init", kind: "string", valueName: "W.safetensors", doc: "start from these weights (a weights file or a checkpoint; its optimizer state is ignored)" },
    fromOption,
    { name: "resume", kind: "string", valueName: "CKPT.safetensors", doc: "continue the run saved in this checkpoint, exactly" },
    { name: "checkpoint-every", kind: "string", valueName: "N", doc: "also save to --save every N steps" },
    { name: "metrics", kind: "string", valueName: "OUT.jsonl", doc: "write each epoch's metrics here as a JSON line" },
    { name: "json", kind: "boolean", doc: "print each epoch's metrics as a JSON line instead of text" },
    { name: "quiet", short: "q", kind: "boolean", doc: "print only errors" },
  ],
  async run(args, io) {
    const settings = readSettings(args);
    return reportingUserErrors(io, async () => {
      try {
        return await trainFromSettings(settings, args, io);
      } catch (error) {
        // Training errors (a non-finite loss, a checkpoint that does not fit the run) name no file of their own.
        if (error instanceof TrainingError) throw new TrainingError(`${settings.file}: ${error.message}`);
        throw error;
      }
    });
  },
};

async function trainFromSettings(s: TrainSettings, args: ParsedArgs, io: Io): Promise<number> {
  const { graph, module } = await loadForRun(s.file, args);
  const info = module.info;
  if (info.optimizer === null || info.losses.length === 0) {
    const missing = info.optimizer === null ? "an optimizer (e.g. `optimizer adam(lr: 0.001)`)" : "a loss (e.g. `loss mse(y_hat, y)`)";
    io.stderr.write(`${s.file}: model ${info.name} cannot be trained: add ${missing}\n`);
    return 1;
  }
  for (const path of [s.save, s.metrics]) if (path !== undefined) requireWritableFolder(path);
  const batch = batchOption(args, info);
  const seed = s.seed ?? info.train.seed ?? 0;
  // Weights files first: they are quick to check, the data may not be.
  const init = s.init !== undefined ? readWeightsFile(s.init, graph, info, s.from) : undefined;
  const resume = s.resume !== undefined ? readCheckpointFile(s.resume, info) : undefined;
  const model = module.create({ seed, maxBatch: batch, ...(init ? { weights: init.weights } : {}) });

  if (s.steps === 0) {
    if (s.save === undefined) {
      if (!s.quiet) io.stdout.write("--steps 0 trains nothing; add --save OUT.safetensors to write the initial weights\n");
      return 0;
    }
    writeFileAtomic(s.save, encodeWeights(model));
    if (!s.quiet) io.stdout.write(`saved the ${init ? `weights of ${s.init}` : `initial weights (seed ${seed})`} to ${s.save}\n`);
    return 0;
  }

  const sets = await loadDataFor(s.data!, info, true);
  if (sets.train === null) {
    io.stderr.write(`${s.data}: has no training data; export \`train\` from the data module\n`);
    return 1;
  }
  const validation = s.validation !== undefined ? await heldOutData(s.validation, info) : sets.test;
  const totalEpochs = s.steps === undefined ? (s.epochs ?? info.train.epochs ?? 1) : null;
  const style = progressStyle(io, s);
  if (style === "bar" || style === "lines") {
    io.stdout.write(describeRun(graph.name, sets.train, validation, { batch, seed, epochs: totalEpochs, steps: s.steps, lr: s.lr ?? info.optimizer.args.lr, optimizer: info.optimizer.name, init: s.init, resume: s.resume }));
  }

  const interruptedPath = interruptedCheckpointPath(s.file, args.string("model"));
  const metrics = s.metrics !== undefined ? new MetricsLog(s.metrics) : null;
  const progress = createProgressReporter(io, style, totalEpochs);
  let interrupted = false;
  const onInterrupt = () => (interrupted = true);
  process.once("SIGINT", onInterrupt);
  try {
    const result = await runTraining(model, sets.train, {
      ...(s.steps !== undefined ? { steps: s.steps } : { epochs: totalEpochs! }),
      batchSize: batch,
      shuffle: s.shuffle,
      seed,
      ...(s.lr !== undefined ? { lr: s.lr } : {}),
      ...(validation ? { validation } : {}),
      ...(resume ? { resume } : {}),
      ...(s.checkpointEvery !== undefined ? { checkpointEvery: s.checkpointEvery } : {}),
      onCheckpoint: (bytes) => {
        const path = s.save ?? (interrupted ? interruptedPath : undefined);
        if (path !== undefined) writeFileAtomic(path, bytes);
      },
      shouldStop: () => interrupted,
      onBatch: (p) => progress.batch(p),
      onEpoch: (m) => {
        progress.epoch(m);
        metrics?.append(m);
      },
    });
    progress.clear();
    if (result.stopped) {
      const saved = s.save ?? interruptedPath;
      io.stderr.write(`interrupted at step ${result.steps}; saved ${saved}. Continue with: ${resumeCommand(s, args, saved)}\n`);
      return 130;
    }
    if (style === "bar" || style === "lines") {
      io.stdout.write(s.save !== undefined ? `saved ${s.save} (${count(result.steps, "step")})\n` : `trained ${count(result.steps, "step")}; not saved (add --save OUT.safetensors to keep the weights)\n`);
    }
    return 0;
  } finally {
    progress.clear();
    metrics?.close();
    process.removeListener("SIGINT", onInterrupt);
  }
}

/** The command that continues an interrupted run: the same settings (a resumed run must repeat them), from its checkpoint. */
function resumeCommand(s: TrainSettings, args: ParsedArgs, saved: string): string {
  const saveAgain = s.save ?? join(dirname(s.file), `${basename(s.file, extname(s.file))}.safetensors`);
  const repeated = ["model", "dtype", "epochs", "steps", "batch", "lr", "seed", "val"].flatMap((name) => {
    const value = args.string(name);
    return value !== undefined ? [`--${name} ${shellWord(value)}`] : [];
  });
  if (!s.shuffle) repeated.push("--no-shuffle");
  return [`nnc train ${shellWord(s.file)} --data ${shellWord(s.data!)}`, ...repeated, `--resume ${shellWord(saved)} --save ${shellWord(saveAgain)}`].join(" ");
}

/** A word a POSIX shell reads back as is: quoted only where it needs to be. */
function shellWord(word: string): string {
  return /^[\w./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** Finds out before training, not after it, that the result could not be written. */
function requireWritableFolder(path: string): void {
  const folder = dirname(resolve(path));
  try {
    accessSync(folder, constants.W_OK);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new FileError(`${path}: cannot write: ${missing ? `the folder ${folder} does not exist; create it first` : `no permission to write in ${folder}`}`);
  }
}

/** `--val SPEC`: its held-out part where it has one (mnist's 2,000 digits, a module's `test`), else all of it. */
async function heldOutData(spec: string, info: ModelInfo): Promise<Dataset> {
  const sets = await loadDataFor(spec, info, true);
  return (sets.test ?? sets.train)!;
}

function describeRun(
  name: string,
  data: Dataset,
  validation: Dataset | null,
  run: { batch: number; seed: number; epochs: number | null; steps: number | undefined; lr: unknown; optimizer: string; init: string | undefined; resume: string | undefined },
): string {
  const plan = run.steps !== undefined ? count(run.steps, "step") : count(run.epochs!, "epoch");
  const heldOut = validation ? ` (held out: ${validation.size.toLocaleString("en-US")})` : "";
  const from = run.resume ? `, resuming from ${run.resume}` : run.init ? `, from ${run.init}` : "";
  return `training ${name} on ${count(data.size, "sample")}${heldOut}: batch ${run.batch}, ${plan}, ${run.optimizer} lr ${String(run.lr)}, seed ${run.seed}${from}\n`;
}
