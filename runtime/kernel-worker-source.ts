// The kernel worker's script, one text for both hosts (runtime/node/threads.ts runs it on
// worker_threads, runtime/browser-threads.ts in a Web Worker from a Blob URL): a plain script
// (no imports, no module syntax, so Node can eval it and a browser can load it as a classic
// worker) defining `runKernelWorker(init)`, which each host calls with its KernelWorkerInit.
//
// The worker instantiates the kernels, counts itself ready (control word READY), then waits
// for a new generation, runs its slot and counts down, until the stop word is set. A worker
// that cannot run its kernels still counts ready and down, with the failure word set, so the
// main thread reports it instead of waiting forever.

import { READY_WORD, SPIN_LIMIT } from "./threads.js";

export const KERNEL_WORKER_SCRIPT = `
function runKernelWorker({ module, memory, names, control, slot }) {
  const ctl = new Int32Array(memory.buffer, control, slot + 32);
  let kernels = null;
  try {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    kernels = names.map((name) => instance.exports[name]);
  } catch {
    Atomics.store(ctl, 3, 1);
  }
  Atomics.add(ctl, ${READY_WORD}, 1);
  const args = [];
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
      args.length = ctl[slot + 1];
      for (let i = 0; i < args.length; i++) args[i] = ctl[slot + 2 + i];
      try {
        kernels[k](...args);
      } catch {
        Atomics.store(ctl, 3, 1);
      }
    }
    if (Atomics.sub(ctl, 1, 1) === 1) Atomics.notify(ctl, 1);
  }
}
`;
