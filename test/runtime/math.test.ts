import { describe, expect, it } from "vitest";
import { erf, erfc } from "../../runtime/math.js";

// [x, erf(x), erfc(x)] from CPython's math module (the C library's erf), an independent reference.
const REFERENCE: [number, number, number][] = [
  [-7, -1.0, 2.0],
  [-3.3, -0.9999969422902035, 1.9999969422902035],
  [-2.5, -0.999593047982555, 1.999593047982555],
  [-1, -0.8427007929497149, 1.842700792949715],
  [-0.3, -0.3286267594591274, 1.3286267594591274],
  [0, 0.0, 1.0],
  [1e-10, 1.1283791670955126e-10, 0.999999999887162],
  [0.1, 0.1124629160182849, 0.8875370839817152],
  [0.5, 0.5204998778130465, 0.4795001221869535],
  [0.84375, 0.7672256612323416, 0.23277433876765835],
  [1.0, 0.8427007929497149, 0.15729920705028513],
  [1.5, 0.9661051464753108, 0.033894853524689274],
  [2.0, 0.9953222650189527, 0.004677734981047265],
  [2.49, 0.9995707121322661, 0.000429287867733913],
  [2.5, 0.999593047982555, 0.0004069520174449589],
  [2.6, 0.9997639655834707, 0.00023603441652934908],
  [3, 0.9999779095030014, 2.2090496998585438e-5],
  [3.5, 0.9999992569016276, 7.430983723414128e-7],
  [4, 0.9999999845827421, 1.541725790028002e-8],
  [5, 0.9999999999984626, 1.5374597944280351e-12],
  [5.9, 0.9999999999999999, 7.190409783550478e-17],
];

describe("erf", () => {
  it.each(REFERENCE)("erf(%d) agrees with the C library to within 2 units in the last place", (x, expected) => {
    expect(Math.abs(erf(x) - expected)).toBeLessThanOrEqual(2 * ulp(expected));
  });

  it.each(REFERENCE.filter(([x]) => x >= 2.5))("erfc(%d) keeps relative precision in the tail", (x, _e, expected) => {
    expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1e-14);
  });

  it("is odd, bounded by 1, and NaN for NaN", () => {
    for (const x of [0.2, 1.7, 2.5, 4.2]) expect(erf(-x)).toBe(-erf(x));
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
  });
});

/** The spacing of doubles at |x|. */
function ulp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  return Math.pow(2, Math.floor(Math.log2(Math.abs(x))) - 52);
}
