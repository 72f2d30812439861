// The Adam / AdamW step over one parameter in WebAssembly (the JavaScript rule and its meaning:
// runtime/optim.ts). Every number that depends on the optimizer's arguments or the step is a
// parameter, so one function serves every model and every step:
//   p' = p * decay;  g' = g + l2 * p';  m = b1 m + c1 g';  v = b2 v + c2 g'^2;
//   p = p' - stepSize * m / (sqrt(v) * invBc2Sqrt + eps)
// (decay = 1 - lr wd for AdamW, else 1; l2 = wd for Adam, else 0). It computes in float32
// four elements at a time where the JavaScript rule computes in float64: the state it leaves
// agrees within float32 rounding, not bit for bit. The length's remainder (below four) runs
// through the same vector code one lane at a time.

import type { Local } from "./function.js";
import type { KernelSplit } from "../../runtime/threads.js";
import type { ModuleBuilder } from "./module.js";

/** The export's name in every module that carries it. */
export const ADAM_KERNEL = "optim_adam";

/** Its parameters in order: byte addresses, the length in floats, then the step's scalars. */
export const ADAM_PARAMS = ["p", "g", "m", "v", "length", "step_size", "inv_bc2_sqrt", "b1", "c1", "b2", "c2", "eps", "decay", "l2"] as const;

const F32 = 4;

export function adamKernel(m: ModuleBuilder): void {
  const f = m.function(
    ADAM_KERNEL,
    ADAM_PARAMS.map((p, i) => [p, i < 5 ? "i32" : "f32"] as const),
  );
  const ref = (name: (typeof ADAM_PARAMS)[number]): Local => f.ref(name);
  const splat = ADAM_PARAMS.slice(5).map((name) => {
    const l = f.local(`${name}4`, "v128");
    f.get(ref(name)).op("f32x4.splat").set(l);
    return l;
  });
  const [stepSize, invBc2Sqrt, b1, c1, b2, c2, eps, decay, l2] = splat as [Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const pv = f.local("pv", "v128");
  const gv = f.local("gv", "v128");
  const mv = f.local("mv", "v128");
  const vv = f.local("vv", "v128");
  const pointers = (["p", "g", "m", "v"] as const).map((name) => ref(name));
  const [p, g, mm, v] = pointers as [Local, Local, Local, Local];
  /** The update on the v128s loaded from the four addresses; `write` stores each lane set back. */
  const step = (load: (at: Local) => void, write: (at: Local, value: Local) => void) => {
    load(p);
    f.get(decay).op("f32x4.mul").set(pv);
    load(g);
    f.get(l2).get(pv).op("f32x4.mul").op("f32x4.add").set(gv);
    f.get(b1);
    load(mm);
    f.op("f32x4.mul").get(c1).get(gv).op("f32x4.mul").op("f32x4.add").set(mv);
    f.get(b2);
    load(v);
    f.op("f32x4.mul").get(c2).get(gv).op("f32x4.mul").get(gv).op("f32x4.mul").op("f32x4.add").set(vv);
    f.get(pv).get(stepSize).get(mv).op("f32x4.mul");
    f.get(vv).op("f32x4.sqrt").get(invBc2Sqrt).op("f32x4.mul").get(eps).op("f32x4.add").op("f32x4.div").op("f32x4.sub").set(pv);
    write(mm, mv);
    write(v, vv);
    write(p, pv);
  };
  const advance = (bytes: number) => {
    for (const at of pointers) f.get(at).i32Const(bytes).op("i32.add").set(at);
  };
  const i = f.local("i", "i32");
  const vectors = f.local("vectors", "i32");
  f.get(ref("length")).i32Const(-4).op("i32.and").set(vectors);
  f.forLoop(i, () => f.i32Const(0), () => f.get(vectors), 4, "vector", () => {
    step(
      (at) => f.get(at).load("v128"),
      (at, value) => f.get(at).get(value).store("v128"),
    );
    advance(4 * F32);
  });
  f.forLoop(i, () => f.get(vectors), () => f.get(ref("length")), 1, "scalar", () => {
    step(
      (at) => f.get(at).load("f32").op("f32x4.splat"),
      (at, value) => f.get(at).get(value).f32x4ExtractLane(0).store("f32"),
    );
    advance(F32);
  });
}

/**
 * How the step splits across threads (runtime/threads.ts): by element ranges, the four
 * addresses advancing 4 bytes an element, `length` the count. About a dozen operations an
 * element, so only parameters of tens of thousands of elements are worth a worker.
 */
export const ADAM_SPLIT: KernelSplit = { work: 12, count: ADAM_PARAMS.indexOf("length"), strides: ADAM_PARAMS.map((p) => (p.length === 1 ? 4 : 0)), floatsFrom: ADAM_PARAMS.indexOf("step_size") };

/** Whether a module for this optimizer carries the kernel. */
export function usesAdamKernel(optimizer: string | undefined): boolean {
  return optimizer === "adam" || optimizer === "adamw";
}
