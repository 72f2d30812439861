// `repeat`'s WebAssembly kernels (the JavaScript ones: compiler/ir/ops/time.ts): forward copies
// each sample's F floats to its T steps, four at a time; backward sums a column's T gradients
// in float64 from the first step, as the JavaScript kernel does, so its results are the same bit for bit.

import { f64x2Splat, loadColumns, overColumns, storeColumns } from "./columns.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";

export interface RepeatShape {
  steps: number;
  /** Floats per step (the input's size per sample). */
  f: number;
}

/** Forward: `name(n, x0, y)`. */
export function repeatForward(m: ModuleBuilder, name: string, shape: RepeatShape): string[] {
  const params = ["n", "x0", "y"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const i = f.local("i", "i32");
  const t = f.local("t", "i32");
  const col = f.local("col", "i32");
  const from = f.local("from", "i32");
  const to = f.local("to", "i32");
  const row = shape.f * 4;
  f.forLoop(i, () => f.i32Const(0), () => f.get(f.ref("n")), 1, "samples", () => {
    f.get(f.ref("x0")).get(i).i32Const(row).op("i32.mul").op("i32.add").set(from);
    f.get(f.ref("y")).get(i).i32Const(row * shape.steps).op("i32.mul").op("i32.add").set(to);
    f.forLoop(t, () => f.i32Const(0), () => f.i32Const(shape.steps), 1, "steps", () => {
      overColumns(f, "copy", shape.f, col, (halves) => {
        const type = halves === 2 ? "v128" : "f32";
        f.get(to).get(col).op("i32.add").get(from).get(col).op("i32.add").load(type).store(type);
      });
      f.get(to).i32Const(row).op("i32.add").set(to);
    });
  });
  return params;
}

/** Backward: `name(n, gy, gx0)`: gx = the sum over steps of gy, assigned or added. */
export function repeatBackward(m: ModuleBuilder, name: string, shape: RepeatShape, store: Store): string[] {
  const params = ["n", "gy", "gx0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const i = f.local("i", "i32");
  const t = f.local("t", "i32");
  const col = f.local("col", "i32");
  const p = f.local("p", "i32");
  const out = f.local("out", "i32");
  const scratch = f.local("scratch", "v128");
  const reg = (n: string) => ({ lo: f.local(`${n}_lo`, "v128"), hi: f.local(`${n}_hi`, "v128") });
  const sum = reg("sum");
  const v = reg("v");
  const row = shape.f * 4;
  f.forLoop(i, () => f.i32Const(0), () => f.get(f.ref("n")), 1, "samples", () => {
    overColumns(f, "columns", shape.f, col, (halves) => {
      const hs = halves === 2 ? (["lo", "hi"] as const) : (["lo"] as const);
      for (const h of hs) {
        f64x2Splat(f, 0);
        f.set(sum[h]);
      }
      f.get(f.ref("gy")).get(i).i32Const(row * shape.steps).op("i32.mul").op("i32.add").get(col).op("i32.add").set(p);
      f.forLoop(t, () => f.i32Const(0), () => f.i32Const(shape.steps), 1, `steps${halves}`, () => {
        loadColumns(f, halves, () => f.get(p), v.lo, v.hi, scratch);
        for (const h of hs) f.get(sum[h]).get(v[h]).op("f64x2.add").set(sum[h]);
        f.get(p).i32Const(row).op("i32.add").set(p);
      });
      f.get(f.ref("gx0")).get(i).i32Const(row).op("i32.mul").op("i32.add").get(col).op("i32.add").set(out);
      if (store === "accumulate") {
        loadColumns(f, halves, () => f.get(out), v.lo, v.hi, scratch);
        for (const h of hs) f.get(v[h]).get(sum[h]).op("f64x2.add").set(sum[h]);
      }
      storeColumns(f, halves, () => f.get(out), sum.lo, sum.hi);
    });
  });
  return params;
}
