// How many threads a training run's kernels use, chosen by timing the run's own first steps.
// Two threads pay where a model's kernels are big (mnist_cnn's step 1.8x as fast as on one)
// and cost where its step is a few short calls whose data crosses between the cores
// (mnist_mlp at batch 64: 0.8x), and a machine busy with other work changes the answer. The
// results are the same bytes on any number of threads (runtime/threads.ts), so the steps
// timed are training steps like the others, and the choice changes nothing but the speed.
//
// After a warm-up (the workers start asynchronously, and the first steps compile and fill
// caches), blocks of steps alternate between all the threads and one; once each has had its
// rounds, the faster by median time per sample wins. All the threads win a tie within 2%: a
// busy moment should not leave a big model on one core.

/** What was chosen, and on what evidence. */
export interface ThreadChoice {
  /** The threads the kernels run on from now on. */
  threads: number;
  /** The most threads the model could use (the other candidate was 1). */
  most: number;
  /** Samples per second on `most` threads over those on one, median of the rounds. */
  speedup: number;
}

export interface ThreadChoiceOptions {
  /** Steps, and milliseconds, before any is timed: both must have passed (default 10 and 200). */
  warmupSteps?: number;
  warmupMs?: number;
  /** Steps a block runs on one setting (default 4). */
  blockSteps?: number;
  /** Blocks of each setting (default 3). */
  rounds?: number;
}

/** A model whose kernels can be limited to fewer threads (a wasm module created with several). */
export interface ThreadedModel {
  readonly threads?: number;
  useThreads?(threads: number): number;
}

/** Whether a model can run on more than one thread, so that there is a choice to make. */
export function hasThreadChoice(model: ThreadedModel): model is ThreadedModel & { useThreads(threads: number): number; threads: number } {
  return model.useThreads !== undefined && (model.threads ?? 1) > 1;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The choice as a training loop drives it: `beforeStep()` sets the threads for the coming step,
 * `afterStep(ms, samples)` records it and returns the choice once, when it is made (null
 * before and after).
 */
export class ThreadChooser {
  private readonly warmupSteps: number;
  private readonly warmupMs: number;
  private readonly blockSteps: number;
  private readonly rounds: number;
  private readonly most: number;
  private steps = 0;
  private warmedAt = -1;
  private elapsed = 0;
  /** Milliseconds and samples of the current block. */
  private blockMs = 0;
  private blockSamples = 0;
  private blockCount = 0;
  /** Milliseconds per sample of each finished block, on all the threads and on one. */
  private readonly times: { most: number[]; one: number[] } = { most: [], one: [] };
  private decided = false;

  constructor(
    private readonly model: { useThreads(threads: number): number; threads: number },
    options: ThreadChoiceOptions = {},
  ) {
    this.warmupSteps = options.warmupSteps ?? 10;
    this.warmupMs = options.warmupMs ?? 200;
    this.blockSteps = options.blockSteps ?? 4;
    this.rounds = options.rounds ?? 3;
    this.most = model.threads;
  }

  /** The blocks run so far (most, one, most, one, ...): which setting the current one is. */
  private get onOne(): boolean {
    return (this.times.most.length + this.times.one.length) % 2 === 1;
  }

  beforeStep(): void {
    if (this.decided || this.warmedAt < 0) return;
    this.model.useThreads(this.onOne ? 1 : this.most);
  }

  afterStep(ms: number, samples: number): ThreadChoice | null {
    if (this.decided) return null;
    this.steps++;
    if (this.warmedAt < 0) {
      this.elapsed += ms;
      if (this.steps >= this.warmupSteps && this.elapsed >= this.warmupMs) this.warmedAt = this.steps;
      return null;
    }
    this.blockMs += ms;
    this.blockSamples += samples;
    if (++this.blockCount < this.blockSteps) return null;
    (this.onOne ? this.times.one : this.times.most).push(this.blockMs / this.blockSamples);
    this.blockMs = this.blockSamples = this.blockCount = 0;
    if (this.times.one.length < this.rounds) return null;
    this.decided = true;
    const speedup = median(this.times.one) / median(this.times.most);
    const threads = this.model.useThreads(speedup >= 0.98 ? this.most : 1);
    return { threads, most: this.most, speedup };
  }
}
