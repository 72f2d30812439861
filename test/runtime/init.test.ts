import { describe, expect, it } from "vitest";
import { initTensor } from "../../runtime/init.js";
import type { InitInfo } from "../../runtime/model.js";
import { Rng } from "../../runtime/rng.js";

function info(scheme: string, args: Record<string, number> = {}, fanIn = 300, fanOut = 200): InitInfo {
  return { scheme, args, fanIn, fanOut };
}

function moments(values: ArrayLike<number>): { mean: number; std: number; maxAbs: number } {
  let sum = 0;
  let sumSq = 0;
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    sumSq += values[i]! * values[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(values[i]!));
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(sumSq / values.length - mean * mean), maxAbs };
}

const SHAPE = [200, 300];

describe("initTensor", () => {
  it("fills constants", () => {
    const rng = new Rng(0);
    expect(Array.from(initTensor(info("zeros"), [2, 2], rng, "float32"))).toEqual([0, 0, 0, 0]);
    expect(Array.from(initTensor(info("ones"), [3], rng, "float64"))).toEqual([1, 1, 1]);
    expect(Array.from(initTensor(info("constant", { value: 0.25 }), [2], rng, "float32"))).toEqual([0.25, 0.25]);
  });

  it("returns the model's dtype and the shape's size", () => {
    expect(initTensor(info("zeros"), [2, 3, 4], new Rng(0), "float32")).toBeInstanceOf(Float32Array);
    const t = initTensor(info("zeros"), [2, 3, 4], new Rng(0), "float64");
    expect(t).toBeInstanceOf(Float64Array);
    expect(t.length).toBe(24);
    expect(initTensor(info("normal", { std: 1 }), [0, 5], new Rng(0), "float32").length).toBe(0);
  });

  // Each uniform scheme: U(-limit, limit), std limit/sqrt(3); each normal scheme: N(0, std).
  const uniform: [string, Record<string, number>, number][] = [
    ["uniform", { limit: 0.3 }, 0.3],
    ["xavier_uniform", {}, Math.sqrt(6 / 500)],
    ["he_uniform", {}, Math.sqrt(6 / 300)],
    ["torch_default", {}, 1 / Math.sqrt(300)],
  ];
  it.each(uniform)("%s draws U(-limit, limit) with the right limit", (scheme, args, limit) => {
    const m = moments(initTensor(info(scheme, args), SHAPE, new Rng(1), "float64"));
    expect(m.maxAbs).toBeLessThanOrEqual(limit);
    expect(m.maxAbs).toBeGreaterThan(limit * 0.999);
    expect(Math.abs(m.mean)).toBeLessThan(limit * 0.01);
    expect(m.std / (limit / Math.sqrt(3))).toBeCloseTo(1, 1);
  });

  const normal: [string, Record<string, number>, number][] = [
    ["normal", { std: 0.02 }, 0.02],
    ["xavier_normal", {}, Math.sqrt(2 / 500)],
    ["he_normal", {}, Math.sqrt(2 / 300)],
    ["lecun_normal", {}, Math.sqrt(1 / 300)],
  ];
  it.each(normal)("%s draws N(0, std^2) with the right std, untruncated", (scheme, args, std) => {
    const m = moments(initTensor(info(scheme, args), SHAPE, new Rng(2), "float64"));
    expect(Math.abs(m.mean)).toBeLessThan(std * 0.02);
    expect(Math.abs(m.std / std - 1)).toBeLessThan(0.01);
    expect(m.maxAbs).toBeGreaterThan(3 * std); // a truncated normal would stop at 2 std
  });

  it("draws uniforms row-major, one draw per element, in the order of the generator", () => {
    const t = initTensor(info("uniform", { limit: 2 }), [2, 3], new Rng(5), "float64");
    const rng = new Rng(5);
    expect(Array.from(t)).toEqual(Array.from({ length: 6 }, () => (2 * rng.next() - 1) * 2));
  });

  it("is reproducible from the seed", () => {
    const a = initTensor(info("he_normal"), [10, 10], new Rng(8), "float32");
    const b = initTensor(info("he_normal"), [10, 10], new Rng(8), "float32");
    expect(a).toEqual(b);
  });

  it("names an unknown scheme and a missing argument", () => {
    expect(() => initTensor(info("glorot"), [2], new Rng(0), "float32")).toThrow(/unknown init scheme 'glorot' \(known: zeros, ones/);
    expect(() => initTensor(info("constant"), [2], new Rng(0), "float32")).toThrow(/'constant' needs the argument 'value'/);
    expect(() => initTensor(info("he_normal", {}, 0), [2], new Rng(0), "float32")).toThrow(/positive fanIn/);
  });
});
