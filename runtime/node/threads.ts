// The Node half of runtime/threads.ts: kernel workers on worker_threads. A worker runs the
// same kernels against the same shared memory; it is unref'd, so an idle one never keeps the
// process alive, and terminated by the model's dispose().

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { CONTROL_HEADER, MAX_SPLIT_ARGS, SPIN_LIMIT, setKernelWorkerFactory, type KernelWorker, type KernelWorkerInit } from "../threads.js";

// CommonJS (eval'd workers are scripts): wait for a new generation, run this worker's slot, count down.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, names, control, slot } = workerData;
const ctl = new Int32Array(memory.buffer, control, slot + 32);
// The slot's arguments are float64s from its word 2 (runtime/threads.ts).
const ctl64 = new Float64Array(memory.buffer, control, (slot + 32) / 2);
const base = (slot + 2) / 2;
// A worker that cannot run its kernels still counts down, with the failure word set, so the
// main thread reports it instead of waiting forever.
let kernels = null;
try {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  kernels = names.map((name) => instance.exports[name]);
} catch {
  Atomics.store(ctl, 3, 1);
}
const args = new Float64Array(${MAX_SPLIT_ARGS});
let seen = 0; // the control words are zeroed before any worker starts, so a job posted while this one boots is not missed
for (;;) {
  let spins = 0;
  while (Atomics.load(ctl, 0) === seen) {
    if (++spins > ${SPIN_LIMIT}) Atomics.wait(ctl, 0, seen);
  }
  seen = Atomics.load(ctl, 0);
  if (Atomics.load(ctl, 2) !== 0) break;
  const k = ctl[slot];
  if (k >= 0) {
    const arity = ctl[slot + 1];
    for (let i = 0; i < arity; i++) args[i] = ctl64[base + i];
    try {
      // A call of fixed shape: extra arguments to a WebAssembly export are ignored.
      kernels[k](args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9], args[10], args[11], args[12], args[13], args[14]);
    } catch {
      Atomics.store(ctl, 3, 1);
    }
  }
  if (Atomics.sub(ctl, 1, 1) === 1) Atomics.notify(ctl, 1);
}
`;

function nodeKernelWorker(init: KernelWorkerInit): KernelWorker {
  if (init.slot < CONTROL_HEADER) throw new Error("internal error: a kernel worker's slot overlaps the control header");
  // No execArgv of the parent's: --input-type=module would make the eval'd script a module, without require.
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: init, execArgv: [] });
  worker.unref();
  return { terminate: () => void worker.terminate() };
}

/** Lets models created from now on run their kernels on worker_threads (create({ threads })). */
export function useNodeThreads(): void {
  setKernelWorkerFactory(nodeKernelWorker);
}

/** The default thread count: the cores this process may use. */
export function defaultThreads(): number {
  return availableParallelism();
}
