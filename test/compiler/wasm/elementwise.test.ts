import { describe, expect, it } from "vitest";
import { addBackwardKernel, elementwiseKernel } from "../../../compiler/wasm/elementwise.js";
import { ModuleBuilder } from "../../../compiler/wasm/module.js";
import { layout, load, sequence } from "./harness.js";

function module(): ModuleBuilder {
  return new ModuleBuilder().importMemory({ module: "env", name: "memory", minimumPages: 1 });
}

describe("element-wise kernels", () => {
  it.each([1, 3, 4, 7, 13])("relu and add over %i floats per sample, batches 1, 2 and 5", async (size) => {
    const m = module();
    elementwiseKernel(m, "relu", "relu", size);
    elementwiseKernel(m, "add", "add", size);
    for (const n of [1, 2, 5]) {
      const a = sequence(n * size, 7 + n);
      a[0] = Number.NaN;
      const b = sequence(n * size, 99 + n);
      const plan = layout({ a: n * size, b: n * size, y: n * size, z: n * size }, { a, b });
      const { kernels, memory } = await load(m, ["relu", "add"], plan.bytes);
      const buf = plan.place(memory);
      kernels.relu(n, buf.address("a"), buf.address("y"));
      kernels.add(n, buf.address("a"), buf.address("b"), buf.address("z"));
      expect(Array.from(buf.view("y"))).toEqual(Array.from(a, (v) => (v > 0 ? v : 0)));
      expect(Array.from(buf.view("z"))).toEqual(Array.from(a, (v, i) => Math.fround(v + b[i]!)));
      // Nothing written past the end.
      expect(new Float32Array(memory.buffer, buf.address("y") + 4 * n * size, 4).every(Number.isNaN)).toBe(true);
    }
  });

  it("exp is within one unit in the last place of the exact exp over the whole float32 range", async () => {
    const m = module();
    elementwiseKernel(m, "exp", "exp", 1);
    // Every 1/64th over [-110, 95], random points, and the edges of overflow and underflow.
    const grid = Array.from({ length: 205 * 64 + 1 }, (_, i) => -110 + i / 64);
    const random = Array.from(sequence(20000, 5), (v) => v * 104);
    const edges = [0, -0, 1e-30, -1e-30, 88.72283, 88.72284, 88.7229, -87.33654, -103.27893, -103.9721, -103.9722, -104.5];
    const special = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 3.4e38, -3.4e38];
    const xs = Float32Array.from([...grid, ...random, ...edges, ...special]);
    const plan = layout({ x: xs.length, y: xs.length }, { x: xs });
    const { kernels, memory } = await load(m, ["exp"], plan.bytes);
    const buf = plan.place(memory);
    kernels.exp(xs.length, buf.address("x"), buf.address("y"));
    const ys = buf.view("y");
    let worst = { ulps: 0, at: 0 };
    const wrongSpecial: string[] = [];
    xs.forEach((x, i) => {
      const want = Math.fround(Math.exp(x));
      const got = ys[i]!;
      if (Number.isNaN(want) || !Number.isFinite(want) || want === 0) {
        if (!Object.is(got, want)) wrongSpecial.push(`exp(${x}) = ${got}, want ${want}`);
        return;
      }
      // One unit in the last place of the float32 result; subnormals share the smallest one.
      const ulp = Math.max(2 ** -149, 2 ** (Math.floor(Math.log2(want)) - 23));
      const ulps = Math.abs(got - Math.exp(x)) / ulp;
      if (ulps > worst.ulps) worst = { ulps, at: x };
    });
    expect(wrongSpecial).toEqual([]);
    expect(worst.ulps, `worst at exp(${worst.at})`).toBeLessThanOrEqual(1);
    // The reference itself rounds: the error is never below half a unit somewhere.
    expect(worst.ulps).toBeGreaterThan(0.5);
  });

  it.each([1, 4, 7])("add's backward over %i floats per sample: gy assigned to one operand's gradient and added to the other's, or only one", async (size) => {
    const m = module();
    addBackwardKernel(m, "both", size, ["assign", "accumulate"]);
    addBackwardKernel(m, "second", size, [null, "assign"]);
    for (const n of [1, 3]) {
      const gy = sequence(n * size, 5 + n);
      const old = sequence(n * size, 50 + n);
      const plan = layout({ gy: n * size, a: n * size, b: n * size, c: n * size }, { gy, b: old });
      const { kernels, memory } = await load(m, ["both", "second"], plan.bytes);
      const buf = plan.place(memory);
      kernels.both!(n, buf.address("gy"), buf.address("a"), buf.address("b"));
      kernels.second!(n, buf.address("gy"), buf.address("c"));
      expect(Array.from(buf.view("a"))).toEqual(Array.from(gy));
      expect(Array.from(buf.view("b"))).toEqual(Array.from(gy, (g, i) => Math.fround(g + old[i]!)));
      expect(Array.from(buf.view("c"))).toEqual(Array.from(gy));
      expect(buf.outsideUntouched()).toBe(true);
    }
  });
});
