// `nnc train --metrics OUT.jsonl`: one JSON line per epoch, for plotting or comparing runs.
// The file is created empty before training starts (so that an unwritable path fails at
// once, not after the first epoch), then the finished epochs' lines are appended, whole and
// flushed to disk, at most once a second (or when a megabyte is waiting) and at the end: an
// interrupted or failed run leaves its finished epochs, and memory holds at most one flush's
// worth of lines, however many epochs the run has.

import type { EpochMetrics } from "../runtime/train.js";
import { appendFileDurably, writeFileAtomic } from "../runtime/node/files.js";

/** One line of the file: an epoch's metrics without the run's step count, keys in the order below. */
export type MetricsLine = Omit<EpochMetrics, "step">;

export function metricsLine(m: EpochMetrics): MetricsLine {
  return {
    epoch: m.epoch,
    loss: m.loss,
    accuracy: m.accuracy,
    val_loss: m.val_loss,
    val_accuracy: m.val_accuracy,
    samples_per_sec: m.samples_per_sec,
    seconds: m.seconds,
  };
}

/** Appends at most this often (each append is flushed to disk); `close` writes the rest. */
const WRITE_EVERY_MS = 1000;
/** ... or as soon as this many characters wait, so that a burst of tiny epochs stays small in memory. */
const WRITE_AT_CHARS = 1 << 20;

export class MetricsLog {
  private pending = "";
  private pendingLines = 0;
  private writtenLines = 0;
  private lastWrite: number;

  constructor(
    readonly path: string,
    private readonly clock: () => number = () => performance.now(),
  ) {
    writeFileAtomic(path, "");
    this.lastWrite = clock();
  }

  /** Epochs whose lines are in the file. */
  get epochsWritten(): number {
    return this.writtenLines;
  }

  /** Characters held in memory until the next append. */
  get buffered(): number {
    return this.pending.length;
  }

  append(metrics: EpochMetrics): void {
    this.pending += `${JSON.stringify(metricsLine(metrics))}\n`;
    this.pendingLines++;
    if (this.pending.length >= WRITE_AT_CHARS || this.clock() - this.lastWrite >= WRITE_EVERY_MS) this.flush();
  }

  /** Writes what is not yet on disk: at the end of the run, however it ends. */
  close(): void {
    if (this.pending !== "") this.flush();
  }

  private flush(): void {
    appendFileDurably(this.path, this.pending);
    this.writtenLines += this.pendingLines;
    this.pending = "";
    this.pendingLines = 0;
    this.lastWrite = this.clock();
  }
}
