// Const folding and broadcasting, as pure rules.
import { describe, expect, it } from "vitest";
import { broadcast, foldNumbers } from "../../../compiler/check/arithmetic.js";

const whole = (value: number) => ({ value, whole: true });
const decimal = (value: number) => ({ value, whole: false });

describe("foldNumbers", () => {
  it("folds + - * and keeps whole numbers whole", () => {
    expect(foldNumbers("+", whole(2), whole(3))).toEqual(whole(5));
    expect(foldNumbers("-", whole(2), whole(3))).toEqual(whole(-1));
    expect(foldNumbers("*", whole(4), whole(32))).toEqual(whole(128));
  });
  it("divides whole numbers only exactly", () => {
    expect(foldNumbers("/", whole(128), whole(4))).toEqual(whole(32));
    expect(foldNumbers("/", whole(7), whole(2))).toMatchObject({ error: "7 / 2 does not divide exactly; write 7.0 / 2 for a fraction" });
  });
  it("divides decimals freely, and the result is no longer whole", () => {
    expect(foldNumbers("/", decimal(1), whole(4))).toEqual(decimal(0.25));
    expect(foldNumbers("*", decimal(0.5), whole(4))).toEqual(decimal(2));
  });
  it("refuses division by zero and results too large to represent", () => {
    expect(foldNumbers("/", whole(1), whole(0))).toMatchObject({ error: "division by zero: 1 / 0", code: { code: "NN2005" } });
    expect(foldNumbers("*", decimal(1e300), decimal(1e300))).toMatchObject({ code: { code: "NN1022" } });
  });
});

describe("broadcast", () => {
  it("aligns from the last axis", () => {
    expect(broadcast([8, 32], [32])).toEqual([8, 32]);
    expect(broadcast([32], [8, 32])).toEqual([8, 32]);
    expect(broadcast([2, 3, 4], [3, 4])).toEqual([2, 3, 4]);
    expect(broadcast([], [5])).toEqual([5]);
  });
  it("refuses shapes whose tails differ, including size-1 axes", () => {
    expect(broadcast([128], [784])).toBeNull();
    expect(broadcast([8, 32], [8])).toBeNull();
    expect(broadcast([8, 32], [1, 32])).toBeNull();
  });
});
