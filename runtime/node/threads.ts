// The Node half of runtime/threads.ts: kernel workers on worker_threads. A worker runs the
// same kernels against the same shared memory; it is unref'd, so an idle one never keeps the
// process alive, and terminated by the model's dispose().

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { KERNEL_WORKER_SCRIPT } from "../kernel-worker-source.js";
import { setKernelWorkerFactory, type KernelWorker, type KernelWorkerInit } from "../threads.js";

// CommonJS (eval'd workers are scripts): the shared script, called with this worker's data.
const WORKER_SOURCE = `${KERNEL_WORKER_SCRIPT}\nrunKernelWorker(require("node:worker_threads").workerData);\n`;

/** Starts one kernel worker on worker_threads (the factory useNodeThreads registers). */
export function nodeKernelWorkerFactory(init: KernelWorkerInit): KernelWorker {
  // No execArgv of the parent's: --input-type=module would make the eval'd script a module, without require.
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: init, execArgv: [] });
  worker.unref();
  return { terminate: () => void worker.terminate() };
}

/** Lets models created from now on run their kernels on worker_threads (create({ threads })). */
export function useNodeThreads(): void {
  setKernelWorkerFactory(nodeKernelWorkerFactory);
}

/** The default thread count: the cores this process may use. */
export function defaultThreads(): number {
  return availableParallelism();
}
