// The kernel worker's script, one text for both hosts (runtime/node/threads.ts runs it on
// worker_threads, runtime/browser-threads.ts in a Web Worker from a Blob URL): a plain script
// (no imports, no module syntax, so Node can eval it and a browser can load it as a classic
// worker) defining `runKernelWorker(init)`, which each host calls with its KernelWorkerInit.
//
// The worker instantiates the kernels, counts itself ready (control word READY), then waits
// for a new generation, joins the job if it is still open, claims chunks of it and runs them
// until none is left (working out each chunk's arguments as threads.ts's chunkArgs does),
// counts itself finished, and waits again, until the stop word is set. A worker that cannot run its kernels still counts ready and
// down, with the failure word set, so the main thread reports it instead of waiting forever.

import {
  ARGS_WORD,
  CHUNK_ALIGN,
  FAILED_WORD,
  FINISHED_WORD,
  GENERATION_WORD,
  HELD_CALL_WORDS,
  HELD_SAMPLES,
  HELD_UNITS,
  HELD_WHOLE,
  JOB_WORD,
  JOINED_WORD,
  LIST_WORD,
  MAX_HELD_CALLS,
  MAX_SPLIT_ARGS,
  READY_WORD,
  SPIN_LIMIT,
  STOP_WORD,
  TICKETS_WORD,
  WORKER_CHUNKS_WORD,
} from "./threads.js";

export const KERNEL_WORKER_SCRIPT = `
function runKernelWorker({ module, memory, names, splits, control, index, threads }) {
  // threads.ts's listWords.
  const progress = Math.ceil((${TICKETS_WORD} + threads) / 16) * 16;
  const owners = progress + 16 * threads;
  const abort = owners + threads;
  const calls = Math.ceil((abort + 1) / 2) * 2;
  const words = calls + ${2 * MAX_HELD_CALLS * HELD_CALL_WORDS};
  const ctl = new Int32Array(memory.buffer, control, words);
  const floats = new Float64Array(memory.buffer, control, words / 2);
  let kernels = null;
  try {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    kernels = names.map((name) => instance.exports[name]);
    if (!kernels.every((kernel) => typeof kernel === "function")) throw new Error("missing kernel");
  } catch {
    Atomics.store(ctl, ${FAILED_WORD}, 1);
  }
  Atomics.add(ctl, ${READY_WORD}, 1);
  const args = new Float64Array(${MAX_SPLIT_ARGS});
  const call = (k, split) => {
    try {
      // A call of fixed shape (extra arguments to a WebAssembly export are ignored), int32s
      // where the kernel takes no floats (threads.ts's callWith says why).
      if (split !== null && split.floatsFrom !== undefined) kernels[k](args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9], args[10], args[11], args[12], args[13], args[14]);
      else kernels[k](args[0] | 0, args[1] | 0, args[2] | 0, args[3] | 0, args[4] | 0, args[5] | 0, args[6] | 0, args[7] | 0, args[8] | 0, args[9] | 0, args[10] | 0, args[11] | 0, args[12] | 0, args[13] | 0, args[14] | 0);
    } catch {
      Atomics.store(ctl, ${FAILED_WORD}, 1);
    }
    Atomics.add(ctl, ${WORKER_CHUNKS_WORD}, 1);
  };
  // Sets args to [start, end) of the call whose whole arguments are floats[from...] (threads.ts's chunkArgs).
  const chunk = (split, arity, from, start, end) => {
    if (split.units !== undefined) {
      for (let i = 0; i < arity; i++) args[i] = floats[from + i];
      args[1] = start;
      args[2] = end;
    } else {
      const at = split.count ?? 0;
      for (let i = 0; i < arity; i++) args[i] = i === at ? end - start : floats[from + i] + start * split.strides[i];
    }
  };
  // threads.ts's shareBound and heldWaits.
  const bound = (count, align, shares, share) => Math.min(count, Math.floor((share * Math.ceil(count / align)) / shares) * align);
  const kindOf = (i) => ctl[calls + i * ${HELD_CALL_WORDS} + 1];
  // This worker's share of a list of held calls (threads.ts's KernelThreads.sync): each call in
  // turn, waiting for every share to be done with the calls before one that reads the whole batch.
  const runList = (count) => {
    const shares = ctl[${JOB_WORD}];
    const samples = ctl[${JOB_WORD + 1}];
    const align = ctl[${JOB_WORD + 2}];
    const share = index;
    if (share >= shares || Atomics.compareExchange(ctl, owners + share, 0, 1) !== 0) return;
    for (let i = 0; i < count; i++) {
      const kind = kindOf(i);
      if (kind !== ${HELD_SAMPLES} || (i > 0 && kindOf(i - 1) !== ${HELD_SAMPLES})) {
        for (let s = 0; s < shares; s++) {
          let spins = 0;
          for (let done = Atomics.load(ctl, progress + 16 * s); done < i; done = Atomics.load(ctl, progress + 16 * s)) {
            if (Atomics.load(ctl, abort) !== 0 || Atomics.load(ctl, ${STOP_WORD}) !== 0) return;
            // Notified by the share's thread before a call that waits; the time-out only rechecks the abort word.
            if (++spins > ${SPIN_LIMIT}) Atomics.wait(ctl, progress + 16 * s, done, 100);
          }
        }
      }
      if (Atomics.load(ctl, abort) !== 0) return;
      const at = calls + i * ${HELD_CALL_WORDS};
      const k = ctl[at];
      const arity = ctl[at + 2];
      if (kind !== ${HELD_WHOLE}) {
        const split = splits[k];
        const units = kind === ${HELD_UNITS};
        const all = units ? split.units : samples;
        const unit = units ? (split.align ?? ${CHUNK_ALIGN}) : align;
        const start = bound(all, unit, shares, share);
        const end = bound(all, unit, shares, share + 1);
        if (start < end) {
          chunk(split, arity, (at + 4) / 2, start, end);
          call(k, split);
        }
      }
      Atomics.store(ctl, progress + 16 * share, i + 1);
      // The others may be asleep waiting for this share before the next call, or at the end.
      if (i + 1 === count || kindOf(i + 1) !== ${HELD_SAMPLES} || kind !== ${HELD_SAMPLES}) Atomics.notify(ctl, progress + 16 * share);
    }
  };
  let seen = 0; // the control words are zeroed before any worker starts, so a job posted while this one boots is not missed
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctl, ${GENERATION_WORD}) === seen) {
      if (++spins > ${SPIN_LIMIT}) Atomics.wait(ctl, ${GENERATION_WORD}, seen);
    }
    seen = Atomics.load(ctl, ${GENERATION_WORD});
    if (Atomics.load(ctl, ${STOP_WORD}) !== 0) break;
    // Join the job unless the main thread has closed it (found no chunk left) already.
    let joined = Atomics.load(ctl, ${JOINED_WORD});
    while (joined >= 0) {
      const was = Atomics.compareExchange(ctl, ${JOINED_WORD}, joined, joined + 1);
      if (was === joined) break;
      joined = was;
    }
    if (joined < 0) continue;
    const list = ctl[${LIST_WORD}];
    if (list > 0) {
      runList(list);
      Atomics.add(ctl, ${FINISHED_WORD}, 1);
      Atomics.notify(ctl, ${FINISHED_WORD});
      continue;
    }
    const k = ctl[${JOB_WORD}];
    const arity = ctl[${JOB_WORD + 1}];
    const size = ctl[${JOB_WORD + 2}];
    const count = ctl[${JOB_WORD + 3}];
    const chunks = ctl[${JOB_WORD + 4}];
    const split = splits[k];
    // Its own share first, then the others' from the next thread's on (threads.ts's shareStart).
    for (let s = 0; s < threads; s++) {
      const t = (index + s) % threads;
      const from = Math.floor((t * chunks) / threads);
      const to = Math.floor(((t + 1) * chunks) / threads);
      for (let c = from + Atomics.add(ctl, ${TICKETS_WORD} + t, 1); c < to; c = from + Atomics.add(ctl, ${TICKETS_WORD} + t, 1)) {
        const start = c * size;
        chunk(split, arity, ${ARGS_WORD / 2}, start, Math.min(start + size, count));
        call(k, split);
      }
    }
    Atomics.add(ctl, ${FINISHED_WORD}, 1);
    Atomics.notify(ctl, ${FINISHED_WORD});
  }
}
`;
