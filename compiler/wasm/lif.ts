// lif's WebAssembly kernels (the JavaScript ones and the neuron's equations:
// compiler/ir/ops/lif.ts). Four neurons at a time walk their T steps together; the membrane,
// the carried gradient and every product are float64, in the JavaScript kernels' order of
// operations, so spikes, membranes and gradients are theirs bit for bit (a float32 membrane
// would put a neuron near the threshold on the other side of it). Only the sums of dβ and dθ
// over the whole batch add in another order (per lane, then the lanes).

import type { LifAttrs } from "../ir/ops/lif.js";
import { type Halves, f64x2Splat, loadColumns, overColumns, storeColumns, sumLanes } from "./columns.js";
import type { FunctionBuilder, Local } from "./function.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";

export interface LifShape {
  /** Time steps and neurons per step. */
  t: number;
  f: number;
  reset: string;
  surrogate: string;
  slope: number;
  alpha: number;
  membrane: boolean;
}

export function lifShape(t: number, f: number, attrs: LifAttrs): LifShape {
  return { t, f, reset: attrs.reset, surrogate: attrs.surrogate, slope: attrs.slope, alpha: attrs.alpha, membrane: attrs.membrane };
}

const HALF_NAMES = ["lo", "hi"] as const;

function halvesOf(halves: Halves): readonly ("lo" | "hi")[] {
  return HALF_NAMES.slice(0, halves);
}

/** clamp(β, 0, 1) and θ from their [1] tensors, each splat to an f64x2. */
function constants(f: FunctionBuilder, beta: Local, threshold: Local): { decay: Local; th: Local } {
  const decay = f.local("decay", "v128");
  const th = f.local("th", "v128");
  f.get(beta).load("f32").op("f64.promote_f32").f64Const(0).op("f64.max").f64Const(1).op("f64.min").op("f64x2.splat").set(decay);
  f.get(threshold).load("f32").op("f64.promote_f32").op("f64x2.splat").set(th);
  return { decay, th };
}

/** The mask of lanes where v - θ > 0 (v on the stack). */
function above(f: FunctionBuilder, th: Local): void {
  f.get(th).op("f64x2.sub").i32x4Const([0, 0, 0, 0]).op("f64x2.gt");
}

/** Forward: `name(n, x0, x1, x2, y, s0)`: input currents, β, θ, spikes (or membranes), membranes. */
export function lifForward(m: ModuleBuilder, name: string, shape: LifShape): string[] {
  const params = ["n", "x0", "x1", "x2", "y", "s0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { decay, th } = constants(f, f.ref("x1"), f.ref("x2"));
  const i = f.local("i", "i32");
  const base = f.local("base", "i32");
  const col = f.local("col", "i32");
  const p = f.local("p", "i32");
  const t = f.local("t", "i32");
  const scratch = f.local("scratch", "v128");
  const reg = (n: string) => ({ lo: f.local(`${n}_lo`, "v128"), hi: f.local(`${n}_hi`, "v128") });
  const u = reg("u");
  const x = reg("x");
  const out = reg("out");
  const one = f.local("one", "v128");
  f64x2Splat(f, 1);
  f.set(one);
  const stepBytes = shape.f * 4;
  f.forLoop(i, () => f.i32Const(0), () => f.get(f.ref("n")), 1, "samples", () => {
    f.get(i).i32Const(shape.t * stepBytes).op("i32.mul").set(base);
    overColumns(f, "neurons", shape.f, col, (halves) => {
      for (const h of halvesOf(halves)) f.i32x4Const([0, 0, 0, 0]).set(u[h]);
      f.get(base).get(col).op("i32.add").set(p);
      f.forLoop(t, () => f.i32Const(0), () => f.i32Const(shape.t), 1, `steps${halves}`, () => {
        loadColumns(f, halves, () => f.get(f.ref("x0")).get(p).op("i32.add"), x.lo, x.hi, scratch);
        for (const h of halvesOf(halves)) {
          // u = decay u + x, less θ after a spike (subtract), or from zero after one (zero).
          if (shape.reset === "zero") {
            f.get(decay).get(u[h]).get(th).op("f64x2.sub").i32x4Const([0, 0, 0, 0]).op("f64x2.gt").op("v128.andnot");
          } else {
            f.get(decay);
          }
          f.get(u[h]).op("f64x2.mul").get(x[h]).op("f64x2.add");
          if (shape.reset === "subtract") {
            f.get(th).get(u[h]);
            above(f, th);
            f.op("v128.and").op("f64x2.sub");
          }
          f.tee(u[h]);
          if (shape.membrane) f.set(out[h]);
          else {
            above(f, th);
            f.get(one).op("v128.and").set(out[h]);
          }
        }
        storeColumns(f, halves, () => f.get(f.ref("s0")).get(p).op("i32.add"), u.lo, u.hi);
        storeColumns(f, halves, () => f.get(f.ref("y")).get(p).op("i32.add"), out.lo, out.hi);
        f.get(p).i32Const(stepBytes).op("i32.add").set(p);
      });
    });
  });
  return params;
}

export interface LifGrads {
  x: Store | null;
  beta: Store | null;
  threshold: Store | null;
}

/** Adds the float64 on the stack to, or stores it in, the float32 at `address`'s. */
function storeScalar(f: FunctionBuilder, address: Local, store: Store, value: Local): void {
  f.get(address);
  if (store === "accumulate") f.get(address).load("f32").op("f64.promote_f32").get(value).op("f64.add");
  else f.get(value);
  f.op("f32.demote_f64").store("f32");
}

/**
 * Backward: `name(n, gy, x1, x2, s0[, gx0][, gx1][, gx2])`, each step from the last down,
 * carrying dU; dβ and dθ summed over the batch in float64.
 */
export function lifBackward(m: ModuleBuilder, name: string, shape: LifShape, grads: LifGrads): string[] {
  const params = ["n", "gy", "x1", "x2", "s0", ...(grads.x ? ["gx0"] : []), ...(grads.beta ? ["gx1"] : []), ...(grads.threshold ? ["gx2"] : [])];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const { decay, th } = constants(f, f.ref("x1"), f.ref("x2"));
  const i = f.local("i", "i32");
  const col = f.local("col", "i32");
  const p = f.local("p", "i32");
  const t = f.local("t", "i32");
  const scratch = f.local("scratch", "v128");
  const reg = (n: string) => ({ lo: f.local(`${n}_lo`, "v128"), hi: f.local(`${n}_hi`, "v128") });
  const carry = reg("carry");
  const gy = reg("gy");
  const u = reg("u");
  const prev = reg("prev");
  const g = reg("g");
  const old = reg("old");
  const dBeta = reg("dbeta");
  const dTh = reg("dth");
  const stepBytes = shape.f * 4;
  const { reset, membrane } = shape;
  for (const h of HALF_NAMES) f.i32x4Const([0, 0, 0, 0]).tee(dBeta[h]).set(dTh[h]);
  const at = (param: string) => () => f.get(f.ref(param)).get(p).op("i32.add");

  // One step; at the first (t = 0) the previous membrane is 0.
  const step = (halves: Halves, first: boolean) => {
    loadColumns(f, halves, at("gy"), gy.lo, gy.hi, scratch);
    if (first) for (const h of halvesOf(halves)) f.i32x4Const([0, 0, 0, 0]).set(prev[h]);
    else loadColumns(f, halves, () => f.get(f.ref("s0")).get(p).op("i32.add").i32Const(stepBytes).op("i32.sub"), prev.lo, prev.hi, scratch);
    if (grads.x === "accumulate") loadColumns(f, halves, at("gx0"), old.lo, old.hi, scratch);
    for (const h of halvesOf(halves)) {
      f.get(carry[h]).get(gy[h]);
      if (!membrane) {
        // sg = gy * surrogate'(u - θ), in the JavaScript kernel's order of operations
        f.get(u[h]).get(th).op("f64x2.sub");
        if (shape.surrogate === "atan") {
          f64x2Splat(f, (Math.PI / 2) * shape.alpha);
          f.op("f64x2.mul").tee(scratch).get(scratch).op("f64x2.mul");
          f64x2Splat(f, 1);
          f.op("f64x2.add").set(scratch);
          f64x2Splat(f, shape.alpha / 2);
        } else {
          f.op("f64x2.abs");
          f64x2Splat(f, shape.slope);
          f.op("f64x2.mul");
          f64x2Splat(f, 1);
          f.op("f64x2.add").tee(scratch).get(scratch).op("f64x2.mul").set(scratch);
          f64x2Splat(f, 1);
        }
        f.get(scratch).op("f64x2.div").op("f64x2.mul");
        if (grads.threshold) f.tee(scratch).get(dTh[h]).get(scratch).op("f64x2.sub").set(dTh[h]);
      }
      f.op("f64x2.add").set(g[h]);
      if (grads.x === "accumulate") f.get(old[h]).get(g[h]).op("f64x2.add").set(old[h]);
      // the reset's mask: uPrev - θ > 0
      const resets = () => {
        f.get(prev[h]);
        above(f, th);
      };
      // zero: g (1 - reset) for both products; otherwise g
      const gated = () => {
        f.get(g[h]);
        if (reset === "zero") {
          resets();
          f.op("v128.andnot");
        }
      };
      if (grads.beta) {
        f.get(dBeta[h]);
        gated();
        f.get(prev[h]).op("f64x2.mul").op("f64x2.add").set(dBeta[h]);
      }
      gated();
      f.get(decay).op("f64x2.mul").set(carry[h]);
      if (reset === "subtract" && grads.threshold) {
        f.get(dTh[h]).get(g[h]);
        resets();
        f.op("v128.and").op("f64x2.sub").set(dTh[h]);
      }
    }
    if (grads.x) {
      const src = grads.x === "accumulate" ? old : g;
      storeColumns(f, halves, at("gx0"), src.lo, src.hi);
    }
    // This step's previous membrane is the next step's own: one load of s0 per step, not two.
    if (!membrane && !first) for (const h of halvesOf(halves)) f.get(prev[h]).set(u[h]);
    f.get(p).i32Const(stepBytes).op("i32.sub").set(p);
  };

  f.forLoop(i, () => f.i32Const(0), () => f.get(f.ref("n")), 1, "samples", () => {
    overColumns(f, "neurons", shape.f, col, (halves) => {
      for (const h of halvesOf(halves)) f.i32x4Const([0, 0, 0, 0]).set(carry[h]);
      f.get(i).i32Const(shape.t * stepBytes).op("i32.mul").get(col).op("i32.add").i32Const((shape.t - 1) * stepBytes).op("i32.add").set(p);
      if (!membrane) loadColumns(f, halves, at("s0"), u.lo, u.hi, scratch);
      f.forLoop(t, () => f.i32Const(1), () => f.i32Const(shape.t), 1, `steps${halves}`, () => step(halves, false));
      step(halves, true);
    });
  });
  const total = f.local("total", "f64");
  if (grads.beta) {
    sumLanes(f, dBeta.lo);
    sumLanes(f, dBeta.hi);
    f.op("f64.add");
    // clamp passes the gradient where 0 <= β <= 1, as torch.clamp's backward.
    f.f64Const(0).get(f.ref("x1")).load("f32").tee(f.local("b", "f32")).f32Const(0).op("f32.ge").get(f.ref("b")).f32Const(1).op("f32.le").op("i32.and");
    f.select().set(total);
    storeScalar(f, f.ref("gx1"), grads.beta, total);
  }
  if (grads.threshold) {
    sumLanes(f, dTh.lo);
    sumLanes(f, dTh.hi);
    f.op("f64.add").set(total);
    storeScalar(f, f.ref("gx2"), grads.threshold, total);
  }
  return params;
}
