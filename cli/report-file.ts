// `--report OUT.html` of `nnc train` and `nnc eval`: gathers what the report shows (the
// epochs as they end, the model summary, the classifier's confusion matrix on the held-out
// data) and writes the file atomically. The HTML itself is compiler/report/report.ts.

import type { Dataset } from "../runtime/data.js";
import type { CompiledModel } from "../runtime/model.js";
import type { EpochMetrics, EvaluationResult } from "../runtime/train.js";
import { writeFileAtomic } from "../runtime/node/files.js";
import type { ModelGraph } from "../compiler/graph.js";
import { classifierShape, classify } from "../compiler/report/classification.js";
import { EpochRecorder, renderReport, type ReportInput } from "../compiler/report/report.js";
import { summarise } from "../compiler/summary.js";
import type { OptionSpec } from "./args.js";

export const reportOption: OptionSpec = {
  name: "report",
  kind: "string",
  valueName: "OUT.html",
  doc: "write a self-contained HTML report (curves, model summary, confusion matrix for classifiers)",
};

/** The data a classifier's confusion matrix is computed on, and what to call it. */
export interface ReportData {
  data: Dataset;
  split: string;
}

/** Records a training run's epochs (with the learning rate) for its report. */
export function recordEpochs(model: CompiledModel): { recorder: EpochRecorder; onEpoch: (m: EpochMetrics) => void } {
  const recorder = new EpochRecorder();
  return {
    recorder,
    onEpoch: (m) =>
      recorder.add({
        epoch: m.epoch,
        loss: m.loss,
        accuracy: m.accuracy,
        val_loss: m.val_loss,
        val_accuracy: m.val_accuracy,
        samples_per_sec: m.samples_per_sec,
        lr: model.optimizer?.currentLr() ?? null,
      }),
  };
}

export function writeReport(
  path: string,
  run: { kind: ReportInput["kind"]; graph: ModelGraph; model: CompiledModel; facts: [string, string][]; epochs?: EpochRecorder; evaluation?: EvaluationResult & { split: string }; data: ReportData | null },
): void {
  const shape = classifierShape(run.model.info);
  const input: ReportInput = {
    kind: run.kind,
    summary: summarise(run.graph),
    facts: run.facts,
    generated: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    ...(run.epochs ? { epochs: run.epochs.epochs } : {}),
    ...(run.evaluation ? { evaluation: run.evaluation } : {}),
    ...(shape !== null && run.data !== null ? { classification: { result: classify(run.model, run.data.data, shape), split: run.data.split } } : {}),
  };
  writeFileAtomic(path, renderReport(input));
}
