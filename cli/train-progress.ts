// What `nnc train` prints while it trains. On a terminal, a progress bar rewritten in place
// (epoch, step, loss, accuracy, samples per second, time left) above which each finished
// epoch leaves one line; elsewhere (a pipe, a log file, CI) only the lines of the epochs, so
// logs stay readable: the first, about 20 more and the last (`--log-every N` chooses). `--json`
// prints each epoch's metrics as a JSON line instead; `--quiet` prints nothing.

import type { BatchProgress, EpochMetrics } from "../runtime/train.js";
import type { Io } from "./command.js";

export type ProgressStyle = "bar" | "lines" | "json" | "quiet";

export interface ProgressReporter {
  batch(progress: BatchProgress): void;
  epoch(metrics: EpochMetrics): void;
  /** Removes the bar, before any other output (the end of training, an error). */
  clear(): void;
}

/** Redraws at most this often: drawing is cheap, but a terminal flooded with updates is not. */
const REDRAW_MS = 100;

/** Epoch lines a log gets by default (plus the last epoch's): 500 lines of xor help no one. */
const LOGGED_EPOCHS = 20;

/** A terminal that reports no width (0, as some do inside editors and containers) is drawn as 80 columns. */
const DEFAULT_COLUMNS = 80;

/**
 * Which epochs print a line: the first (so that a long run shows it is going), every
 * `logEvery`-th and the last; by default all of them on a terminal, and about 20 in a log.
 */
export function epochLogInterval(style: ProgressStyle, epochs: number | null, logEvery: number | undefined): number {
  if (logEvery !== undefined) return logEvery;
  if (style !== "lines" || epochs === null) return 1;
  return Math.max(1, Math.ceil(epochs / LOGGED_EPOCHS));
}

export function progressStyle(io: Io, options: { quiet: boolean; json: boolean }): ProgressStyle {
  if (options.quiet) return "quiet";
  if (options.json) return "json";
  return io.stdout.isTTY === true ? "bar" : "lines";
}

/** `epochs` is null for a run measured in steps; `logEvery` as `--log-every` (see epochLogInterval). */
export function createProgressReporter(io: Io, style: ProgressStyle, epochs: number | null, clock: () => number = () => performance.now(), logEvery?: number): ProgressReporter {
  const interval = epochLogInterval(style, epochs, logEvery);
  let printedEpoch = false;
  const startedAt = clock();
  let firstStep: number | null = null;
  let epochNumber = 0;
  let epochStartedAt = startedAt;
  let epochSamples = 0;
  let lastDrawn = -Infinity;
  let barShown = false;

  const clear = () => {
    if (barShown) io.stdout.write("\r\x1b[K");
    barShown = false;
  };

  return {
    batch(p) {
      if (style !== "bar") return;
      const now = clock();
      firstStep ??= p.step - 1;
      // The rate is timed from the end of the epoch's first batch, so that batch is not counted.
      if (p.epoch !== epochNumber) {
        epochNumber = p.epoch;
        epochStartedAt = now;
        epochSamples = 0;
      } else {
        epochSamples += p.samples;
      }
      if (now - lastDrawn < REDRAW_MS && p.batch !== p.batches) return;
      lastDrawn = now;
      const stepsDone = p.step - firstStep;
      const secondsLeft = stepsDone > 0 ? (((now - startedAt) / stepsDone) * (p.totalSteps - p.step)) / 1000 : null;
      const perSecond = now > epochStartedAt ? (epochSamples / (now - epochStartedAt)) * 1000 : null;
      const columns = io.stdout.columns !== undefined && io.stdout.columns > 0 ? io.stdout.columns : DEFAULT_COLUMNS;
      io.stdout.write(`\r\x1b[K${formatBar(p, epochs, perSecond, secondsLeft, columns)}`);
      barShown = true;
    },
    epoch(m) {
      if (style === "quiet") return;
      if (style !== "json" && printedEpoch && m.epoch % interval !== 0 && m.epoch !== epochs) return;
      printedEpoch = true;
      clear();
      io.stdout.write(style === "json" ? `${JSON.stringify(m)}\n` : `${formatEpoch(m, epochs)}\n`);
    },
    clear,
  };
}

/** One finished epoch: `epoch  3/10  loss 0.3039  acc 0.9120  val_loss ...  9,490 samples/s  0.99s`. */
export function formatEpoch(m: EpochMetrics, epochs: number | null): string {
  const width = String(epochs ?? m.epoch).length;
  const parts = [`epoch ${String(m.epoch).padStart(width)}${epochs !== null ? `/${epochs}` : ""}`, `loss ${formatLoss(m.loss)}`];
  if (m.accuracy !== null) parts.push(`acc ${m.accuracy.toFixed(4)}`);
  if (m.val_loss !== null) parts.push(`val_loss ${formatLoss(m.val_loss)}`);
  if (m.val_accuracy !== null) parts.push(`val_acc ${m.val_accuracy.toFixed(4)}`);
  parts.push(`${formatRate(m.samples_per_sec)} samples/s`, `${m.seconds.toFixed(2)}s`);
  return parts.join("  ");
}

/** The bar: `epoch 2/10 [#####.....] step 180/1250  loss 0.3811  acc 0.8912  10,493 samples/s  0:42 left`. */
export function formatBar(p: BatchProgress, epochs: number | null, samplesPerSecond: number | null, secondsLeft: number | null, columns: number): string {
  const epoch = `epoch ${p.epoch}${epochs !== null ? `/${epochs}` : ""}`;
  const step = `step ${p.step}/${p.totalSteps}`;
  const loss = `loss ${formatLoss(p.epochLoss)}`;
  const accuracy = p.epochAccuracy !== null ? `acc ${p.epochAccuracy.toFixed(4)}` : null;
  const rate = samplesPerSecond !== null ? `${formatRate(samplesPerSecond)} samples/s` : null;
  const left = secondsLeft !== null ? `${formatDuration(secondsLeft)} left` : null;
  // A narrow terminal loses the bar first, then the figures that matter least.
  const candidates = [
    [step, loss, accuracy, rate, left],
    [step, loss, accuracy, left],
    [step, loss, left],
    [step, loss],
  ];
  const fits = (line: string) => line.length < columns;
  for (const parts of candidates) {
    const figures = parts.filter((x) => x !== null).join("  ");
    const width = Math.min(30, columns - 1 - epoch.length - figures.length - 4);
    if (width >= 10) {
      const filled = Math.round((width * p.batch) / p.batches);
      return `${epoch} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${figures}`;
    }
    if (fits(`${epoch}  ${figures}`)) return `${epoch}  ${figures}`;
  }
  return `${epoch}  ${step}`.slice(0, Math.max(0, columns - 1));
}

/** Four decimals, as losses usually sit near 1; a diverging one in exponent form. */
function formatLoss(loss: number): string {
  return Math.abs(loss) < 1e5 ? loss.toFixed(4) : loss.toExponential(3);
}

function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString("en-US");
}

/** `0:42`, `12:05`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
