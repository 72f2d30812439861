// The messages between the page (main.ts) and the training worker (worker.ts).

export interface TrainRequest {
  type: "train";
  source: string;
  /** Which model of the text; the first when absent. */
  model?: string;
  epochs: number;
  batch: number;
  seed: number;
  /** Training digits to use (up to 8,000), for a quick run. */
  trainSize: number;
  /** The kernels asked for: "wasm" (WebAssembly SIMD where this engine has it) or "js". */
  backend: "wasm" | "js";
}

export type ToWorker =
  | TrainRequest
  | { type: "pause" }
  | { type: "resume" }
  | { type: "predict"; pixels: Float32Array }
  | { type: "checkpoint" };

export interface EpochPoint {
  epoch: number;
  loss: number;
  accuracy: number | null;
  val_loss: number | null;
  val_accuracy: number | null;
  samples_per_sec: number;
  lr: number;
  seconds: number;
}

export interface WorstDigit {
  /** 784 bytes, row-major 28x28. */
  pixels: Uint8Array;
  label: number;
  predicted: number;
  trueProbability: number;
}

export type FromWorker =
  | {
      type: "compiled";
      model: string;
      typescript: string;
      data: string;
      trainSize: number;
      validationSize: number;
      classes: string[] | null;
      /** The kernels the model runs: "wasm" when at least one of its ops runs in WebAssembly. */
      backend: "wasm" | "js";
      /** The threads the WebAssembly kernels run on: more than 1 only where the page is cross-origin isolated. */
      threads: number;
      /** Why the back end is not the one asked for, or null. */
      note: string | null;
    }
  | { type: "progress"; epoch: number; fraction: number; loss: number; accuracy: number | null; samplesPerSec: number }
  | { type: "epoch"; metrics: EpochPoint }
  | { type: "classification"; epoch: number; labels: string[]; matrix: number[][]; accuracy: number; worst: WorstDigit[] }
  | { type: "paused"; step: number }
  | { type: "done"; steps: number; seconds: number }
  | { type: "prediction"; probabilities: number[] }
  | { type: "checkpoint"; bytes: Uint8Array; name: string }
  | { type: "error"; message: string };
