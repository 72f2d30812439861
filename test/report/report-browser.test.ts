// Reports as a browser shows them: opened from disk in Chromium, they render with no console
// error, fetch nothing, and show their sections.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nnc, repositoryRoot } from "../cli/run-nnc.js";
import { collectErrors, launchChromium } from "../playground/chromium.js";

let dir: string;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nnc-report-"));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(path: string) {
  const page = await browser.newPage();
  const errors = collectErrors(page);
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(path).href);
  return { page, errors, requests };
}

describe("reports in Chromium", () => {
  it.each([
    ["xor", ["examples/xor.nn", "--data", "examples/xor.csv", "--epochs", "20"], 2],
    ["mnist_mlp", ["examples/mnist_mlp.nn", "--data", "mnist", "--steps", "20"], 10],
  ] as const)("%s: renders with no console errors, fetches nothing, and shows its curves, confusion matrix and summary", async (name, args, classes) => {
    const report = join(dir, `${name}.html`);
    const [model, ...rest] = args;
    const r = await nnc("train", join(repositoryRoot, model), ...rest.map((a) => (a.startsWith("examples/") ? join(repositoryRoot, a) : a)), "--report", report, "--quiet");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const { page, errors, requests } = await open(report);
    expect(await page.title()).toMatch(/^Training report: /);
    expect(await page.$$eval("section h2", (hs) => hs.map((h) => h.textContent!.split(" (")[0]))).toEqual(["Curves", "Epochs", "Confusion matrix", "Per-class accuracy", "Model"]);
    expect(await page.$$eval("#curves svg", (svgs) => svgs.length)).toBe(4);
    const width = await page.$eval("#curves svg", (svg) => svg.getBoundingClientRect().width);
    expect(width).toBeGreaterThan(100);
    expect(await page.$$eval(".confusion tr", (rows) => rows.length)).toBe(classes + 1);
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(report).href]);
    await page.close();
  });
});
