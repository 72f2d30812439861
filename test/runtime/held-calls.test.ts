// Held calls (runtime/threads.ts's KernelThreads.hold): the calls of a pass run together as
// one job, each thread on its own share of the batch, waiting for the others only around a
// call that reads the whole batch or runs whole, and late calls (parameter gradients) after
// the rest. Whatever the threads, the memory must end as if every call had run at once, in order.

import { afterEach, describe, expect, it } from "vitest";
import { ModuleBuilder } from "../../compiler/wasm/module.js";
import { nodeKernelWorkerFactory } from "../../runtime/node/threads.js";
import { KernelThreads, MAX_HELD_CALLS, MAX_SPLIT_ARGS, READY_WORD, WORKER_CHUNKS_WORD, type KernelSplit } from "../../runtime/threads.js";
import { createWasmMemory, WASM_PAGE_BYTES, type WasmKernel } from "../../runtime/wasm.js";

const PAGES = 4;
const CONTROL = 3 * WASM_PAGE_BYTES;
const N = 64;
const NAMES = ["add_one", "double", "sum_all", "copy_units"] as const;

/**
 * add_one(n, a) and double(n, a) on n int32s (by samples); sum_all(n, a, out): out = the sum of
 * a's first 64 (it reads the whole batch); copy_units(n, from, to, a, b): b[u] = a[u] for u in [from, to).
 */
function testModule(): object {
  const m = new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: PAGES, maximumPages: PAGES, shared: true });
  for (const [name, op] of [["add_one", "i32.add"], ["double", "i32.mul"]] as const) {
    const f = m.function(name, [["n", "i32"], ["a", "i32"]]);
    const i = f.local("i", "i32");
    f.forLoop(i, () => f.i32Const(0), () => f.get(f.ref("n")), 1, "rows", () => {
      f.get(i).i32Const(4).op("i32.mul").get(f.ref("a")).op("i32.add");
      f.get(i).i32Const(4).op("i32.mul").get(f.ref("a")).op("i32.add").load("i32", 0);
      f.i32Const(op === "i32.add" ? 1 : 2).op(op).store("i32", 0);
    });
  }
  const sum = m.function("sum_all", [["n", "i32"], ["a", "i32"], ["out", "i32"]]);
  const i = sum.local("i", "i32");
  const total = sum.local("total", "i32");
  sum.forLoop(i, () => sum.i32Const(0), () => sum.i32Const(N), 1, "all", () => {
    sum.get(total).get(i).i32Const(4).op("i32.mul").get(sum.ref("a")).op("i32.add").load("i32", 0).op("i32.add").set(total);
  });
  sum.get(sum.ref("out")).get(total).store("i32", 0);
  const copy = m.function("copy_units", [["n", "i32"], ["from", "i32"], ["to", "i32"], ["a", "i32"], ["b", "i32"]]);
  const u = copy.local("u", "i32");
  copy.forLoop(u, () => copy.get(copy.ref("from")), () => copy.get(copy.ref("to")), 1, "units", () => {
    copy.get(u).i32Const(4).op("i32.mul").get(copy.ref("b")).op("i32.add");
    copy.get(u).i32Const(4).op("i32.mul").get(copy.ref("a")).op("i32.add").load("i32", 0).store("i32", 0);
  });
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
  return new wasm.Module(m.toBytes());
}

const bySamples: KernelSplit = { work: 1 << 16, strides: [0, 4] };
const SPLITS: KernelSplit[] = [bySamples, bySamples, { work: 0, strides: [] }, { work: 1 << 16, strides: [], units: N }];

let pool: KernelThreads | null = null;
afterEach(() => pool?.dispose());

/** A pool of `threads` over the test kernels once its workers are up, the kernels on this thread, and the memory as int32s. */
async function setUp(threads: number, splits: (KernelSplit | null)[] = SPLITS, mainDelayMs = 0) {
  const memory = createWasmMemory(PAGES * WASM_PAGE_BYTES, { shared: true });
  const module = testModule();
  pool = new KernelThreads({ module, memory, names: [...NAMES], splits, control: CONTROL }, threads, nodeKernelWorkerFactory);
  const ready = new Int32Array(memory.buffer, CONTROL, READY_WORD + 1);
  for (let i = 0; i < 500 && Atomics.load(ready, READY_WORD) < threads - 1; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  const wasm = (globalThis as unknown as { WebAssembly: { Instance: new (m: object, i: object) => { exports: Record<string, WasmKernel> } } }).WebAssembly;
  const exports = new wasm.Instance(module, { env: { memory } }).exports;
  const words = new Int32Array(memory.buffer, 0, 1024);
  const args = new Float64Array(MAX_SPLIT_ARGS);
  const call = (name: (typeof NAMES)[number], ...values: number[]) => {
    args.fill(0);
    args.set(values);
    const index = NAMES.indexOf(name);
    // This thread's kernel may first wait (a thread held up), so that the workers surely claim their shares.
    const kernel: WasmKernel = (...a) => {
      const until = performance.now() + mainDelayMs;
      while (performance.now() < until);
      return exports[name]!(...a);
    };
    pool!.call(index, mainDelayMs > 0 ? kernel : exports[name]!, args, values.length, splits[index] ?? null);
  };
  const workerCalls = () => Atomics.load(new Int32Array(memory.buffer, CONTROL + WORKER_CHUNKS_WORD * 4, 1), 0);
  return { pool, words, call, workerCalls };
}

// a: words [0, 64), b: [256, 320), out: word 512.
const A = 0;
const B = 1024;
const OUT = 2048;

/** The calls of a pass: by samples, whole (reads all of a), by samples again, by units. */
function pass(call: (name: (typeof NAMES)[number], ...values: number[]) => void): void {
  call("add_one", N, A);
  call("double", N, A);
  call("sum_all", N, A, OUT);
  call("add_one", N, A);
  call("copy_units", N, 0, N, A, B);
  call("double", N, A);
}

function expected(): { a: number[]; b: number[]; out: number } {
  const a = Array.from({ length: N }, (_, i) => i);
  const b = a.map((v) => (v + 1) * 2 + 1);
  return { a: b.map((v) => v * 2), b, out: a.reduce((s, v) => s + (v + 1) * 2, 0) };
}

describe("held calls", () => {
  for (const [threads, delay] of [[1, 0], [2, 0], [3, 0], [2, 20], [3, 20]] as const) {
    it(`end as if run one by one, in order, on ${threads} thread(s)${delay > 0 ? ", this one slow" : ""}`, async () => {
      const { pool, words, call, workerCalls } = await setUp(threads, SPLITS, delay);
      for (let i = 0; i < N; i++) words[i] = i;
      pool.hold();
      pass(call);
      // Nothing has run yet where the workers share the calls.
      if (threads > 1) expect(words[5]).toBe(5);
      pool.release();
      const want = expected();
      expect([...words.subarray(0, N)]).toEqual(want.a);
      expect([...words.subarray(B / 4, B / 4 + N)]).toEqual(want.b);
      expect(words[OUT / 4]).toBe(want.out);
      // Workers that wake after this thread reached a wait find their share taken; a slow one here leaves them theirs.
      if (delay > 0) expect(workerCalls()).toBeGreaterThan(0);
    });
  }

  it("run late calls after the others, in the order held", async () => {
    const late: KernelSplit = { work: 0, strides: [], late: true };
    const { pool, words, call } = await setUp(2, [bySamples, bySamples, late, SPLITS[3]!]);
    for (let i = 0; i < N; i++) words[i] = i;
    pool.hold();
    call("add_one", N, A);
    call("sum_all", N, A, OUT);
    call("double", N, A);
    pool.release();
    // The sum, held before double, runs after it: late calls read nothing the others write.
    expect(words[OUT / 4]).toBe(Array.from({ length: N }, (_, i) => (i + 1) * 2).reduce((s, v) => s + v));
    expect(words[3]).toBe(8);
  });

  it("run what is held when a list is full, a call's batch changes, or sync() is called", async () => {
    const { pool, words, call } = await setUp(2);
    for (let i = 0; i < N; i++) words[i] = 0;
    pool.hold();
    for (let k = 0; k < 3 * MAX_HELD_CALLS + 5; k++) call("add_one", N, A);
    call("add_one", N / 2, A);
    pool.sync();
    expect(words[0]).toBe(3 * MAX_HELD_CALLS + 6);
    expect(words[N - 1]).toBe(3 * MAX_HELD_CALLS + 5);
    call("double", N, A);
    pool.release();
    expect(words[0]).toBe(2 * (3 * MAX_HELD_CALLS + 6));
    // Once released, a call runs at once.
    call("add_one", N, A);
    expect(words[N - 1]).toBe(2 * (3 * MAX_HELD_CALLS + 5) + 1);
  });
});
