// `nnc train --metrics OUT.jsonl`: one JSON line per epoch, for plotting or comparing runs.
// The file is rewritten whole and atomically (at most once a second, and at the end), so a
// reader never sees half a line and an interrupted or failed run leaves its finished epochs. It is created empty before
// training starts, so that an unwritable path fails at once, not after the first epoch.

import type { EpochMetrics } from "../../runtime/train.js";
import { writeFileAtomic } from "../../runtime/node/files.js";

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

/** Rewrites at most this often (each write is flushed to disk); `close` writes the rest. */
const WRITE_EVERY_MS = 1000;

export class MetricsLog {
  private text = "";
  private written = "";
  private lastWrite: number;

  constructor(
    readonly path: string,
    private readonly clock: () => number = () => performance.now(),
  ) {
    writeFileAtomic(path, "");
    this.lastWrite = clock();
  }

  append(metrics: EpochMetrics): void {
    this.text += `${JSON.stringify(metricsLine(metrics))}\n`;
    if (this.clock() - this.lastWrite >= WRITE_EVERY_MS) this.flush();
  }

  /** Writes what is not yet on disk: at the end of the run, however it ends. */
  close(): void {
    if (this.text !== this.written) this.flush();
  }

  private flush(): void {
    writeFileAtomic(this.path, this.text);
    this.written = this.text;
    this.lastWrite = this.clock();
  }
}
