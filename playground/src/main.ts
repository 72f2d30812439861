// The playground page: the editor with the checker's diagnostics and the language server's
// hover and completion (its providers, run in the page), the examples, the model summary,
// and the training worker's curves, confusion matrix, worst digits and live predictions.

import { TextDocument } from "vscode-languageserver-textdocument";
import examples from "neuron-playground:examples";
import { lineChart, SERIES_COLORS, confusionTable, type Series } from "../../compiler/report/charts.js";
import { escapeHtml } from "../../compiler/report/escape.js";
import { summaryTable } from "../../compiler/report/report.js";
import { summarise } from "../../compiler/summary.js";
import { Analysis } from "../../lsp/server/documents.js";
import { CompletionProvider } from "../../lsp/server/completion.js";
import { HoverProvider } from "../../lsp/server/hover.js";
import { DigitCanvas, digitImage } from "./drawing.js";
import { Editor } from "./editor.js";
import type { EpochPoint, FromWorker, ToWorker } from "./protocol.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const hoverProvider = new HoverProvider();
const completionProvider = new CompletionProvider();
let analysis: Analysis | null = null;
let version = 0;
let checkTimer: ReturnType<typeof setTimeout> | undefined;

const editor = new Editor($("editor"), {
  onChange: () => {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, 150);
  },
  hoverAt: (offset) => {
    const current = currentAnalysis();
    const hover = hoverProvider.hover(current, current.positionAt(offset));
    const contents = hover?.contents;
    return contents !== undefined && typeof contents === "object" && "value" in contents ? contents.value : null;
  },
  completionsAt: (offset) => {
    const current = currentAnalysis();
    return completionProvider.complete(current, current.positionAt(offset)).map((item) => ({
      label: item.label,
      ...(item.detail !== undefined ? { detail: item.detail } : {}),
      insertText: item.insertText ?? item.label,
    }));
  },
});

function currentAnalysis(): Analysis {
  if (analysis === null || analysis.text !== editor.text) analysis = new Analysis(TextDocument.create("playground.nn", "nn", ++version, editor.text));
  return analysis;
}

/** Checks the text: diagnostics under the code and in the list, and the summary of each model. */
function check(): void {
  clearTimeout(checkTimer);
  const started = performance.now();
  const result = currentAnalysis().result;
  const ms = performance.now() - started;
  editor.setDiagnostics(result.diagnostics);
  const list = $("diagnostics");
  list.innerHTML = result.diagnostics
    .map(
      (d) =>
        `<li class="${d.severity}" data-line="${d.range.start.line}" data-code="${escapeHtml(d.code)}">line ${d.range.start.line}, column ${d.range.start.column}: ` +
        `${escapeHtml(d.message)} <span class="muted">${escapeHtml(d.code)}</span></li>`,
    )
    .join("");
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  $("check-status").textContent = `${errors === 0 ? "no errors" : `${errors} error${errors === 1 ? "" : "s"}`} · checked in ${ms.toFixed(0)} ms`;
  $("summary").innerHTML = result.models.length === 0 ? '<p class="muted">No error-free model to summarise.</p>' : result.models.map((m) => `<h3>${escapeHtml(m.name)}</h3>${summaryTable(summarise(m))}`).join("");
  $<HTMLButtonElement>("train").disabled = errors > 0 || result.models.length === 0;
}

$("diagnostics").addEventListener("click", (e) => {
  const item = (e.target as HTMLElement).closest("li");
  if (item?.dataset.line !== undefined) editor.goToLine(Number(item.dataset.line));
});

const menu = $<HTMLSelectElement>("examples");
menu.innerHTML = examples.map((e) => `<option value="${escapeHtml(e.name)}">${escapeHtml(e.name)}.nn</option>`).join("");
menu.addEventListener("change", () => {
  editor.text = examples.find((e) => e.name === menu.value)?.text ?? "";
  check();
});
const initial = examples.find((e) => e.name === "mnist_mlp") ?? examples[0];
if (initial !== undefined) {
  menu.value = initial.name;
  editor.text = initial.text;
}
check();

// Training.
let worker = startWorker();
const send = (message: ToWorker, transfer: Transferable[] = []) => worker.postMessage(message, transfer);
let typescriptModule: { name: string; text: string } | null = null;
let trainPoints: [number, number, number | null][] = [];
let epochs: EpochPoint[] = [];
let state: "idle" | "running" | "paused" | "done" = "idle";

const BACKEND_NAMES = { wasm: "WebAssembly SIMD", js: "JavaScript" } as const;
const percent = (x: number | null) => (x === null ? "–" : `${(100 * x).toFixed(2)}%`);
const fixed = (x: number | null) => (x === null ? "–" : x.toFixed(4));

function setState(next: typeof state, message?: string): void {
  state = next;
  const pause = $<HTMLButtonElement>("pause");
  pause.disabled = next === "idle" || next === "done";
  pause.textContent = next === "paused" ? "Resume" : "Pause";
  $<HTMLButtonElement>("train").textContent = next === "running" || next === "paused" ? "Restart" : "Train";
  $<HTMLButtonElement>("download-checkpoint").disabled = next === "idle";
  document.body.dataset.state = next;
  if (message !== undefined) $("run-status").textContent = message;
}

let chartsPending = false;

/** Redraws the charts at the next frame, once however many messages arrived meanwhile. */
function drawCharts(): void {
  if (chartsPending) return;
  chartsPending = true;
  requestAnimationFrame(() => {
    chartsPending = false;
    redrawCharts();
  });
}

function redrawCharts(): void {
  const train = (pick: 1 | 2): Series["points"] => trainPoints.map((p) => [p[0], p[pick]] as const);
  const loss: Series[] = [
    { label: "training", color: SERIES_COLORS.train, points: train(1) },
    { label: "validation", color: SERIES_COLORS.validation, dashed: true, points: epochs.map((e) => [e.epoch, e.val_loss] as const) },
  ];
  const accuracy: Series[] = [
    { label: "training", color: SERIES_COLORS.train, points: train(2) },
    { label: "validation", color: SERIES_COLORS.validation, dashed: true, points: epochs.map((e) => [e.epoch, e.val_accuracy] as const) },
  ];
  $("loss-chart").innerHTML = lineChart(loss, { title: "Loss", xLabel: "epoch", width: 380, height: 220 });
  $("accuracy-chart").innerHTML = lineChart(accuracy, { title: "Accuracy", xLabel: "epoch", yRange: [0, 1], formatY: (y) => `${Math.round(100 * y)}%`, width: 380, height: 220 });
}

$("train").addEventListener("click", () => {
  const number = (id: string) => Number($<HTMLInputElement>(id).value);
  trainPoints = [];
  epochs = [];
  for (const id of ["epoch", "loss", "accuracy", "val-loss", "val-accuracy", "samples-per-sec", "backend-running"]) $(id).textContent = "–";
  $("confusion").innerHTML = "";
  $("worst").innerHTML = "";
  $("backend-note").hidden = true;
  drawCharts();
  // A new run starts from a fresh worker: the old one may be mid-step.
  if (state === "running" || state === "paused") {
    worker.terminate();
    worker = startWorker();
  }
  $("run-status").classList.remove("error");
  setState("running", "compiling…");
  const backend = $<HTMLSelectElement>("backend").value === "js" ? "js" : "wasm";
  send({ type: "train", source: editor.text, epochs: number("epochs"), batch: number("batch"), seed: number("seed"), trainSize: number("train-size"), backend });
});

$("pause").addEventListener("click", () => {
  if (state === "running") send({ type: "pause" });
  else if (state === "paused") {
    setState("running", "training…");
    send({ type: "resume" });
  }
});

$("download-checkpoint").addEventListener("click", () => send({ type: "checkpoint" }));
$("download-module").addEventListener("click", () => {
  if (typescriptModule !== null) download(new Blob([typescriptModule.text], { type: "text/typescript" }), typescriptModule.name);
});

function download(blob: Blob, name: string): void {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

const canvas = new DigitCanvas($<HTMLCanvasElement>("draw"), (pixels) => send({ type: "predict", pixels }));
$("clear").addEventListener("click", () => {
  canvas.clear();
  $("probabilities").innerHTML = "";
  $("prediction").textContent = "Draw with the mouse.";
});

function startWorker(): Worker {
  const created = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
  created.onmessage = (event: MessageEvent<FromWorker>) => receive(event.data);
  created.onerror = (event) => {
    setState("idle", `the training worker failed: ${event.message}`);
    $("run-status").classList.add("error");
  };
  return created;
}

function receive(m: FromWorker): void {
  switch (m.type) {
    case "compiled":
      typescriptModule = { name: `${m.model.replace(/[^\w.-]/g, "_")}.ts`, text: m.typescript };
      $<HTMLButtonElement>("download-module").disabled = false;
      $("mnist").hidden = m.data !== "mnist";
      $("backend-running").textContent = BACKEND_NAMES[m.backend];
      $("backend-running").dataset.backend = m.backend;
      $("backend-running").dataset.threads = String(m.threads);
      $("backend-running").title = `${m.threads} thread${m.threads === 1 ? "" : "s"}`;
      $("backend-note").hidden = m.note === null;
      $("backend-note").textContent = m.note === null ? "" : `JavaScript kernels: ${m.note}.`;
      setState(
        "running",
        `training ${m.model} on ${m.trainSize.toLocaleString("en-US")} ${m.data} samples${m.validationSize > 0 ? ` (held out: ${m.validationSize.toLocaleString("en-US")})` : ""}` +
          ` with ${BACKEND_NAMES[m.backend]} kernels${m.threads > 1 ? ` on ${m.threads} threads` : ""}…${m.note !== null ? ` (${m.note})` : ""}`,
      );
      break;
    case "progress":
      trainPoints.push([m.fraction, m.loss, m.accuracy]);
      $("epoch").textContent = m.fraction.toFixed(2);
      $("loss").textContent = fixed(m.loss);
      $("accuracy").textContent = percent(m.accuracy);
      $("samples-per-sec").textContent = Math.round(m.samplesPerSec).toLocaleString("en-US");
      drawCharts();
      break;
    case "epoch":
      epochs.push(m.metrics);
      trainPoints.push([m.metrics.epoch, m.metrics.loss, m.metrics.accuracy]);
      $("epoch").textContent = String(m.metrics.epoch);
      $("loss").textContent = fixed(m.metrics.loss);
      $("accuracy").textContent = percent(m.metrics.accuracy);
      $("val-loss").textContent = fixed(m.metrics.val_loss);
      $("val-accuracy").textContent = percent(m.metrics.val_accuracy);
      // 0 when the steps were too quick for the browser's coarse clock.
      $("samples-per-sec").textContent = m.metrics.samples_per_sec > 0 ? Math.round(m.metrics.samples_per_sec).toLocaleString("en-US") : "–";
      drawCharts();
      break;
    case "classification": {
      $("confusion").innerHTML = confusionTable(m.labels, m.matrix);
      const grid = $("worst");
      grid.innerHTML = "";
      for (const w of m.worst) {
        const figure = document.createElement("figure");
        figure.append(digitImage(w.pixels));
        const caption = document.createElement("figcaption");
        caption.textContent = `${w.label}→${w.predicted} (${(100 * w.trueProbability).toFixed(0)}%)`;
        figure.append(caption);
        grid.append(figure);
      }
      break;
    }
    case "paused":
      setState("paused", `paused at step ${m.step}; Resume continues exactly where it stopped`);
      break;
    case "done":
      setState("done", `done: ${m.steps.toLocaleString("en-US")} steps in ${m.seconds.toFixed(1)} s`);
      break;
    case "prediction": {
      const best = m.probabilities.indexOf(Math.max(...m.probabilities));
      $("prediction").innerHTML = `prediction: <strong id="predicted-digit">${best}</strong> (${(100 * m.probabilities[best]!).toFixed(1)}%)`;
      $("probabilities").innerHTML = m.probabilities
        .map((p, k) => `<div class="bar${k === best ? " top" : ""}" data-class="${k}"><span>${k}</span><span class="fill" style="width:${(160 * p).toFixed(1)}px"></span><span>${(100 * p).toFixed(1)}%</span></div>`)
        .join("");
      break;
    }
    case "checkpoint":
      download(new Blob([m.bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }), m.name);
      break;
    case "error":
      setState(state === "running" ? "idle" : state, m.message);
      $("run-status").classList.add("error");
      break;
  }
}
