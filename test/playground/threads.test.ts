// The wasm kernels on Web Workers in Debian's Chromium, served by the playground's server.
// Cross-origin isolated, on a page's main thread (where Atomics.wait throws, so the pool
// spins) and inside a dedicated worker (as the playground trains): mnist_mlp trains on 2
// threads to the same bytes (losses and weights) as on 1, its first step runs on the calling
// thread alone (the workers cannot start before it yields), and the workers then run split
// calls. A worker that cannot load (a page whose Content-Security-Policy allows no workers) is
// reported, not waited for. Not isolated: useWebWorkerThreads() says so in one line and the
// model runs on one thread, to the same bytes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import { emitModule } from "../../compiler/compile.js";
import { buildPlayground } from "../../playground/tools/build.js";
import { startServer } from "../../playground/tools/serve.js";
import { collectErrors, launchChromium } from "./chromium.js";

interface Run {
  threads: number;
  losses: number[];
  weights: string;
  /** The control words' generation after the first step and at the end (split calls the workers ran). */
  splitAfterFirst: number;
  splitAtEnd: number;
}

interface PageResult {
  available: boolean;
  isolated: boolean;
  runs: Run[];
}

let out: string;
let browser: Browser;
const servers: Server[] = [];

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "nnc-threads-"));
  await buildPlayground(out);
  // An empty page of the same origin: the runtime and the model are imported into it.
  writeFileSync(join(out, "blank.html"), "<!doctype html><title>threads</title><link rel=\"icon\" href=\"data:,\">");
  // The same page where no worker may load.
  writeFileSync(join(out, "no-workers.html"), "<!doctype html><meta http-equiv=\"Content-Security-Policy\" content=\"worker-src 'none'\"><title>threads</title><link rel=\"icon\" href=\"data:,\">");
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) await new Promise((done) => server.close(done));
  if (out) rmSync(out, { recursive: true, force: true });
});

/** In the page (a string: these tests are typed for Node, not the DOM): trains on each thread count, returns the bytes. */
function trainInPage(source: string, runtimeUrl: string, threadCounts: number[]): string {
  return `(async () => {
    const rt = await import(${JSON.stringify(runtimeUrl)});
    const available = rt.useWebWorkerThreads();
    const inits = [];
    const web = rt.kernelWorkerFactory();
    if (web !== null) rt.setKernelWorkerFactory((init) => { inits.push(init); return web(init); });
    const url = URL.createObjectURL(new Blob([${JSON.stringify(source)}], { type: "text/javascript" }));
    const mod = await import(url);
    let state = 1;
    const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const batch = (n, seed) => {
      state = seed;
      return { size: n, inputs: { image: Float32Array.from({ length: n * 784 }, random) }, targets: { digit: Int32Array.from({ length: n }, () => Math.floor(random() * 10)) } };
    };
    const hex = (a) => Array.from(new Uint8Array(a.slice().buffer), (b) => b.toString(16).padStart(2, "0")).join("");
    const runs = [];
    for (const threads of ${JSON.stringify(threadCounts)}) {
      inits.length = 0;
      const model = mod.create({ seed: 5, maxBatch: 64, threads });
      const control = () => (inits.length === 0 ? null : new Int32Array(inits[0].memory.buffer, inits[0].control, 5));
      const losses = [model.trainStep(batch(64, 1))];
      const splitAfterFirst = control() === null ? 0 : Atomics.load(control(), 0);
      const started = Date.now();
      while (control() !== null && Atomics.load(control(), 4) < threads - 1) {
        if (Date.now() - started > 30000) throw new Error("the kernel workers did not start in 30 s");
        await new Promise((done) => setTimeout(done, 10));
      }
      [37, 64, 5].forEach((n, step) => losses.push(model.trainStep(batch(n, 10 + step))));
      const weights = [...model.getWeights().values()].map(hex).join("|");
      runs.push({ threads: model.threads, losses, weights, splitAfterFirst, splitAtEnd: control() === null ? 0 : Atomics.load(control(), 0) });
      model.dispose();
    }
    return { available, isolated: globalThis.crossOriginIsolated === true, runs };
  })()`;
}

async function openPage(isolated: boolean, pageFile = "blank.html"): Promise<{ page: Page; errors: string[]; warnings: string[]; source: string; runtimeUrl: string }> {
  const { server, url } = await startServer(out, 0, { isolated });
  servers.push(server);
  const page = await browser.newPage();
  const errors = collectErrors(page);
  const warnings: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "warning") warnings.push(message.text());
  });
  await page.goto(`${url}${pageFile}`);
  const runtimeUrl = `${url}runtime.js`;
  const file = new URL("../../examples/mnist_mlp.nn", import.meta.url);
  const graph = checkText(readFileSync(file, "utf8"), "mnist_mlp.nn").models[0]!;
  const source = emitModule(graph, { language: "javascript", runtimeImport: runtimeUrl, backend: "wasm" });
  return { page, errors, warnings, source, runtimeUrl };
}

describe("kernel threads in Chromium", () => {
  it("cross-origin isolated: 2 Web Workers train mnist_mlp to the same bytes as 1 thread, and run the split calls", async () => {
    const { page, errors, warnings, source, runtimeUrl } = await openPage(true);
    const result = (await page.evaluate(trainInPage(source, runtimeUrl, [1, 2]))) as PageResult;
    expect(result.isolated).toBe(true);
    expect(result.available).toBe(true);
    const [one, two] = result.runs;
    expect(one!.threads).toBe(1);
    expect(two!.threads).toBe(2);
    expect(two!.losses).toEqual(one!.losses);
    expect(two!.losses.every(Number.isFinite)).toBe(true);
    expect(two!.weights === one!.weights).toBe(true);
    // The first step ran before the page yielded, so before the workers could start: on the page alone.
    expect(two!.splitAfterFirst).toBe(0);
    // The three steps after: each with split forward and backward calls.
    expect(two!.splitAtEnd).toBeGreaterThanOrEqual(3);
    expect(warnings.filter((w) => w.includes("cross-origin"))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("cross-origin isolated, in a Web Worker (as the playground trains, where Atomics.wait is allowed): the same", async () => {
    const { page, errors, source, runtimeUrl } = await openPage(true);
    const inWorker = `new Promise((done, fail) => {
      const code = ${JSON.stringify(`postMessage(await ${trainInPage(source, runtimeUrl, [1, 2])});`)};
      const worker = new Worker(URL.createObjectURL(new Blob([code], { type: "text/javascript" })), { type: "module" });
      worker.onmessage = (event) => done(event.data);
      worker.onerror = (event) => fail(new Error(event.message));
    })`;
    const result = (await page.evaluate(inWorker)) as PageResult;
    expect(result.isolated).toBe(true);
    const [one, two] = result.runs;
    expect([one!.threads, two!.threads]).toEqual([1, 2]);
    expect(two!.losses).toEqual(one!.losses);
    expect(two!.weights === one!.weights).toBe(true);
    expect(two!.splitAfterFirst).toBe(0);
    expect(two!.splitAtEnd).toBeGreaterThanOrEqual(3);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a worker that cannot load (a Content-Security-Policy without workers) is reported at the next split call, not waited for", async () => {
    const { page, source, runtimeUrl } = await openPage(true, "no-workers.html");
    const message = (await page.evaluate(`(async () => {
      const rt = await import(${JSON.stringify(runtimeUrl)});
      rt.useWebWorkerThreads();
      const mod = await import(URL.createObjectURL(new Blob([${JSON.stringify(source)}], { type: "text/javascript" })));
      const model = mod.create({ seed: 5, maxBatch: 64, threads: 2 });
      const batch = { size: 64, inputs: { image: new Float32Array(64 * 784).fill(0.5) }, targets: { digit: new Int32Array(64) } };
      const first = model.trainStep(batch);
      const started = Date.now();
      for (;;) {
        await new Promise((done) => setTimeout(done, 20));
        try {
          model.trainStep(batch);
        } catch (error) {
          return [Number.isFinite(first), error.message];
        }
        if (Date.now() - started > 30000) return [Number.isFinite(first), "never reported"];
      }
    })()`)) as [boolean, string];
    expect(message[0]).toBe(true);
    expect(message[1]).toMatch(/^a kernel worker thread failed; run with one thread/);
    await page.close();
  });

  it("not isolated: one thread, with a one-line note, to the same bytes", async () => {
    const { page, errors, warnings, source, runtimeUrl } = await openPage(false);
    const result = (await page.evaluate(trainInPage(source, runtimeUrl, [2]))) as PageResult;
    const isolated = (await (async () => {
      const other = await openPage(true);
      const r = (await other.page.evaluate(trainInPage(other.source, other.runtimeUrl, [1]))) as PageResult;
      await other.page.close();
      return r;
    })()) as PageResult;
    expect(result.isolated).toBe(false);
    expect(result.available).toBe(false);
    expect(result.runs[0]!.threads).toBe(1);
    expect(result.runs[0]!.losses).toEqual(isolated.runs[0]!.losses);
    expect(result.runs[0]!.weights === isolated.runs[0]!.weights).toBe(true);
    const notes = warnings.filter((w) => w.includes("cross-origin isolated"));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^note: .*one thread.*Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
    expect(notes[0]).not.toContain("\n");
    expect(errors).toEqual([]);
    await page.close();
  });
});
