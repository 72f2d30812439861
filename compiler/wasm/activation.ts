// The activation op's WebAssembly kernels for relu, tanh, sigmoid and gelu (the JavaScript ones:
// compiler/ir/ops/activation.ts, the functions in activations.ts): forward over the output's
// floats, and backward from the input (relu, gelu) or the output (tanh, sigmoid), the gradient
// assigned or added. tanh, sigmoid and gelu come from `f32x4Exp`:
//   sigmoid(x) = 1 / (1 + exp(-x));
//   tanh(x) = sign(x) (1 - t) / (1 + t), t = exp(-2|x|), and below |x| = 0.625, where 1 - t
//   would cancel, Cephes' odd polynomial (tanhf), so that small values keep their relative accuracy;
//   gelu(x) = x Phi(x), Phi(x) = (1 + erf(u)) / 2, u = x / sqrt(2), exact as the JavaScript
//   kernel's (not the tanh approximation): see f32x4Phi.

import { f32x4Exp, f32x4Relu, mapLanes } from "./elementwise.js";
import type { FunctionBuilder, Local } from "./function.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";

export type WasmActivation = "relu" | "tanh" | "sigmoid" | "gelu";

const splat4 = (v: number): [number, number, number, number] => [v, v, v, v];
const TANH_POLY = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];
const SIGN = -0x80000000;

/** sigmoid on four lanes: the v128 on the stack becomes 1 / (1 + exp(-v)). */
export function f32x4Sigmoid(f: FunctionBuilder, prefix: string): void {
  f.op("f32x4.neg");
  f32x4Exp(f, `${prefix}_exp`);
  const e = f.reuse(`${prefix}_e`, "v128");
  f.set(e).f32x4Const(splat4(1)).f32x4Const(splat4(1)).get(e).op("f32x4.add").op("f32x4.div");
}

/** tanh on four lanes: the v128 on the stack becomes its tanh. */
export function f32x4Tanh(f: FunctionBuilder, prefix: string): void {
  const x = f.reuse(`${prefix}_x`, "v128");
  const a = f.reuse(`${prefix}_a`, "v128");
  const t = f.reuse(`${prefix}_t`, "v128");
  const z = f.reuse(`${prefix}_z`, "v128");
  f.tee(x).op("f32x4.abs").tee(a).f32x4Const(splat4(-2)).op("f32x4.mul");
  f32x4Exp(f, `${prefix}_exp`);
  f.set(t);
  // large: (1 - t) / (1 + t) with x's sign
  f.f32x4Const(splat4(1)).get(t).op("f32x4.sub").f32x4Const(splat4(1)).get(t).op("f32x4.add").op("f32x4.div");
  f.get(x).i32x4Const(splat4(SIGN)).op("v128.and").op("v128.or");
  // small: x + x z p(z), z = x^2
  f.get(x).get(x).op("f32x4.mul").set(z);
  f.f32x4Const(splat4(TANH_POLY[0]!));
  for (const c of TANH_POLY.slice(1)) f.get(z).op("f32x4.mul").f32x4Const(splat4(c)).op("f32x4.add");
  f.get(z).op("f32x4.mul").get(x).op("f32x4.mul").get(x).op("f32x4.add");
  // bitselect(small, large, |x| < 0.625): reorder the two on the stack through a local.
  f.set(z);
  f.set(t);
  f.get(z).get(t).get(a).f32x4Const(splat4(0.625)).op("f32x4.lt").op("v128.bitselect");
}

// erf(u) = u P(u^2) below |u| = 1/2: its Taylor series to u^13 (the next term is below 5e-10
// there), highest degree first.
const ERF_TAYLOR = [1 / 9360, -1 / 1320, 1 / 216, -1 / 42, 1 / 10, -1 / 3, 1].map((c) => c * (2 / Math.sqrt(Math.PI)));
// Above it, erfc(a) = t exp(-a^2) exp(Q(t)), t = 1 / (1 + a/2) (Numerical Recipes' erfcc,
// relative error below 1.2e-7 for every a >= 0), Q's coefficients highest degree first.
const ERFC_Q = [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223];
const EXP_TAYLOR = [1 / 120, 1 / 24, 1 / 6, 1 / 2, 1, 1];
/** erfc(16) is below the smallest float32; clamping |x| there keeps infinities out of the arithmetic. */
const X_ZERO = 16 * Math.SQRT2;

/**
 * Phi(x), the standard normal distribution, on four lanes: the v128 on the stack becomes
 * Phi(x); returns the locals left holding x and exp(-x^2 / 2). Below zero Phi(x) = erfc(a) / 2,
 * a = |x| / sqrt(2), directly, not (1 - erf(a)) / 2, so that gelu's tail keeps its relative
 * accuracy; for the same reason exp(-x^2 / 2) is exp(-h^2 / 2) exp(-(|x| - h)(|x| + h) / 2)
 * with h = |x| rounded to 1/128, whose square is exact in float32 (the second factor's
 * exponent is below 0.09, a short polynomial): x^2 or a rounded would
 * cost up to x^2 2^-25 of relative accuracy (90 units in the last place at x = -13).
 */
export function f32x4Phi(f: FunctionBuilder, prefix: string): { x: Local; gauss: Local } {
  const x = f.reuse(`${prefix}_x`, "v128");
  const u = f.reuse(`${prefix}_u`, "v128");
  const ax = f.reuse(`${prefix}_ax`, "v128");
  const a = f.reuse(`${prefix}_a`, "v128");
  const z = f.reuse(`${prefix}_z`, "v128");
  const t = f.reuse(`${prefix}_t`, "v128");
  const h = f.reuse(`${prefix}_h`, "v128");
  const gauss = f.reuse(`${prefix}_gauss`, "v128");
  const e = f.reuse(`${prefix}_e`, "v128");
  f.tee(x).f32x4Const(splat4(Math.SQRT1_2)).op("f32x4.mul").set(u);
  f.get(x).op("f32x4.abs").f32x4Const(splat4(X_ZERO)).op("f32x4.min").tee(ax).f32x4Const(splat4(Math.SQRT1_2)).op("f32x4.mul").set(a);
  // small: 1 + u P(u^2), left on the stack for the final select
  f.get(u).get(u).op("f32x4.mul").set(z);
  f.f32x4Const(splat4(ERF_TAYLOR[0]!));
  for (const c of ERF_TAYLOR.slice(1)) f.get(z).op("f32x4.mul").f32x4Const(splat4(c)).op("f32x4.add");
  f.get(u).op("f32x4.mul").f32x4Const(splat4(1)).op("f32x4.add");
  // the gaussian exp(-x^2 / 2)
  f.get(ax).f32x4Const(splat4(128)).op("f32x4.mul").op("f32x4.nearest").f32x4Const(splat4(1 / 128)).op("f32x4.mul").set(h);
  f.get(h).get(h).op("f32x4.mul").f32x4Const(splat4(-0.5)).op("f32x4.mul");
  f32x4Exp(f, `${prefix}_exp`);
  // exp(l), |l| < 0.09, by its Taylor series to l^5 (the rest is below 1e-9 relative)
  f.get(ax).get(h).op("f32x4.sub").get(ax).get(h).op("f32x4.add").op("f32x4.mul").f32x4Const(splat4(-0.5)).op("f32x4.mul").set(z);
  f.f32x4Const(splat4(EXP_TAYLOR[0]!));
  for (const c of EXP_TAYLOR.slice(1)) f.get(z).op("f32x4.mul").f32x4Const(splat4(c)).op("f32x4.add");
  f.op("f32x4.mul").set(gauss);
  // large: e = erfc(a)
  f.f32x4Const(splat4(1)).get(a).f32x4Const(splat4(0.5)).op("f32x4.mul").f32x4Const(splat4(1)).op("f32x4.add").op("f32x4.div").set(t);
  f.f32x4Const(splat4(ERFC_Q[0]!));
  for (const c of ERFC_Q.slice(1)) f.get(t).op("f32x4.mul").f32x4Const(splat4(c)).op("f32x4.add");
  f32x4Exp(f, `${prefix}_exp`);
  f.get(gauss).op("f32x4.mul").get(t).op("f32x4.mul").set(e);
  // 1 + erf(u): e below zero, 2 - e above
  f.get(e).f32x4Const(splat4(2)).get(e).op("f32x4.sub").get(u).i32x4Const([0, 0, 0, 0]).op("f32x4.lt").op("v128.bitselect");
  f.get(a).f32x4Const(splat4(0.5)).op("f32x4.lt").op("v128.bitselect");
  f.f32x4Const(splat4(0.5)).op("f32x4.mul");
  return { x, gauss };
}

/** gelu's derivative Phi(x) + x phi(x) on four lanes: the x on the stack becomes it. */
function f32x4GeluDerivative(f: FunctionBuilder, prefix: string): void {
  const { x, gauss } = f32x4Phi(f, prefix);
  f.get(x).get(gauss).op("f32x4.mul").f32x4Const(splat4(1 / Math.sqrt(2 * Math.PI))).op("f32x4.mul").op("f32x4.add");
}

/** Forward: `name(n, x0, y)` over `size` floats per sample. */
export function activationForward(m: ModuleBuilder, name: string, fn: WasmActivation, size: number): string[] {
  const params = ["n", "x0", "y"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const count = f.local("count", "i32");
  f.get(f.ref("n")).i32Const(size).op("i32.mul").set(count);
  const scratch = f.local("v", "v128");
  mapLanes(f, "each", count, [f.ref("x0")], f.ref("y"), () => {
    if (fn === "relu") f32x4Relu(f, scratch);
    else if (fn === "tanh") f32x4Tanh(f, "tanh");
    else if (fn === "sigmoid") f32x4Sigmoid(f, "sigmoid");
    else {
      const { x } = f32x4Phi(f, "phi");
      f.get(x).op("f32x4.mul");
    }
  });
  return params;
}

/**
 * Backward: `name(n, gy, x0 | y, gx0)`: gx = gy * f'(.), relu's and gelu's from the input, tanh's
 * (1 - y^2) and sigmoid's y (1 - y) from the output; `accumulate` adds to gx.
 */
export function activationBackward(m: ModuleBuilder, name: string, fn: WasmActivation, size: number, store: Store): string[] {
  const reads = fn === "relu" || fn === "gelu" ? "x0" : "y";
  const params = ["n", "gy", reads, "gx0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const count = f.local("count", "i32");
  f.get(f.ref("n")).i32Const(size).op("i32.mul").set(count);
  const u = f.local("u", "v128");
  const inputs = [f.ref("gy"), f.ref(reads), ...(store === "accumulate" ? [f.ref("gx0")] : [])];
  const old = f.local("old", "v128");
  mapLanes(f, "each", count, inputs, f.ref("gx0"), () => {
    if (store === "accumulate") f.set(old);
    f.set(u);
    if (fn === "relu") f.get(u).i32x4Const([0, 0, 0, 0]).op("f32x4.gt").op("v128.and");
    else if (fn === "tanh") f.f32x4Const(splat4(1)).get(u).get(u).op("f32x4.mul").op("f32x4.sub").op("f32x4.mul");
    else if (fn === "gelu") {
      f.get(u);
      f32x4GeluDerivative(f, "gelu");
      f.op("f32x4.mul");
    } else f.get(u).op("f32x4.mul").f32x4Const(splat4(1)).get(u).op("f32x4.sub").op("f32x4.mul");
    if (store === "accumulate") f.get(old).op("f32x4.add");
  });
  return params;
}
