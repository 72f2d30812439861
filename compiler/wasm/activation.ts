// The activation op's WebAssembly kernels for relu, tanh and sigmoid (the JavaScript ones:
// compiler/ir/ops/activation.ts, the functions in activations.ts): forward over the output's
// floats, and backward from the input (relu) or the output (tanh, sigmoid), the gradient
// assigned or added. tanh and sigmoid come from `f32x4Exp`:
//   sigmoid(x) = 1 / (1 + exp(-x));
//   tanh(x) = sign(x) (1 - t) / (1 + t), t = exp(-2|x|), and below |x| = 0.625, where 1 - t
//   would cancel, Cephes' odd polynomial (tanhf), so that small values keep their relative accuracy.

import { f32x4Exp, f32x4Relu, mapLanes } from "./elementwise.js";
import type { FunctionBuilder } from "./function.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";

export type WasmActivation = "relu" | "tanh" | "sigmoid";

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
    else f32x4Sigmoid(f, "sigmoid");
  });
  return params;
}

/**
 * Backward: `name(n, gy, x0 | y, gx0)`: gx = gy * f'(.), relu's from the input, tanh's
 * (1 - y^2) and sigmoid's y (1 - y) from the output; `accumulate` adds to gx.
 */
export function activationBackward(m: ModuleBuilder, name: string, fn: WasmActivation, size: number, store: Store): string[] {
  const reads = fn === "relu" ? "x0" : "y";
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
    else f.get(u).op("f32x4.mul").f32x4Const(splat4(1)).get(u).op("f32x4.sub").op("f32x4.mul");
    if (store === "accumulate") f.get(old).op("f32x4.add");
  });
  return params;
}
