// The browser half of runtime/threads.ts: kernel workers as Web Workers, each loaded from a
// Blob URL of the same script Node's worker_threads run (runtime/kernel-worker-source.ts) and
// handed its KernelWorkerInit (the compiled module and the shared memory) in one message.
// Only a cross-origin isolated page (served with Cross-Origin-Opener-Policy: same-origin and
// Cross-Origin-Embedder-Policy: require-corp) has SharedArrayBuffer and may post a shared
// memory; elsewhere the kernels run on one thread. A Web Worker starts only once its creator
// returns to the event loop, so these workers say `startsAsync` (the pool's comment in
// runtime/threads.ts says how it waits for them). The DOM's types are declared here, to the
// part used, as runtime/wasm.ts does for WebAssembly: the runtime's `lib` has no DOM.

import { KERNEL_WORKER_SCRIPT } from "./kernel-worker-source.js";
import { READY_WORD, setKernelWorkerFactory, type KernelWorker, type KernelWorkerInit } from "./threads.js";

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onerror: ((event: unknown) => void) | null;
}

interface BrowserGlobals {
  Worker?: new (url: string, options?: { name?: string }) => WebWorker;
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string };
  crossOriginIsolated?: boolean;
  console?: { warn(message: string): void };
}

const host = globalThis as unknown as BrowserGlobals;

/** Set in a worker's first message (its init), then the shared loop runs for the worker's life. */
const WORKER_SOURCE = `${KERNEL_WORKER_SCRIPT}\nonmessage = (event) => { onmessage = null; runKernelWorker(event.data); };\n`;

let scriptUrl: string | null = null;

function webKernelWorker(init: KernelWorkerInit): KernelWorker {
  const { Worker, Blob, URL } = host;
  if (Worker === undefined || Blob === undefined || URL === undefined) throw new Error("internal error: Web Workers were registered where there are none");
  // One URL for every worker of the page, never revoked: a few kilobytes, and a worker made
  // later (another model) needs it.
  scriptUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  const worker = new Worker(scriptUrl, { name: `neuron kernels ${init.index}` });
  // A worker that cannot even load (a Content-Security-Policy without blob: workers, say)
  // counts itself ready and failed, so the pool's next split call reports it.
  worker.onerror = () => {
    const ctl = new Int32Array(init.memory.buffer, init.control, READY_WORD + 1);
    Atomics.store(ctl, 3, 1);
    Atomics.add(ctl, READY_WORD, 1);
  };
  worker.postMessage(init);
  return { terminate: () => worker.terminate(), startsAsync: true };
}

/** Whether this page can run kernel workers: Web Workers, cross-origin isolation and SharedArrayBuffer. */
export function webWorkerThreadsAvailable(): boolean {
  return host.Worker !== undefined && host.Blob !== undefined && host.URL !== undefined && host.crossOriginIsolated === true && typeof SharedArrayBuffer !== "undefined";
}

/**
 * Lets models created from now on run their kernels on Web Workers (create({ threads })),
 * where the page is cross-origin isolated; elsewhere it says so in one line and they run on
 * one thread. Returns whether the workers are available.
 */
export function useWebWorkerThreads(): boolean {
  if (webWorkerThreadsAvailable()) {
    setKernelWorkerFactory(webKernelWorker);
    return true;
  }
  setKernelWorkerFactory(null);
  host.console?.warn(
    "note: this page is not cross-origin isolated (no SharedArrayBuffer), so the kernels run on one thread; serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp for more",
  );
  return false;
}
