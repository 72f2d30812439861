// The playground in a real browser: built into a temporary folder, served by our server, and
// driven in Debian's Chromium as a user would: a shape error shows at its line and goes away
// when fixed, mnist_mlp trains for one epoch in the page on the WebAssembly SIMD kernels (the
// default; on a thread per core, as the server makes the page cross-origin isolated) to over
// 85% held-out accuracy, a digit drawn on the canvas gets a prediction, and the pause/resume
// run goes on the JavaScript kernels picked in the page's menu. Nothing is fetched but the
// page's own files (the wasm bytes are inside the compiled module). A screenshot is saved in
// test-artifacts/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPlayground } from "../../playground/tools/build.js";
import { startServer } from "../../playground/tools/serve.js";
import { decodeSafetensors } from "../../runtime/safetensors.js";
import { artifactsDir, collectErrors, launchChromium } from "./chromium.js";

let out: string;
let server: Server;
let url: string;
let browser: Browser;
let page: Page;
let errors: string[];
let requests: string[];
/** samples/s the page showed after each back end's run, for the report. */
const samplesPerSec: Record<string, string> = {};

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "nnc-playground-"));
  await buildPlayground(out);
  ({ server, url } = await startServer(out));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  errors = collectErrors(page);
  requests = [];
  page.on("request", (request) => requests.push(request.url()));
  await page.goto(url);
  await page.waitForSelector("#summary table");
});

afterAll(async () => {
  if (Object.keys(samplesPerSec).length > 0) console.log(`playground samples/s: ${JSON.stringify(samplesPerSec)}`);
  await browser?.close();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  if (out) rmSync(out, { recursive: true, force: true });
});

const diagnosticLines = (p: Page) => p.$$eval("#diagnostics li", (items) => items.map((li) => ({ line: Number(li.getAttribute("data-line")), text: li.textContent ?? "" })));

describe("the playground in Chromium", () => {
  it("opens on mnist_mlp with no diagnostics and its layer summary", async () => {
    expect(await page.inputValue("#examples")).toBe("mnist_mlp");
    expect(await page.inputValue("#backend")).toBe("wasm");
    expect(await diagnosticLines(page)).toEqual([]);
    const summary = await page.textContent("#summary");
    expect(summary).toContain("hidden.dense_0");
    expect(summary).toContain("Total params: 101,770");
  });

  it("shows a shape error at its line, underlined, and clears it once fixed", async () => {
    const original = await page.inputValue("textarea.code");
    const lines = original.split("\n");
    const outputLine = lines.findIndex((l) => l.includes("output logits")) + 1;
    const broken = original.replace("hidden |> dense(10)", "hidden + image |> dense(10)");
    expect(broken).not.toBe(original);
    await page.fill("textarea.code", broken);
    await page.waitForSelector("#diagnostics li");
    const found = await diagnosticLines(page);
    expect(found.map((d) => d.line)).toContain(outputLine);
    expect(found.find((d) => d.line === outputLine)!.text).toMatch(/128.*784|784.*128/);
    expect(await page.$$eval(".marks .mark.error", (marks) => marks.length)).toBeGreaterThan(0);
    expect(await page.$eval(".gutter .has-error", (el) => el.textContent)).toBe(String(outputLine));
    expect(await page.isDisabled("#train")).toBe(true);

    await page.fill("textarea.code", original);
    await page.waitForFunction(`document.querySelectorAll("#diagnostics li").length === 0`);
    expect(await page.isDisabled("#train")).toBe(false);
  });

  it("shows a binding's shape on hover", async () => {
    const box = (await page.locator("textarea.code").boundingBox())!;
    // Line 6 is `  hidden = image`; "hidden" starts at column 3. The editor's font is 13px monospace, 20px lines, 8px padding.
    // In the page (a string: these tests are typed for Node, not the DOM).
    const charWidth = (await page.evaluate(
      `(() => { const probe = document.createElement("span"); probe.style.font = getComputedStyle(document.querySelector("textarea.code")).font;
        probe.textContent = "M".repeat(20); document.body.append(probe); const width = probe.getBoundingClientRect().width / 20; probe.remove(); return width; })()`,
    )) as number;
    await page.mouse.move(box.x + 8 + 4 * charWidth, box.y + 8 + 5 * 20 + 10);
    await page.waitForSelector(".tooltip:not([hidden])");
    expect(await page.textContent(".tooltip")).toContain("[128]");
  });

  it("completes a layer name with Ctrl+Space", async () => {
    const original = await page.inputValue("textarea.code");
    const partial = original.replace("|> relu", "|> rel");
    await page.fill("textarea.code", partial);
    const caret = partial.indexOf("|> rel") + "|> rel".length;
    await page.evaluate(`(() => { const t = document.querySelector("textarea.code"); t.focus(); t.setSelectionRange(${caret}, ${caret}); })()`);
    await page.keyboard.press("Control+Space");
    await page.waitForSelector(".completions:not([hidden]) li");
    const labels = await page.$$eval(".completions li", (items) => items.map((li) => li.textContent!.split(" ")[0]));
    expect(labels).toContain("relu");
    expect(labels.every((l) => l!.startsWith("rel"))).toBe(true);
    while ((await page.textContent(".completions li.chosen"))!.split(" ")[0] !== "relu") await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    expect(await page.inputValue("textarea.code")).toBe(original);
    await page.waitForFunction(`document.querySelectorAll("#diagnostics li").length === 0`);
  });

  it("trains mnist_mlp for one epoch in a worker on WebAssembly SIMD to over 85% held-out accuracy, then predicts a drawn digit", async () => {
    await page.fill("#epochs", "1");
    await page.click("#train");
    await page.waitForFunction(`document.body.dataset.state === "done" || document.querySelector("#run-status").classList.contains("error")`, null, { timeout: 90_000 });
    expect(await page.textContent("#run-status")).toMatch(/^done: 125 steps in [\d.]+ s$/);
    expect(await page.textContent("#backend-running")).toBe("WebAssembly SIMD");
    // The server makes the page cross-origin isolated, so the kernels run on a thread per core.
    expect(await page.evaluate("crossOriginIsolated")).toBe(true);
    const cores = (await page.evaluate("navigator.hardwareConcurrency")) as number;
    expect(await page.getAttribute("#backend-running", "data-threads")).toBe(String(cores));
    samplesPerSec.wasm = (await page.textContent("#samples-per-sec"))!;
    expect(Number(samplesPerSec.wasm.replace(/,/g, ""))).toBeGreaterThan(0);
    const accuracy = Number((await page.textContent("#val-accuracy"))!.replace("%", ""));
    expect(accuracy).toBeGreaterThan(85);
    expect(await page.$$eval(".confusion tr", (rows) => rows.length)).toBe(11);
    expect(await page.$$eval("#worst figure", (figures) => figures.length)).toBe(24);
    expect(await page.$$eval("#loss-chart polyline", (lines) => lines.length)).toBeGreaterThan(0);

    // A vertical stroke: a 1.
    const canvas = page.locator("#draw");
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width / 2, box.y + box.height * (0.15 + 0.07 * i));
    await page.mouse.up();
    await page.waitForSelector("#predicted-digit");
    const probabilities = await page.$$eval("#probabilities .bar span:last-child", (spans) => spans.map((s) => Number(s.textContent!.replace("%", ""))));
    expect(probabilities).toHaveLength(10);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
    expect(await page.textContent("#predicted-digit")).toBe("1");

    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: fileURLToPath(new URL("playground.png", artifactsDir)), fullPage: true });
  });

  it("downloads the trained checkpoint and the compiled TypeScript module", async () => {
    const [checkpoint] = await Promise.all([page.waitForEvent("download"), page.click("#download-checkpoint")]);
    expect(checkpoint.suggestedFilename()).toBe("MnistMlp.safetensors");
    const bytes = new Uint8Array(readFileSync((await checkpoint.path())!));
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata.model).toBe("MnistMlp");
    expect(tensors.get("hidden.dense_0.weight")?.shape).toEqual([128, 784]);

    const [module] = await Promise.all([page.waitForEvent("download"), page.click("#download-module")]);
    expect(module.suggestedFilename()).toBe("MnistMlp.ts");
    const text = readFileSync((await module.path())!, "utf8");
    expect(text).toContain('from "neuron/runtime"');
    expect(text).toContain("export class MnistMlp");
    // The module that ran: its WebAssembly kernels inside, as base64, not fetched.
    expect(text).toMatch(/new WasmKernelModule\(\s*"AGFzbQ[A-Za-z0-9+/=]+"/);
    expect(text).not.toMatch(/fetch\(|\.wasm\b/);
  });

  it("pauses and resumes a run on the JavaScript kernels, which then ends with every step taken", async () => {
    await page.selectOption("#backend", "js");
    await page.fill("#epochs", "2");
    await page.click("#train");
    await page.waitForFunction(`document.querySelector("#epoch").textContent !== "–"`);
    await page.click("#pause");
    await page.waitForFunction(`document.body.dataset.state === "paused"`, null, { timeout: 30_000 });
    const paused = Number(/^paused at step (\d+)/.exec((await page.textContent("#run-status"))!)![1]);
    expect(paused).toBeGreaterThan(0);
    expect(paused).toBeLessThan(250);
    expect(await page.textContent("#pause")).toBe("Resume");
    await page.click("#pause");
    await page.waitForFunction(`document.body.dataset.state === "done"`, null, { timeout: 90_000 });
    expect(await page.textContent("#run-status")).toMatch(/^done: 250 steps/);
    expect(await page.textContent("#epoch")).toBe("2");
    expect(await page.textContent("#backend-running")).toBe("JavaScript");
    expect(await page.getAttribute("#backend-running", "data-threads")).toBe("1");
    expect(Number((await page.textContent("#val-accuracy"))!.replace("%", ""))).toBeGreaterThan(85);
    samplesPerSec.js = (await page.textContent("#samples-per-sec"))!;

    const [module] = await Promise.all([page.waitForEvent("download"), page.click("#download-module")]);
    expect(readFileSync((await module.path())!, "utf8")).not.toContain("WasmKernelModule");
  });

  it("says why a model asked for WebAssembly runs on JavaScript kernels (xor: no layer has a wasm kernel)", async () => {
    await page.selectOption("#backend", "wasm");
    await page.selectOption("#examples", "xor");
    await page.fill("#epochs", "1");
    await page.click("#train");
    await page.waitForFunction(`document.body.dataset.state === "done" || document.querySelector("#run-status").classList.contains("error")`, null, { timeout: 30_000 });
    expect(await page.textContent("#run-status")).toMatch(/^done: /);
    expect(await page.textContent("#backend-running")).toBe("JavaScript");
    expect(await page.textContent("#backend-note")).toMatch(/^JavaScript kernels: none of Xor's layers has a WebAssembly kernel yet/);
    expect(await page.isVisible("#backend-note")).toBe(true);
  });

  it("fetched nothing but the page's own files", () => {
    const files = new Set(requests.filter((r) => !r.startsWith("blob:") && !r.startsWith("data:")).map((r) => new URL(r).pathname));
    expect([...files].sort()).toEqual(["/", "/main.js", "/mnist.bin", "/runtime.js", "/style.css", "/worker.js"]);
    expect(requests.every((r) => r.startsWith(url) || r.startsWith("blob:") || r.startsWith("data:"))).toBe(true);
  });

  it("logged no errors in the console", () => {
    expect(errors).toEqual([]);
  });
});
