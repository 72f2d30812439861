// `nnc train FILE --data SPEC`: compiles the model in memory and trains it. The file's
// `train { }` block gives the defaults; flags override them. Nothing is written unless asked:
// `--save` (the weights, optimizer and generator state and progress, to resume from),
// `--metrics` (a JSON line per epoch), `--report` (an HTML report, report-file.ts). Ctrl-C (and SIGTERM, SIGHUP) stops after the current
// step and saves a checkpoint — to `--save`, else to a file named after the model, and says
// where. Output paths are checked before anything is loaded (output-paths.ts).

import { tmpdir } from "node:os";
import { basename, dirname, extname, join } from "node:path";
import { statSync } from "node:fs";
import { encodeWeights, type Checkpoint } from "../runtime/checkpoint.js";
import { MAX_SEED } from "../runtime/limits.js";
import type { Dataset } from "../runtime/data.js";
import type { ModelInfo } from "../runtime/model.js";
import { readCheckpointFile } from "../runtime/node/checkpoint-file.js";
import { FileError, readFileBytes, removeStaleTemporaries, writeFileAtomic } from "../runtime/node/files.js";
import { train as runTraining, TrainingError, type Monitor } from "../runtime/train.js";
import type { ThreadChoice } from "../runtime/thread-choice.js";
import { UsageError, type ParsedArgs } from "./args.js";
import { fromOption, fromValue, readWeightsFile, type WeightsOrigin } from "./weights-file.js";
import type { Command, Io } from "./command.js";
import { MetricsLog } from "./metrics-log.js";
import { refuseOverlaps, requireWritableFile, type RolePath } from "./output-paths.js";
import { batchFlag, batchOption, createModel, dtypeOption, loadDataFor, loadForRun, modelFile, modelOptions, reportingUserErrors } from "./model-run.js";
import { requireMemory } from "../compiler/memory-need.js";
import { recordEpochs, reportOption, writeReport } from "./report-file.js";
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
  report: string | undefined;
  logEvery: number | undefined;
  saveBest: string | undefined;
  monitor: Monitor | undefined;
  patience: number | undefined;
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
  batchFlag(args);
  if (epochs !== undefined && steps !== undefined) throw new UsageError("give --epochs or --steps, not both");
  if (lr !== undefined && !(lr > 0)) throw new UsageError(`--lr must be above 0, got ${lr}`);
  if (init !== undefined && resume !== undefined) {
    throw new UsageError("give --init (weights to start from) or --resume (a run to continue), not both");
  }
  const from = fromValue(args);
  if (from !== undefined && init === undefined) throw new UsageError("--from says whose layout the --init weights hold: give --init W.safetensors");
  if (checkpointEvery !== undefined && save === undefined) throw new UsageError("--checkpoint-every needs --save OUT.safetensors to know where to write");
  if (steps === 0 && resume !== undefined) throw new UsageError("--steps 0 trains nothing, so there is nothing to resume");
  const monitor = args.string("monitor");
  if (monitor !== undefined && monitor !== "val_loss" && monitor !== "val_acc") throw new UsageError(`--monitor must be val_loss or val_acc, got '${monitor}'`);
  const saveBest = args.string("save-best");
  const patience = args.integer("patience", 1);
  if (monitor !== undefined && saveBest === undefined && patience === undefined) {
    throw new UsageError("--monitor chooses the best epoch for --save-best BEST.safetensors or --patience N; give one of them");
  }
  if (data === undefined && steps !== 0) {
    throw new UsageError("train needs --data SPEC (mnist, a .csv or .jsonl file, or a .js/.ts data module)");
  }
  return {
    file,
    data,
    validation: args.string("val"),
    epochs,
    steps,
    lr,
    seed: args.integer("seed", 0, MAX_SEED),
    save,
    init,
    from,
    resume,
    checkpointEvery,
    metrics: args.string("metrics"),
    report: args.string("report"),
    logEvery: args.integer("log-every", 1),
    saveBest,
    monitor,
    patience,
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
    "[--init W.safetensors | --resume CKPT.safetensors] [--val SPEC] [--metrics OUT.jsonl] [--report OUT.html] [--no-shuffle] [--quiet] " +
    "[--save-best BEST.safetensors] [--monitor val_loss|val_acc] [--patience N] [--log-every N]",
  details:
    "Data: `mnist` (8,000 training / 2,000 held-out digits), a .csv (a header naming inputs and targets; tensors as name.0, name.1, ...), " +
    "a .jsonl file (one object per line), or a .js/.ts module exporting `train` and optionally `test` sample arrays. " +
    "Held-out data (mnist's, a module's `test`, or --val) is evaluated after every epoch. " +
    "The file's `train { batch, epochs, seed }` gives the defaults. " +
    "Nothing is written unless asked: --save writes a checkpoint (a safetensors file whose weights PyTorch can read, plus optimizer and generator state) " +
    "that `nnc eval`, `nnc predict`, --init and --resume read; --steps 0 --save writes the initial weights. " +
    "Ctrl-C, SIGTERM and SIGHUP stop after the current step and save a checkpoint (to --save, else to FILE.interrupted.safetensors) to resume from. " +
    "No output may be one of the run's input files or another output; --resume CKPT --save CKPT continues a run in place.",
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
    { name: "save-best", kind: "string", valueName: "BEST.safetensors", doc: "write the weights of the best epoch so far here (by --monitor on the held-out data)" },
    { name: "monitor", kind: "string", valueName: "val_loss|val_acc", doc: "what makes an epoch best: lowest val_loss (default) or highest val_acc" },
    { name: "patience", kind: "string", valueName: "N", doc: "stop after N epochs in a row without a better --monitor value (early stopping)" },
    { name: "metrics", kind: "string", valueName: "OUT.jsonl", doc: "write each epoch's metrics here as a JSON line" },
    reportOption,
    { name: "log-every", kind: "string", valueName: "N", doc: "print the first epoch's line, every Nth and the last (default: every epoch on a terminal, about 20 in a log)" },
    { name: "json", kind: "boolean", doc: "print each epoch's metrics as a JSON line instead of text" },
    { name: "quiet", short: "q", kind: "boolean", doc: "print only errors" },
  ],
  async run(args, io) {
    const settings = readSettings(args);
    checkOutputs(settings, args);
    return reportingUserErrors(io, async () => {
      if (settings.save !== undefined) requireWritableFile(settings.save, `${basename(settings.file, extname(settings.file))}.safetensors`);
      if (settings.metrics !== undefined) requireWritableFile(settings.metrics, "metrics.jsonl");
      if (settings.report !== undefined) requireWritableFile(settings.report, "report.html");
      if (settings.saveBest !== undefined) requireWritableFile(settings.saveBest, `${basename(settings.file, extname(settings.file))}.best.safetensors`);
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
  const { graph, module } = await loadForRun(s.file, args, io);
  const info = module.info;
  if (info.optimizer === null || info.losses.length === 0) {
    const missing = info.optimizer === null ? "an optimizer (e.g. `optimizer adam(lr: 0.001)`)" : "a loss (e.g. `loss mse(y_hat, y)`)";
    io.stderr.write(`${s.file}: model ${info.name} cannot be trained: add ${missing}\n`);
    return 1;
  }
  const batch = batchOption(args, info);
  requireMemory(graph, { dtype: dtypeOption(args), maxBatch: batch, training: true });
  const seed = s.seed ?? info.train.seed ?? 0;
  // Weights files first: they are quick to check, the data may not be.
  const init = s.init !== undefined ? readWeightsFile(s.init, graph, info, s.from) : undefined;
  const resume = s.resume !== undefined ? readCheckpointFile(s.resume, info) : undefined;
  const model = createModel(module, { seed, maxBatch: batch, ...(init ? { weights: init.weights } : {}) }, args);

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
  if (s.save === undefined) removeStaleTemporaries(interruptedPath);
  const metrics = s.metrics !== undefined ? new MetricsLog(s.metrics) : null;
  const progress = createProgressReporter(io, style, totalEpochs, undefined, s.logEvery);
  const report = s.report !== undefined ? recordEpochs(model) : null;
  const writeRunReport = () => {
    if (s.report === undefined || report === null) return;
    const facts: [string, string][] = [["model file", s.file], ["data", s.data!], ["batch", String(batch)], ["seed", String(seed)], ["steps", String(model.optimizer!.step)]];
    if (s.save !== undefined) facts.push(["checkpoint", s.save]);
    const data = validation ? { data: validation, split: s.validation ?? "held-out data" } : { data: sets.train!, split: "training data (no held-out data)" };
    writeReport(s.report, { kind: "training", graph, model, facts, epochs: report.recorder, data });
    if (!s.quiet) io.stdout.write(`wrote the report ${s.report}\n`);
  };
  // The signal that stopped the run; a second one of the same kind ends the process at once (the default).
  let interrupted: NodeJS.Signals | null = null;
  let lastSaved: { path: string; step: number } | null = null;
  // A metrics file that cannot be written (a full disk) must not cost the run: say so once, train on, exit 1.
  let metricsFailed = false;
  const writingMetrics = (write: () => void) => {
    if (metricsFailed) return;
    try {
      write();
    } catch (error) {
      if (!(error instanceof FileError)) throw error;
      metricsFailed = true;
      progress.clear();
      io.stderr.write(`${error.message}; training goes on, and the file holds the first ${count(metrics!.epochsWritten, "epoch")}\n`);
    }
  };
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => (interrupted ??= signal);
    process.once(signal, handler);
    return [signal, handler] as const;
  });
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
        const path = s.save ?? (interrupted !== null ? interruptedPath : undefined);
        if (path === undefined) return;
        try {
          writeFileAtomic(path, bytes);
          lastSaved = { path, step: model.optimizer!.step };
        } catch (error) {
          if (!(error instanceof FileError)) throw error;
          throw new FileError(`${error.message}; ${keepElsewhere(bytes, path, interruptedPath, model.optimizer!.step, lastSaved, s, args)}`);
        }
      },
      shouldStop: () => interrupted !== null,
      ...(s.monitor !== undefined ? { monitor: s.monitor } : {}),
      ...(s.patience !== undefined ? { patience: s.patience } : {}),
      ...(s.saveBest !== undefined ? { onBest: (weights: Uint8Array) => writeFileAtomic(s.saveBest!, weights) } : {}),
      // Without --threads: the faster of all the cores and one, timed on the first steps.
      chooseThreads: !args.has("threads"),
      onThreads: (choice) => {
        if (style !== "bar" && style !== "lines") return;
        progress.clear();
        io.stdout.write(`${threadsChosen(choice)}\n`);
      },
      onBatch: (p) => progress.batch(p),
      onEpoch: (m) => {
        progress.epoch(m);
        report?.onEpoch(m);
        if (metrics !== null) writingMetrics(() => metrics.append(m));
      },
    });
    progress.clear();
    if (result.stopped) {
      writeRunReport();
      const saved = s.save ?? interruptedPath;
      const how = interrupted === "SIGINT" || interrupted === null ? "interrupted" : `stopped by ${interrupted}`;
      io.stderr.write(`${how} at step ${result.steps}; saved ${saved}. Continue with: ${resumeCommand(s, args, saved)}\n`);
      return EXIT_ON_SIGNAL[interrupted ?? "SIGINT"];
    }
    if (resume !== undefined && result.steps === result.startStep) return alreadyComplete(s, args, io, resume, result.steps);
    if (metrics !== null) writingMetrics(() => metrics.close());
    writeRunReport();
    if (style === "bar" || style === "lines") {
      if (result.stoppedEarly && result.best !== null) {
        io.stdout.write(`stopped early: ${result.best.monitor} has not improved for ${count(s.patience!, "epoch")} since epoch ${result.best.epoch}\n`);
      }
      io.stdout.write(s.save !== undefined ? `saved ${s.save} (${count(result.steps, "step")})\n` : `trained ${count(result.steps, "step")}; not saved (add --save OUT.safetensors to keep the weights)\n`);
    }
    const last = result.history.at(-1);
    if (s.saveBest !== undefined && result.best !== null && style !== "quiet") {
      const where = `${result.best.monitor} ${formatMonitored(result.best.value)} at epoch ${result.best.epoch}`;
      // A run that ends on a worse epoch must not leave anyone thinking --save holds the best weights.
      // (Under --json, stdout holds only JSON lines.)
      (style === "json" ? io.stderr : io.stdout).write(
        last !== undefined && last.epoch !== result.best.epoch
          ? `the last epoch (${last.epoch}) is not the best: the best, ${where}, is saved in ${s.saveBest}\n`
          : `the best epoch is the last, ${where}; saved in ${s.saveBest}\n`,
      );
    }
    return metricsFailed ? 1 : 0;
  } finally {
    progress.clear();
    if (metrics !== null) writingMetrics(() => metrics.close());
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  }
}

/** The signals that stop a run with a checkpoint, and the exit code of each (128 + its number, as a shell reports it). */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const EXIT_ON_SIGNAL: Record<(typeof STOP_SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * The paths of the run, checked before anything is loaded: no output may be an input or
 * another output. `--resume CKPT --save CKPT` may share a file: continuing a run in place is
 * what the resume command printed on Ctrl-C does, and the write is atomic, so the old
 * checkpoint stays whole until the new one replaces it. `--init W --save W` may not: a new
 * run would replace the weights it started from.
 */
function checkOutputs(s: TrainSettings, args: ParsedArgs): void {
  const inputs: RolePath[] = [{ role: "the model", path: s.file }];
  if (s.data !== undefined) inputs.push({ role: "--data", path: s.data });
  if (s.validation !== undefined) inputs.push({ role: "--val", path: s.validation });
  if (s.init !== undefined) inputs.push({ role: "--init", path: s.init });
  if (s.resume !== undefined) inputs.push({ role: "--resume", path: s.resume });
  const outputs: RolePath[] = [];
  if (s.save !== undefined) outputs.push({ role: "--save", path: s.save });
  else outputs.push({ role: "the Ctrl-C checkpoint", path: interruptedCheckpointPath(s.file, args.string("model")) });
  if (s.metrics !== undefined) outputs.push({ role: "--metrics", path: s.metrics });
  if (s.report !== undefined) outputs.push({ role: "--report", path: s.report });
  if (s.saveBest !== undefined) outputs.push({ role: "--save-best", path: s.saveBest });
  refuseOverlaps(inputs, outputs, [
    ["--resume", "--save"],
    ["--resume", "the Ctrl-C checkpoint"],
  ]);
}

/**
 * After a checkpoint could not be written (a full disk, a folder gone): writes it beside the
 * model or in the temporary folder instead, else names the last checkpoint that is still
 * whole (writes are atomic, so a failed one leaves the previous file intact). Returns the
 * rest of the error line, with the command that continues the run.
 */
function keepElsewhere(bytes: Uint8Array, failed: string, interruptedPath: string, step: number, lastSaved: { path: string; step: number } | null, s: TrainSettings, args: ParsedArgs): string {
  const fallbacks = [interruptedPath, join(tmpdir(), basename(interruptedPath))].filter((path) => path !== failed);
  for (const path of fallbacks) {
    try {
      writeFileAtomic(path, bytes);
      return `saved the checkpoint of step ${step} to ${path} instead. Continue with: ${resumeCommand(s, args, path)}`;
    } catch {
      // Try the next place.
    }
  }
  const tried = `(also tried ${fallbacks.join(" and ")})`;
  if (lastSaved !== null) return `the checkpoint of step ${lastSaved.step} in ${lastSaved.path} is intact ${tried}. Continue with: ${resumeCommand(s, args, lastSaved.path)}`;
  if (s.resume !== undefined) return `the checkpoint ${s.resume} this run resumed from is intact ${tried}. Continue with: ${resumeCommand(s, args, s.resume)}`;
  return `the run's ${step} steps could not be saved anywhere ${tried}; free some space and train again`;
}

/**
 * `--resume` of a checkpoint whose run has no step left: says so, and how to train more,
 * rather than claim a save. A `--save` elsewhere gets a copy, so that the file asked for exists.
 */
function alreadyComplete(s: TrainSettings, args: ParsedArgs, io: Io, resume: Checkpoint, steps: number): number {
  const resumed = s.resume!;
  let copied = "";
  if (s.save !== undefined && !sameFile(s.save, resumed)) {
    writeFileAtomic(s.save, readFileBytes(resumed));
    copied = `; copied it to ${s.save}`;
  }
  const epochs = resume.progress?.epoch ?? 0;
  const more = s.steps !== undefined ? `--steps ${2 * steps}` : `--epochs ${2 * Math.max(1, epochs)}`;
  const command = resumeCommand(s, args, resumed, { leaveOut: ["epochs", "steps"], add: [more] });
  if (!s.quiet) {
    io.stdout.write(
      `${resumed} already holds the whole run: ${count(steps, "step")}${epochs > 0 ? `, ${count(epochs, "epoch")}` : ""}; nothing to train${copied}. ` +
        `To train further, ask for more: ${command}\n`,
    );
  }
  return 0;
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** The command that continues an interrupted run: the same settings (a resumed run must repeat them), from its checkpoint. */
function resumeCommand(s: TrainSettings, args: ParsedArgs, saved: string, change: { leaveOut: string[]; add: string[] } = { leaveOut: [], add: [] }): string {
  const saveAgain = s.save ?? join(dirname(s.file), `${basename(s.file, extname(s.file))}.safetensors`);
  const repeated = ["model", "dtype", "epochs", "steps", "batch", "lr", "seed", "val"].filter((name) => !change.leaveOut.includes(name)).flatMap((name) => {
    const value = args.string(name);
    return value !== undefined ? [`--${name} ${shellWord(value)}`] : [];
  });
  if (!s.shuffle) repeated.push("--no-shuffle");
  repeated.push(...change.add);
  return [`nnc train ${shellWord(s.file)} --data ${shellWord(s.data!)}`, ...repeated, `--resume ${shellWord(saved)} --save ${shellWord(saveAgain)}`].join(" ");
}

/** A word a POSIX shell reads back as is: quoted only where it needs to be. */
function shellWord(word: string): string {
  return /^[\w./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
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

function formatMonitored(value: number): string {
  return value.toFixed(4);
}

/** The line saying which threads the first steps chose: `threads: 2 (1.78x as fast as one)`. */
export function threadsChosen(choice: ThreadChoice): string {
  const ratio = `${choice.speedup.toFixed(2)}x`;
  return choice.threads === 1
    ? `threads: 1 (${choice.most} ran ${ratio} as fast on this model; --threads ${choice.most} keeps them)`
    : `threads: ${choice.threads} (${ratio} as fast as one; --threads 1 runs on one)`;
}
