// The training report: every user string escaped by one function, bounded epoch records, and
// `nnc train --report` / `nnc eval --report` end to end (sections, classifier tables, the
// output-path guard).
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { escapeHtml } from "../../compiler/report/escape.js";
import { EpochRecorder, renderReport, type ReportEpoch } from "../../compiler/report/report.js";
import { nnc, xorProject } from "../cli/run-nnc.js";

/** Every tag the report may contain: a hostile name that became markup would add another. */
const REPORT_TAGS = new Set(["html", "head", "meta", "title", "style", "body", "h1", "h2", "section", "table", "tr", "th", "td", "p", "div", "svg", "text", "line", "rect", "polyline", "circle"]);
const tagsOf = (html: string) => new Set([...html.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase()));

const HOSTILE = `<script>alert("x")</script><img src=x onerror='alert(1)'>&amp;`;

describe("escapeHtml", () => {
  it("escapes the five characters that matter in content and quoted attributes", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  });
});

describe("renderReport", () => {
  const epoch = (n: number): ReportEpoch => ({ epoch: n, loss: 1 / n, accuracy: 0.5, val_loss: null, val_accuracy: null, samples_per_sec: 1000, lr: 0.1 });

  it("escapes hostile model, layer, tensor, file and class names everywhere they appear", () => {
    const html = renderReport({
      kind: "training",
      summary: { name: HOSTILE, layers: [{ name: HOSTILE, op: HOSTILE, shape: [null, 3], params: 12 }], params: [{ name: HOSTILE, shape: [3], trainable: true }], total: 12, trainable: 12 },
      facts: [[HOSTILE, HOSTILE]],
      epochs: [epoch(1), epoch(2)],
      classification: { split: HOSTILE, result: { labels: [HOSTILE, "b"], matrix: [[1, 0], [0, 1]], perClass: [1, 1], accuracy: 1, samples: 2, worst: [] } },
      generated: HOSTILE,
    });
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("onerror='");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect([...tagsOf(html)].filter((t) => !REPORT_TAGS.has(t))).toEqual([]);
  });

  it("has no curves for an evaluation, and no classifier sections without a classification", () => {
    const html = renderReport({
      kind: "evaluation",
      summary: { name: "M", layers: [], params: [], total: 0, trainable: 0 },
      facts: [],
      evaluation: { loss: 0.5, accuracy: null, samples: 4, split: "test" },
      generated: "now",
    });
    expect(html).toContain('id="evaluation"');
    for (const id of ["curves", "epochs", "confusion", "per-class"]) expect(html).not.toContain(`id="${id}"`);
  });
});

describe("EpochRecorder", () => {
  it("keeps a bounded, evenly thinned record of a very long run, its first and last epochs included", () => {
    const recorder = new EpochRecorder(100);
    for (let n = 1; n <= 100_000; n++) recorder.add({ epoch: n, loss: 1, accuracy: null, val_loss: null, val_accuracy: null, samples_per_sec: 1, lr: null });
    const kept = recorder.epochs.map((e) => e.epoch);
    expect(kept.length).toBeLessThanOrEqual(201);
    expect(kept.length).toBeGreaterThanOrEqual(100);
    expect(kept[0]).toBe(1);
    expect(kept[kept.length - 1]).toBe(100_000);
    expect([...kept].sort((a, b) => a - b)).toEqual(kept);
  });

  it("keeps every epoch of a short run", () => {
    const recorder = new EpochRecorder(100);
    for (let n = 1; n <= 150; n++) recorder.add({ epoch: n, loss: 1, accuracy: null, val_loss: null, val_accuracy: null, samples_per_sec: 1, lr: null });
    expect(recorder.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
  });
});

describe("nnc train --report and nnc eval --report", () => {
  it("writes the xor run's report: curves, epochs, a 2-class confusion matrix, the summary; a hostile file name stays text", async () => {
    const p = xorProject();
    const model = p.at(`<img src=x onerror=alert(1)>.nn`);
    copyFileSync(p.model, model);
    const report = p.at("report.html");
    const r = await nnc("train", model, "--data", p.data, "--epochs", "30", "--report", report, "--save", p.at("xor.safetensors"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote the report ${report}\n`);
    const html = readFileSync(report, "utf8");
    for (const id of ["curves", "epochs", "confusion", "per-class", "summary"]) expect(html).toContain(`id="${id}"`);
    expect(html.match(/<tr><td>\d+<\/td>/g)).toHaveLength(30);
    expect(html).toContain("Training report: Xor");
    expect(html).toContain("training data (no held-out data)");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;.nn");
    expect([...tagsOf(html)].filter((t) => !REPORT_TAGS.has(t))).toEqual([]);

    const evaluated = p.at("eval.html");
    const e = await nnc("eval", p.model, "--data", p.data, "--weights", p.at("xor.safetensors"), "--report", evaluated);
    expect(e).toMatchObject({ code: 0, stderr: "" });
    const eh = readFileSync(evaluated, "utf8");
    expect(eh).toContain("Evaluation report: Xor");
    for (const id of ["evaluation", "confusion", "per-class", "summary"]) expect(eh).toContain(`id="${id}"`);
    expect(eh).not.toContain('id="curves"');
  });

  it("refuses a report path that is one of the run's inputs, before training", async () => {
    const p = xorProject();
    const before = readFileSync(p.data, "utf8");
    const r = await nnc("train", p.model, "--data", p.data, "--report", p.data);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--report .*xor\.csv is the same file as --data/);
    expect(readFileSync(p.data, "utf8")).toBe(before);
    const trained = await nnc("train", p.model, "--data", p.data, "--epochs", "1", "--save", p.at("w.safetensors"), "--quiet");
    expect(trained.code).toBe(0);
    const e = await nnc("eval", p.model, "--data", p.data, "--weights", p.at("w.safetensors"), "--report", p.model);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/--report .*xor\.nn is the same file as the model/);
    expect(existsSync(p.model)).toBe(true);
  });

  it("writes a 10-class confusion matrix and per-class accuracy for a short mnist run, on the held-out digits", async () => {
    const p = xorProject();
    copyFileSync(new URL("../../examples/mnist_mlp.nn", import.meta.url), p.at("mnist_mlp.nn"));
    const report = p.at("mnist.html");
    const r = await nnc("train", p.at("mnist_mlp.nn"), "--data", "mnist", "--steps", "30", "--report", report, "--quiet");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const html = readFileSync(report, "utf8");
    expect(html).toMatch(/Confusion matrix \(held-out data, 2,000 samples/);
    const confusion = html.slice(html.indexOf('<table class="confusion">'), html.indexOf("</table>", html.indexOf('<table class="confusion">')));
    expect(confusion.match(/<tr>/g)).toHaveLength(11);
    const perClass = html.slice(html.indexOf('<table class="per-class">'));
    expect(perClass.slice(0, perClass.indexOf("</table>")).match(/<tr>/g)).toHaveLength(11);
  });
});
