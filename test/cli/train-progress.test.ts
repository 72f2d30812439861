// What `nnc train` prints: a progress bar on a terminal, plain lines elsewhere.
import { describe, expect, it } from "vitest";
import { createProgressReporter, formatBar, formatDuration, formatEpoch } from "../../cli/train-progress.js";
import type { BatchProgress, EpochMetrics } from "../../runtime/train.js";
import { nncOn, xorProject } from "./run-nnc.js";

const batch = (over: Partial<BatchProgress> = {}): BatchProgress => ({
  epoch: 2,
  batch: 60,
  batches: 125,
  step: 185,
  totalSteps: 1250,
  loss: 0.3,
  samples: 64,
  epochLoss: 0.38114,
  epochAccuracy: 0.89123,
  ...over,
});

const epoch: EpochMetrics = { epoch: 3, step: 375, loss: 0.30394, accuracy: 0.912, val_loss: 0.28891, val_accuracy: 0.913, samples_per_sec: 9490.4, seconds: 0.987 };

describe("the progress bar", () => {
  it("shows epoch, step, loss, accuracy, samples per second and time left", () => {
    expect(formatBar(batch(), 10, 10493.2, 42.4, 120)).toBe(
      "epoch 2/10 [##############................] step 185/1250  loss 0.3811  acc 0.8912  10,493 samples/s  0:42 left",
    );
  });

  it("leaves out what it does not know, and the bar itself on a narrow terminal", () => {
    expect(formatBar(batch({ epochAccuracy: null }), null, null, null, 80)).toBe("epoch 2 [##############................] step 185/1250  loss 0.3811");
    const narrow = formatBar(batch(), 10, 10493.2, 42.4, 60);
    expect(narrow).toBe("epoch 2/10  step 185/1250  loss 0.3811  0:42 left");
    expect(narrow.length).toBeLessThan(60);
  });

  it("counts time as m:ss or h:mm:ss", () => {
    expect([formatDuration(0), formatDuration(42.4), formatDuration(725), formatDuration(3723)]).toEqual(["0:00", "0:42", "12:05", "1:02:03"]);
  });

  it("is redrawn in place at most every 100 ms, and replaced by a line per epoch", () => {
    let out = "";
    let now = 0;
    const reporter = createProgressReporter({ stdout: { write: (s: string) => (out += s), isTTY: true, columns: 100 }, stderr: { write: () => {} } }, "bar", 10, () => now);
    now = 10;
    reporter.batch(batch({ batch: 1, step: 126 }));
    now = 50;
    reporter.batch(batch({ batch: 2, step: 127 }));
    now = 200;
    reporter.batch(batch({ batch: 3, step: 128 }));
    reporter.epoch(epoch);
    const frames = out.split("\r\x1b[K");
    expect(frames).toHaveLength(4);
    expect(frames[1]).toMatch(/^epoch 2\/10 \[.*step 126\/1250/);
    // Batches 2 and 3 (128 samples) in the 190 ms since batch 1; 3 steps in 200 ms leave 1,122 steps, 74.8 s.
    expect(frames[2]).toMatch(/step 128\/1250  loss 0\.3811  acc 0\.8912  674 samples\/s  1:15 left$/);
    expect(frames[3]).toBe(`${formatEpoch(epoch, 10)}\n`);
  });
});

describe("an epoch's line", () => {
  it("has the epoch, the losses and accuracies, the throughput and the time", () => {
    expect(formatEpoch(epoch, 10)).toBe("epoch  3/10  loss 0.3039  acc 0.9120  val_loss 0.2889  val_acc 0.9130  9,490 samples/s  0.99s");
    expect(formatEpoch({ ...epoch, accuracy: null, val_loss: null, val_accuracy: null, loss: 1.3e63 }, null)).toBe("epoch 3  loss 1.300e+63  9,490 samples/s  0.99s");
  });
});

describe("nnc train's output", () => {
  it("on a terminal draws the bar; elsewhere prints one plain line per epoch", async () => {
    const p = xorProject();
    const onTerminal = await nncOn({ isTTY: true, columns: 100 }, "train", p.model, "--data", p.data, "--epochs", "3");
    expect(onTerminal.code).toBe(0);
    expect(onTerminal.stdout).toContain("\r\x1b[Kepoch 1/3 [");
    expect(onTerminal.stdout).toMatch(/\r\x1b\[Kepoch 3\/3  loss \d\.\d{4}  acc \d\.\d{4}  /);
    const inPipe = await nncOn({ isTTY: false }, "train", p.model, "--data", p.data, "--epochs", "3");
    expect(inPipe.stdout).not.toContain("\r");
    expect(inPipe.stdout.split("\n").filter((l) => l.startsWith("epoch"))).toHaveLength(3);
  });
});
