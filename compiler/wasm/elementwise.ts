// Element-wise kernels: four floats at a time, the count's remainder (below four) through
// the same vector code on one lane, so that the last elements get exactly the arithmetic of
// the others. WebAssembly has no exp: `f32x4Exp` is a polynomial accurate to about one unit
// in the last place of float32 over its whole range (test/compiler/wasm/elementwise.test.ts).

import type { FunctionBuilder, Local } from "./function.js";
import type { ModuleBuilder } from "./module.js";
import type { Store } from "./products.js";

const F32 = 4;
const LANES = 4;

/**
 * `for p in [0, count)`: `body` maps the v128 values of the inputs at p (on the stack, in
 * order) to the output's v128. Inputs and output are byte pointers that advance together.
 */
export function mapLanes(
  f: FunctionBuilder,
  prefix: string,
  count: Local,
  inputs: readonly Local[],
  output: Local,
  body: () => void,
): void {
  const p = f.reuse(`${prefix}_p`, "i32");
  const vectors = f.reuse(`${prefix}_vectors`, "i32");
  const at = [...inputs, output].map((l, i) => ({ from: l, local: f.reuse(`${prefix}_q${i}`, "i32") }));
  for (const a of at) f.get(a.from).set(a.local);
  const advance = (bytes: number) => {
    for (const a of at) f.get(a.local).i32Const(bytes).op("i32.add").set(a.local);
  };
  const out = at[at.length - 1]!.local;
  f.get(count).i32Const(-LANES).op("i32.and").set(vectors);
  f.forLoop(p, () => f.i32Const(0), () => f.get(vectors), LANES, `${prefix}_vector`, () => {
    f.get(out);
    for (const a of at.slice(0, -1)) f.get(a.local).load("v128");
    body();
    f.store("v128");
    advance(LANES * F32);
  });
  f.forLoop(p, () => f.get(vectors), () => f.get(count), 1, `${prefix}_scalar`, () => {
    f.get(out);
    for (const a of at.slice(0, -1)) f.get(a.local).load("f32").op("f32x4.splat");
    body();
    f.f32x4ExtractLane(0).store("f32");
    advance(F32);
  });
}

/** relu(v) = v > 0 ? v : 0 on four lanes (NaN gives 0, as the JavaScript kernels' ternary). */
export function f32x4Relu(f: FunctionBuilder, scratch: Local): void {
  f.tee(scratch).get(scratch).i32x4Const([0, 0, 0, 0]).op("f32x4.gt").op("v128.and");
}

// Cephes' expf: exp(x) = 2^k exp(r), k = round(x / ln 2), r = x - k ln 2 in [-ln2/2, ln2/2],
// ln 2 split in two so that k ln 2 is exact in float32, exp(r) by a degree-7 polynomial.
const LOG2E = Math.LOG2E;
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** Beyond these, exp overflows to infinity or underflows to zero in float32. */
const EXP_MAX = 89;
const EXP_MIN = -104;

const splat4 = (v: number): [number, number, number, number] => [v, v, v, v];

/**
 * exp on four lanes: the v128 on the stack becomes its exp. 2^k is applied as two powers of
 * two, 2^(k>>1) then 2^(k-(k>>1)), each a normal float, so that results between the smallest
 * normal and the smallest subnormal round once, like Math.exp's, instead of flushing to zero.
 */
export function f32x4Exp(f: FunctionBuilder, prefix: string): void {
  const x = f.reuse(`${prefix}_x`, "v128");
  const k = f.reuse(`${prefix}_k`, "v128");
  const r = f.reuse(`${prefix}_r`, "v128");
  const poly = f.reuse(`${prefix}_poly`, "v128");
  const ki = f.reuse(`${prefix}_ki`, "v128");
  const k1 = f.reuse(`${prefix}_k1`, "v128");
  f.f32x4Const(splat4(EXP_MIN)).op("f32x4.max").f32x4Const(splat4(EXP_MAX)).op("f32x4.min").set(x);
  f.get(x).f32x4Const(splat4(LOG2E)).op("f32x4.mul").op("f32x4.nearest").set(k);
  f.get(x).get(k).f32x4Const(splat4(LN2_HI)).op("f32x4.mul").op("f32x4.sub");
  f.get(k).f32x4Const(splat4(LN2_LO)).op("f32x4.mul").op("f32x4.sub").set(r);
  f.f32x4Const(splat4(EXP_POLY[0]!));
  for (const c of EXP_POLY.slice(1)) f.get(r).op("f32x4.mul").f32x4Const(splat4(c)).op("f32x4.add");
  f.get(r).op("f32x4.mul").get(r).op("f32x4.mul").get(r).op("f32x4.add").f32x4Const(splat4(1)).op("f32x4.add").set(poly);
  f.get(k).op("i32x4.trunc_sat_f32x4_s").tee(ki).i32Const(1).op("i32x4.shr_s").set(k1);
  const powerOfTwo = (exponent: () => void) => {
    exponent();
    f.i32x4Const(splat4(127)).op("i32x4.add").i32Const(23).op("i32x4.shl").op("f32x4.mul");
  };
  f.get(poly);
  powerOfTwo(() => f.get(k1));
  powerOfTwo(() => f.get(ki).get(k1).op("i32x4.sub"));
}

export type ElementwiseOp = "relu" | "add" | "exp";

const arity: Record<ElementwiseOp, number> = { relu: 1, add: 2, exp: 1 };

/**
 * An element-wise kernel over `size` floats per sample: `name(n, x0[, x1], y)`, with byte
 * addresses; `add` takes two inputs of the same shape.
 */
export function elementwiseKernel(m: ModuleBuilder, name: string, op: ElementwiseOp, size: number): string[] {
  const inputs = Array.from({ length: arity[op] }, (_, i) => `x${i}`);
  const params = ["n", ...inputs, "y"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const count = f.local("count", "i32");
  f.get(f.ref("n")).i32Const(size).op("i32.mul").set(count);
  const scratch = f.local("v", "v128");
  mapLanes(f, "each", count, inputs.map((i) => f.ref(i)), f.ref("y"), () => {
    if (op === "relu") f32x4Relu(f, scratch);
    else if (op === "add") f.op("f32x4.add");
    else f32x4Exp(f, "exp");
  });
  return params;
}

/**
 * add's backward for same-shaped operands: `name(n, gy, [gx0,] [gx1])`, each operand's
 * gradient gy, assigned or added (`grads[i]` null: that operand needs none).
 */
export function addBackwardKernel(m: ModuleBuilder, name: string, size: number, grads: readonly [Store | null, Store | null]): string[] {
  const outputs = grads.flatMap((g, i) => (g === null ? [] : [{ param: `gx${i}`, store: g }]));
  const params = ["n", "gy", ...outputs.map((o) => o.param)];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const count = f.local("count", "i32");
  f.get(f.ref("n")).i32Const(size).op("i32.mul").set(count);
  for (const { param, store } of outputs) {
    const target = f.ref(param);
    const inputs = store === "accumulate" ? [f.ref("gy"), target] : [f.ref("gy")];
    mapLanes(f, param, count, inputs, target, () => {
      if (store === "accumulate") f.op("f32x4.add");
    });
  }
  return params;
}
