// `--metrics`: every epoch's line reaches the file, while memory holds at most what waits for
// the next append (a second's worth, at most a megabyte), however long the run.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MetricsLog } from "../../cli/metrics-log.js";
import type { EpochMetrics } from "../../runtime/train.js";

const epoch = (n: number): EpochMetrics => ({ epoch: n, step: n, loss: 0.5, accuracy: null, val_loss: null, val_accuracy: null, samples_per_sec: 1000, seconds: 0.001 });

describe("MetricsLog", () => {
  it("appends every epoch and holds only what is not yet written", () => {
    const path = join(mkdtempSync(join(tmpdir(), "nnc-metrics-")), "m.jsonl");
    let now = 0;
    const log = new MetricsLog(path, () => now);
    expect(readFileSync(path, "utf8")).toBe("");
    let most = 0;
    // 30,000 epochs in a frozen second: only the megabyte bound flushes.
    for (let n = 1; n <= 30_000; n++) {
      log.append(epoch(n));
      most = Math.max(most, log.buffered);
    }
    expect(most).toBeLessThanOrEqual(1 << 20);
    now += 1000;
    log.append(epoch(30_001));
    expect(log.buffered).toBe(0);
    expect(log.epochsWritten).toBe(30_001);
    log.append(epoch(30_002));
    log.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(30_002);
    expect(lines.map((l) => (JSON.parse(l) as { epoch: number }).epoch)).toEqual(Array.from({ length: 30_002 }, (_, i) => i + 1));
  });
});
