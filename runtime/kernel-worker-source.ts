// The kernel worker's script, one text for both hosts (runtime/node/threads.ts runs it on
// worker_threads, runtime/browser-threads.ts in a Web Worker from a Blob URL): a plain script
// (no imports, no module syntax, so Node can eval it and a browser can load it as a classic
// worker) defining `runKernelWorker(init)`, which each host calls with its KernelWorkerInit.
//
// The worker instantiates the kernels, counts itself ready (control word READY), then waits
// for a new generation, runs its slot and counts down, until the stop word is set. A worker
// that cannot run its kernels still counts ready and down, with the failure word set, so the
// main thread reports it instead of waiting forever.

import { MAX_SPLIT_ARGS, READY_WORD, SPIN_LIMIT } from "./threads.js";

export const KERNEL_WORKER_SCRIPT = `
function runKernelWorker({ module, memory, names, control, slot }) {
  const ctl = new Int32Array(memory.buffer, control, slot + 32);
  // The slot's arguments are float64s from its word 2 (runtime/threads.ts).
  const ctl64 = new Float64Array(memory.buffer, control, (slot + 32) / 2);
  const base = (slot + 2) / 2;
  let kernels = null;
  try {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    kernels = names.map((name) => instance.exports[name]);
  } catch {
    Atomics.store(ctl, 3, 1);
  }
  Atomics.add(ctl, ${READY_WORD}, 1);
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
}
`;
