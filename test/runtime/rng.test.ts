import { describe, expect, it } from "vitest";
import { Rng, RngStream } from "../../runtime/rng.js";

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.next());
}

describe("Rng (xoshiro128** seeded by splitmix32)", () => {
  it("matches the reference C implementation of xoshiro128** from the state [1, 2, 3, 4]", () => {
    // Printed by Blackman and Vigna's xoshiro128starstar.c with s = {1, 2, 3, 4}.
    const rng = new Rng(0);
    rng.setState(Uint32Array.of(1, 2, 3, 4));
    expect(Array.from({ length: 6 }, () => rng.nextU32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it("gives the same sequence for the same seed and different sequences for nearby seeds", () => {
    expect(draws(new Rng(42), 50)).toEqual(draws(new Rng(42), 50));
    expect(draws(new Rng(42), 5)).not.toEqual(draws(new Rng(43), 5));
    expect(draws(new Rng(2 ** 40), 5)).not.toEqual(draws(new Rng(0), 5));
  });

  it("rejects seeds that are not safe integers", () => {
    expect(() => new Rng(1.5)).toThrow(/seed must be an integer/);
    expect(() => new Rng(NaN)).toThrow(/seed must be an integer/);
  });

  it("next() is in [0, 1) with mean near 1/2", () => {
    const rng = new Rng(7);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = rng.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.005);
  });

  it("normal() has mean 0 and variance 1", () => {
    const rng = new Rng(3);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.015);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.02);
  });

  it("int(n) covers 0..n-1 evenly and rejects bad bounds", () => {
    const rng = new Rng(11);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.int(6)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(() => rng.int(0)).toThrow(/integer bound/);
    expect(() => rng.int(2.5)).toThrow(/integer bound/);
  });

  it("shuffle() permutes in place, reproducibly", () => {
    const a = Int32Array.from({ length: 100 }, (_, i) => i);
    const b = a.slice();
    new Rng(5).shuffle(a);
    new Rng(5).shuffle(b);
    expect(a).toEqual(b);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("getState/setState resume the sequence exactly", () => {
    const rng = new Rng(9);
    draws(rng, 17);
    const saved = rng.getState();
    const expected = draws(rng, 20);
    const other = new Rng(1234);
    other.setState(saved);
    expect(draws(other, 20)).toEqual(expected);
  });

  it("setState rejects states of the wrong size or all zeros", () => {
    expect(() => new Rng(0).setState(new Uint32Array(3))).toThrow(/4 words/);
    expect(() => new Rng(0).setState(new Uint32Array(4))).toThrow(/all zeros/);
  });

  it("fork() gives independent, reproducible streams without advancing the parent", () => {
    const root = new Rng(1);
    const before = root.getState();
    const init = root.fork(RngStream.init);
    const dropout = root.fork(RngStream.dropout);
    expect(root.getState()).toEqual(before);
    expect(draws(init, 5)).not.toEqual(draws(dropout, 5));
    expect(draws(new Rng(1).fork(RngStream.init), 5)).toEqual(draws(new Rng(1).fork(RngStream.init), 5));
    // Drawing from one stream does not change another.
    const a = new Rng(1);
    const initFirst = draws(a.fork(RngStream.init), 3);
    draws(a.fork(RngStream.shuffle), 1000);
    expect(draws(a.fork(RngStream.init), 3)).toEqual(initFirst);
  });
});
