// When and where documents are checked for their diagnostics. A check is scheduled a moment
// after an edit, so a burst of keystrokes is checked once; it runs on a worker thread, so the
// server keeps answering requests while it runs; a newer version of the document supersedes
// it (the worker is terminated mid-check); and a check that runs past its budget is stopped
// and reported, since a file that expensive would otherwise hold the thread forever.
import { Worker } from "node:worker_threads";
import type { CheckReply, CheckRequest } from "./analysis-worker.js";

export interface SchedulerOptions {
  /** How long after an edit the check starts, so that the edits of a burst are checked once. */
  debounceMs: number;
  /** How long one check may run before it is stopped. */
  budgetMs: number;
  /** The diagnostics of one version, called only for the newest version scheduled for that document. */
  onChecked: (reply: CheckReply) => void;
  /** The check of this version was stopped at its budget. */
  onTooExpensive: (uri: string, version: number) => void;
  /** The worker failed (out of memory, a crash): this version has no diagnostics. */
  onFailed: (uri: string, version: number, why: string) => void;
}

interface Running {
  request: CheckRequest;
  /** Started once the worker has loaded the checker, so a fresh thread's start-up is not counted. */
  timer: NodeJS.Timeout | undefined;
}

export class AnalysisScheduler {
  private worker: Worker | undefined;
  private workerReady = false;
  private running: Running | undefined;
  /** The newest version of each document waiting for the worker. */
  private readonly queued = new Map<string, CheckRequest>();
  private readonly debounce = new Map<string, NodeJS.Timeout>();
  /** The newest version scheduled per document: anything older is never reported. */
  private readonly latest = new Map<string, number>();
  /** Checks started since the server started: the tests count them. */
  started = 0;

  constructor(private readonly options: SchedulerOptions) {}

  schedule(uri: string, version: number, text: string): void {
    this.latest.set(uri, version);
    this.queued.delete(uri);
    clearTimeout(this.debounce.get(uri));
    // A check of an older version is wasted work now: stop it.
    if (this.running?.request.uri === uri) this.stopRunning();
    this.debounce.set(
      uri,
      setTimeout(() => {
        this.debounce.delete(uri);
        this.queued.set(uri, { uri, version, text });
        this.next();
      }, this.options.debounceMs),
    );
  }

  forget(uri: string): void {
    this.latest.delete(uri);
    this.queued.delete(uri);
    clearTimeout(this.debounce.get(uri));
    this.debounce.delete(uri);
    if (this.running?.request.uri === uri) this.stopRunning();
    this.worker?.postMessage({ forget: uri });
    this.next();
  }

  dispose(): void {
    for (const timer of this.debounce.values()) clearTimeout(timer);
    this.debounce.clear();
    this.queued.clear();
    if (this.running) clearTimeout(this.running.timer);
    this.running = undefined;
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private next(): void {
    if (this.running) return;
    const [first] = this.queued.values();
    if (!first) return;
    this.queued.delete(first.uri);
    const worker = this.ensureWorker();
    this.running = { request: first, timer: undefined };
    if (this.workerReady) this.startBudget();
    this.started++;
    worker.postMessage(first);
  }

  private startBudget(): void {
    const running = this.running;
    if (!running) return;
    running.timer = setTimeout(() => {
      this.stopRunning();
      if (this.isLatest(running.request)) this.options.onTooExpensive(running.request.uri, running.request.version);
      this.next();
    }, this.options.budgetMs);
  }

  private isLatest(request: { uri: string; version: number }): boolean {
    return this.latest.get(request.uri) === request.version;
  }

  /** Terminating is the only way to stop a synchronous check; the next check starts a fresh worker. */
  private stopRunning(): void {
    if (!this.running) return;
    clearTimeout(this.running.timer);
    this.running = undefined;
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // Resolved beside this file, so it works from dist/ in `nnc lsp --stdio` and in the editor extension.
    const worker = new Worker(new URL("./analysis-worker.js", import.meta.url));
    this.workerReady = false;
    worker.on("message", (reply: CheckReply | "ready") => {
      if (worker !== this.worker) return;
      if (reply === "ready") {
        this.workerReady = true;
        this.startBudget();
        return;
      }
      if (!this.running) return;
      clearTimeout(this.running.timer);
      this.running = undefined;
      if (this.isLatest(reply)) this.options.onChecked(reply);
      this.next();
    });
    worker.on("error", (error: Error) => {
      if (worker !== this.worker) return;
      const failed = this.running?.request;
      if (this.running) clearTimeout(this.running.timer);
      this.running = undefined;
      this.worker = undefined;
      void worker.terminate();
      if (failed && this.isLatest(failed)) this.options.onFailed(failed.uri, failed.version, error.message);
      this.next();
    });
    // Never keep the server alive for the worker's sake.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

