// tanh, sigmoid and gelu in WebAssembly (compiler/wasm/activation.ts) against the float64
// reference over the float32 range, and the activation kernels' backward against the
// JavaScript rules, assigned and added, on lengths with a vector remainder.

import { describe, expect, it } from "vitest";
import { activationBackward, activationForward, type WasmActivation } from "../../../compiler/wasm/activation.js";
import { ModuleBuilder } from "../../../compiler/wasm/module.js";
import { erfc } from "../../../runtime/math.js";
import { layout, load, sequence } from "./harness.js";

function module(): ModuleBuilder {
  return new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
}

const reference: Record<Exclude<WasmActivation, "relu">, (x: number) => number> = {
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  // Through erfc, so that the float64 reference keeps its own relative accuracy in the tail.
  gelu: (x) => 0.5 * x * erfc(-x * Math.SQRT1_2),
};

/** gelu's derivative Phi(x) + x phi(x), in float64. */
const geluDerivative = (x: number) => 0.5 * erfc(-x * Math.SQRT1_2) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);

/** The float32 unit in the last place at v's magnitude (subnormals at their fixed spacing). */
const ulpAt = (v: number) => Math.max(2 ** -149, 2 ** (Math.floor(Math.log2(Math.abs(v) || 2 ** -149)) - 23));

/** Float32 units in the last place between got and the float64 want. */
const ulpsOff = (got: number, want: number) => Math.abs(got - want) / ulpAt(want);

describe("activation kernels", () => {
  for (const fn of ["tanh", "sigmoid", "gelu"] as const) {
    it(`${fn} is within a few units in the last place of the float64 value over the float32 range`, async () => {
      const m = module();
      activationForward(m, fn, fn, 1);
      const grid = Array.from({ length: 2 * 40 * 256 + 1 }, (_, i) => -40 + i / 256);
      const tiny = [0, -0, 1e-30, -1e-30, 1e-8, -3e-6, 0.6249, 0.625, -0.6251, 9.01, -9.01, 88, -88, 1e30, -1e30, 3.4e38, -3.4e38];
      const xs = Float32Array.from([...grid, ...Array.from(sequence(20000, 3), (v) => v * 12), ...tiny]);
      const plan = layout({ x: xs.length, y: xs.length }, { x: xs });
      const { kernels, memory } = await load(m, [fn], plan.bytes);
      const buf = plan.place(memory);
      kernels[fn]!(xs.length, buf.address("x"), buf.address("y"));
      const ys = buf.view("y");
      let worst = { ulps: 0, at: 0 };
      xs.forEach((x, i) => {
        // Below x = -13, gelu's Phi(x) is a float32 subnormal, whose spacing 2^-149 x bounds the error.
        const want = reference[fn](x);
        const ulps = fn === "gelu" && x < -13 ? Math.abs(ys[i]! - want) / (2 ** -149 * Math.abs(x)) : ulpsOff(ys[i]!, want);
        if (!(ulps <= worst.ulps)) worst = { ulps, at: x };
      });
      // gelu's erfc is good to 1.2e-7 (two units) before three exps and their products round.
      expect(worst.ulps, `worst at ${fn}(${worst.at})`).toBeLessThanOrEqual(fn === "gelu" ? 8 : 4);
    });
  }

  it("gelu's derivative is within a few units in the last place of the float64 value, or of its scale where terms cancel", async () => {
    const m = module();
    activationBackward(m, "d", "gelu", 1, "assign");
    const grid = Array.from({ length: 2 * 40 * 256 + 1 }, (_, i) => -40 + i / 256);
    const xs = Float32Array.from([...grid, ...Array.from(sequence(20000, 5), (v) => v * 12), 0, -0, 1e-30, -Math.SQRT1_2, Math.SQRT1_2 + 1e-6, 1e30, -1e30]);
    const plan = layout({ gy: xs.length, x: xs.length, d: xs.length }, { gy: new Float32Array(xs.length).fill(1), x: xs });
    const { kernels, memory } = await load(m, ["d"], plan.bytes);
    const buf = plan.place(memory);
    kernels.d!(xs.length, buf.address("gy"), buf.address("x"), buf.address("d"));
    const ds = buf.view("d");
    let worst = { ulps: 0, at: 0 };
    xs.forEach((x, i) => {
      // Phi(x) and x phi(x) cancel near x = -0.75 (where the derivative is zero): there the
      // error is counted in units of the larger term, Phi(x).
      const want = geluDerivative(x);
      const scale = Math.max(Math.abs(want), 0.5 * erfc(-x * Math.SQRT1_2));
      const ulps = Math.abs(ds[i]! - want) / ulpAt(scale);
      if (!(ulps <= worst.ulps)) worst = { ulps, at: x };
    });
    expect(worst.ulps, `worst at gelu'(${worst.at})`).toBeLessThanOrEqual(8);
  });

  for (const fn of ["relu", "tanh", "sigmoid", "gelu"] as const) {
    it(`${fn} backward, assigned and added, 7 floats per sample, batches 1 and 3`, async () => {
      const m = module();
      activationBackward(m, "assign", fn, 7, "assign");
      activationBackward(m, "add", fn, 7, "accumulate");
      for (const n of [1, 3]) {
        const gy = sequence(7 * n, 1);
        const u = fn === "relu" || fn === "gelu" ? sequence(7 * n, 2) : Float32Array.from(sequence(7 * n, 2), (v) => (fn === "tanh" ? v : (v + 1) / 2));
        const old = sequence(7 * n, 4);
        const plan = layout({ gy: 7 * n, u: 7 * n, a: 7 * n, b: 7 * n }, { gy, u, b: old });
        const { kernels, memory } = await load(m, ["assign", "add"], plan.bytes);
        const buf = plan.place(memory);
        kernels.assign(n, buf.address("gy"), buf.address("u"), buf.address("a"));
        kernels.add(n, buf.address("gy"), buf.address("u"), buf.address("b"));
        const d = (v: number) => (fn === "relu" ? (v > 0 ? 1 : 0) : fn === "gelu" ? geluDerivative(v) : fn === "tanh" ? 1 - v * v : v * (1 - v));
        const want = Array.from(gy, (g, i) => g * d(u[i]!));
        buf.view("a").forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-6));
        buf.view("b").forEach((v, i) => expect(Math.abs(v - (old[i]! + want[i]!))).toBeLessThan(1e-6));
        expect(buf.outsideUntouched()).toBe(true);
      }
    });
  }
});
