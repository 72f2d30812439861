import { describe, expect, it } from "vitest";
import { createSchedule } from "../../runtime/schedule.js";

describe("schedules", () => {
  it("constant keeps the base rate", () => {
    const s = createSchedule({ name: "constant", args: {} });
    expect([0, 1, 1000].map((t) => s(0.1, t, 10))).toEqual([0.1, 0.1, 0.1]);
  });

  it("step multiplies by gamma every `every` steps (torch StepLR)", () => {
    const s = createSchedule({ name: "step", args: { every: 10, gamma: 0.5 } });
    expect([0, 9, 10, 19, 20, 35].map((t) => s(1, t, 0))).toEqual([1, 1, 0.5, 0.5, 0.25, 0.125]);
  });

  it("cosine warms up linearly from 0, then decays to 0 at totalSteps and stays there", () => {
    const s = createSchedule({ name: "cosine", args: { warmup: 4 } });
    const total = 14; // 10 decay steps after the warm-up
    expect(s(1, 0, total)).toBe(0);
    expect(s(1, 2, total)).toBe(0.5);
    expect(s(1, 4, total)).toBe(1);
    expect(s(1, 9, total)).toBeCloseTo(0.5, 15); // half-way through the decay: cos(pi/2)
    expect(s(1, 14, total)).toBe(0);
    expect(s(1, 20, total)).toBe(0);
    expect(s(2, 6, total)).toBeCloseTo(2 * 0.5 * (1 + Math.cos(Math.PI * 0.2)), 15);
  });

  it("cosine without warm-up starts at the base rate", () => {
    const s = createSchedule({ name: "cosine", args: {} });
    expect(s(0.3, 0, 100)).toBe(0.3);
    expect(s(0.3, 50, 100)).toBeCloseTo(0.15, 15);
  });

  it("names unknown schedules and arguments", () => {
    expect(() => createSchedule({ name: "exp", args: {} })).toThrow(/unknown schedule 'exp' \(known: constant, step, cosine\)/);
    expect(() => createSchedule({ name: "cosine", args: { warm: 3 } })).toThrow(/cosine has no argument 'warm' \(it takes: warmup\)/);
    expect(() => createSchedule({ name: "step", args: { every: 0 } })).toThrow(/'every' must be a positive integer/);
  });
});
