// The training report: one self-contained HTML file (inline CSS and SVG, no script, nothing
// fetched) with the curves of a run, the model summary and, for a classifier, the confusion
// matrix and per-class accuracy. `nnc train --report` and `nnc eval --report` write it.

import type { ModelSummary } from "../summary.js";
import { confusionTable, lineChart, SERIES_COLORS, type Series } from "./charts.js";
import type { Classification } from "./classification.js";
import { escapeHtml } from "./escape.js";

/** One epoch as the report plots it: the runtime's metrics and the learning rate at the epoch's end. */
export interface ReportEpoch {
  epoch: number;
  loss: number;
  accuracy: number | null;
  val_loss: number | null;
  val_accuracy: number | null;
  samples_per_sec: number;
  lr: number | null;
}

export interface ReportInput {
  /** "Training report" or "Evaluation report". */
  kind: "training" | "evaluation";
  summary: ModelSummary;
  /** The .nn file, the data and the weights, as given on the command line. */
  facts: readonly (readonly [string, string])[];
  /** Training only; may be thinned out for very long runs (EpochRecorder). */
  epochs?: readonly ReportEpoch[];
  /** Loss and accuracy of the final weights on the evaluated data. */
  evaluation?: { loss: number; accuracy: number | null; samples: number; split: string };
  classification?: { result: Classification; split: string };
  /** When the report was made (an ISO date), shown at the bottom. */
  generated: string;
}

const thousands = new Intl.NumberFormat("en-US");

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;color:#222;max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border:1px solid #ddd;text-align:right}
th{background:#f5f5f5}td.name,th.name{text-align:left}.facts th{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}.confusion td{min-width:38px;text-align:center}
.muted{color:#777;font-size:12px}
`;

function percent(x: number | null): string {
  return x === null ? "–" : `${(100 * x).toFixed(2)}%`;
}

function number(x: number | null): string {
  return x === null ? "–" : Number.isFinite(x) ? String(Number(x.toPrecision(5))) : String(x);
}

/** The layers table of `nnc summary`, as HTML. */
export function summaryTable(summary: ModelSummary): string {
  const rows = summary.layers.map(
    (l) =>
      `<tr><td class="name">${escapeHtml(l.name)}</td><td class="name">${escapeHtml(l.op)}</td>` +
      `<td class="name">(${l.shape.map((d) => (d === null ? "None" : String(d))).join(", ")})</td><td>${thousands.format(l.params)}</td></tr>`,
  );
  return (
    `<table class="summary"><tr><th class="name">Layer</th><th class="name">Op</th><th class="name">Output shape</th><th>Params</th></tr>${rows.join("")}</table>` +
    `<p>Total params: ${thousands.format(summary.total)} · trainable: ${thousands.format(summary.trainable)} · non-trainable: ${thousands.format(summary.total - summary.trainable)}</p>`
  );
}

function curves(epochs: readonly ReportEpoch[]): string {
  const series = (label: string, pick: (e: ReportEpoch) => number | null, color: string, dashed = false): Series => ({
    label,
    color,
    dashed,
    points: epochs.map((e) => [e.epoch, pick(e)] as const),
  });
  const has = (pick: (e: ReportEpoch) => number | null) => epochs.some((e) => pick(e) !== null);
  const charts = [
    lineChart(
      [series("training", (e) => e.loss, SERIES_COLORS.train), ...(has((e) => e.val_loss) ? [series("validation", (e) => e.val_loss, SERIES_COLORS.validation, true)] : [])],
      { title: "Loss", xLabel: "epoch" },
    ),
  ];
  if (has((e) => e.accuracy) || has((e) => e.val_accuracy)) {
    const accuracy: Series[] = [];
    if (has((e) => e.accuracy)) accuracy.push(series("training", (e) => e.accuracy, SERIES_COLORS.train));
    if (has((e) => e.val_accuracy)) accuracy.push(series("validation", (e) => e.val_accuracy, SERIES_COLORS.validation, true));
    charts.push(lineChart(accuracy, { title: "Accuracy", xLabel: "epoch", yRange: [0, 1], formatY: (y) => `${Math.round(100 * y)}%` }));
  }
  if (has((e) => e.lr)) charts.push(lineChart([series("learning rate", (e) => e.lr, SERIES_COLORS.extra)], { title: "Learning rate", xLabel: "epoch" }));
  charts.push(lineChart([series("samples/s", (e) => e.samples_per_sec, SERIES_COLORS.extra)], { title: "Throughput (samples/s)", xLabel: "epoch" }));
  return `<div class="charts">${charts.join("")}</div>`;
}

function epochTable(epochs: readonly ReportEpoch[]): string {
  const rows = epochs.map(
    (e) =>
      `<tr><td>${e.epoch}</td><td>${number(e.loss)}</td><td>${percent(e.accuracy)}</td><td>${number(e.val_loss)}</td>` +
      `<td>${percent(e.val_accuracy)}</td><td>${number(e.lr)}</td><td>${thousands.format(Math.round(e.samples_per_sec))}</td></tr>`,
  );
  return `<table class="epochs"><tr><th>epoch</th><th>loss</th><th>accuracy</th><th>val loss</th><th>val accuracy</th><th>lr</th><th>samples/s</th></tr>${rows.join("")}</table>`;
}

function perClassTable(c: Classification): string {
  const rows = c.labels.map((label, k) => {
    const total = c.matrix[k]!.reduce((a, b) => a + b, 0);
    return `<tr><td class="name">${escapeHtml(label)}</td><td>${thousands.format(total)}</td><td>${percent(c.perClass[k] ?? null)}</td></tr>`;
  });
  return `<table class="per-class"><tr><th class="name">class</th><th>samples</th><th>accuracy</th></tr>${rows.join("")}</table>`;
}

export function renderReport(input: ReportInput): string {
  const name = escapeHtml(input.summary.name);
  const title = `${input.kind === "training" ? "Training" : "Evaluation"} report: ${name}`;
  const sections: string[] = [`<h1>${title}</h1>`];
  const facts = input.facts.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td class="name">${escapeHtml(v)}</td></tr>`);
  sections.push(`<table class="facts">${facts.join("")}</table>`);
  if (input.evaluation) {
    const e = input.evaluation;
    sections.push(
      `<section id="evaluation"><h2>Evaluation (${escapeHtml(e.split)}, ${thousands.format(e.samples)} samples)</h2>` +
        `<p>loss ${number(e.loss)}${e.accuracy !== null ? ` · accuracy ${percent(e.accuracy)}` : ""}</p></section>`,
    );
  }
  if (input.epochs && input.epochs.length > 0) {
    sections.push(`<section id="curves"><h2>Curves</h2>${curves(input.epochs)}</section>`);
    sections.push(`<section id="epochs"><h2>Epochs</h2>${epochTable(input.epochs)}</section>`);
  }
  if (input.classification) {
    const { result, split } = input.classification;
    sections.push(
      `<section id="confusion"><h2>Confusion matrix (${escapeHtml(split)}, ${thousands.format(result.samples)} samples, accuracy ${percent(result.accuracy)})</h2>` +
        `${confusionTable(result.labels, result.matrix)}</section>`,
    );
    sections.push(`<section id="per-class"><h2>Per-class accuracy</h2>${perClassTable(result)}</section>`);
  }
  sections.push(`<section id="summary"><h2>Model</h2>${summaryTable(input.summary)}</section>`);
  sections.push(`<p class="muted">Generated by nnc on ${escapeHtml(input.generated)}.</p>`);
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${title}</title><style>${CSS}</style></head><body>\n${sections.join("\n")}\n</body></html>\n`
  );
}

/**
 * Keeps the epochs a report plots in bounded memory: every epoch up to `limit`, then every
 * second, fourth, ... (the stride doubles each time the list fills), the last one always kept.
 */
export class EpochRecorder {
  private kept: ReportEpoch[] = [];
  private stride = 1;
  private last: ReportEpoch | null = null;
  constructor(private readonly limit = 1000) {}

  add(epoch: ReportEpoch): void {
    this.last = epoch;
    if ((epoch.epoch - 1) % this.stride !== 0) return;
    this.kept.push(epoch);
    if (this.kept.length >= 2 * this.limit) {
      this.stride *= 2;
      this.kept = this.kept.filter((e) => (e.epoch - 1) % this.stride === 0);
    }
  }

  get epochs(): ReportEpoch[] {
    const last = this.last;
    return last !== null && this.kept[this.kept.length - 1] !== last ? [...this.kept, last] : [...this.kept];
  }
}
