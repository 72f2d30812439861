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

/** Where runtime/math.ts switches formulas; each is tested at, just below and just above. */
const INTERVAL_EDGES = [2 ** -28, 0.25, 0.84375, 1.25, 1 / 0.35, 6, 28];

describe("erf", () => {
  it.each(REFERENCE)("erf(%d) agrees with the C library to within 1 unit in the last place", (x, expected) => {
    expect(Math.abs(erf(x) - expected)).toBeLessThanOrEqual(ulp(expected));
  });

  it("is within 1 ulp of a 128-bit reference across [-7, 7], at every interval edge and for tiny |x|", () => {
    const points = [
      ...evenlySpaced(-7, 7, 1401),
      ...seededUniform(-7, 7, 1500, 1),
      ...seededUniform(-1.5, 1.5, 500, 2),
      ...withNeighbours(INTERVAL_EDGES.filter((edge) => edge < 7)).flatMap((x) => [x, -x]),
      ...[1e-300, 5e-324, 2.2250738585072014e-308, 1e-20, 1e-9, 3e-5].flatMap((x) => [x, -x]),
    ];
    const worst = worstOver(points, (x) => erfErrorInUlps(x));
    expect(worst.error, `erf(${worst.x})`).toBeLessThanOrEqual(1);
  });

  it("is odd, keeps the sign of zero, is ±1 far out and NaN for NaN", () => {
    for (const x of [1e-310, 0.2, 0.84375, 1.7, 2.5, 4.2, 6, 30]) expect(erf(-x)).toBe(-erf(x));
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(1e300)).toBe(1);
    expect(erf(NaN)).toBeNaN();
  });
});

describe("erfc", () => {
  it.each(REFERENCE)("erfc(%d) agrees with the C library to a relative 1e-15", (x, _erf, expected) => {
    expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1e-15);
  });

  it("keeps a relative 1e-15 wherever erfc(x) >= 1e-300, against a 128-bit reference", () => {
    const points = [
      ...evenlySpaced(-7, 7, 1401),
      ...seededUniform(-7, 7, 1000, 3),
      ...seededUniform(7, 26.5, 400, 4),
      ...withNeighbours(INTERVAL_EDGES).flatMap((x) => [x, -x]),
      ...[26, 26.2, 26.5, 1e-300, 5e-324].flatMap((x) => [x, -x]),
    ];
    const inRange = points.filter((x) => x < 26.2 || referenceErfc(x) >= 1e-300);
    expect(inRange.length).toBeGreaterThan(2800);
    const worst = worstOver(inRange, (x) => erfcRelativeError(x));
    expect(worst.error, `erfc(${worst.x})`).toBeLessThan(1e-15);
  });

  it("is 2 - erfc(-x), 0 and 2 far out, and NaN for NaN", () => {
    for (const x of [0.1, 0.5, 1, 2, 5]) expect(Math.abs(erfc(-x) - (2 - erfc(x)))).toBeLessThanOrEqual(ulp(2));
    expect(erfc(0)).toBe(1);
    expect(erfc(-0)).toBe(1);
    expect(erfc(30)).toBe(0);
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-30)).toBe(2);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfc(NaN)).toBeNaN();
  });
});

describe("the 128-bit reference", () => {
  it.each(REFERENCE.filter(([x]) => x !== 0))("agrees with the C library at %d", (x, expectedErf, expectedErfc) => {
    const { erf: exactErf, erfc: exactErfc } = exactErfAndErfc(x);
    expect(Math.abs(toNumber(exactErf) - expectedErf)).toBeLessThanOrEqual(ulp(expectedErf));
    expect(Math.abs(toNumber(exactErfc) - expectedErfc) / expectedErfc).toBeLessThan(1e-15);
  });
});

// ---------------------------------------------------------------------------------------------
// The reference: erf and erfc of a double computed exactly enough with BigInt fixed point,
// independently of runtime/math.ts (no rational approximation, no Math.exp). For a = |x|,
//   E = exp(a^2)                      = sum_n a^(2n) / n!
//   S = exp(a^2) sqrt(pi)/2 erf(a)    = sum_n 2^n a^(2n+1) / (1 * 3 * ... * (2n+1))
// are sums of positive terms (no cancellation), and with T = (2/sqrt(pi)) S,
//   erf(a) = T / E,   erfc(a) = (E - T) / E.
// E - T is about 1/(a sqrt(pi)): erfc loses no relative precision to the subtraction as long as
// E and T are known to far more fraction bits than E has integer bits. Terms rise by up to
// E's size before they fall, and each carries forward the relative error of the term before,
// so the fixed point keeps WORKING_BITS beyond log2(E) = a^2 log2(e), and beyond |x|'s own.
// ---------------------------------------------------------------------------------------------

/** A dyadic rational m * 2^e: exact, so that errors are measured without rounding. */
interface Dyadic {
  m: bigint;
  e: number;
}

/** Fraction bits kept by the fixed-point sums beyond those |x| itself needs. */
const WORKING_BITS = 128;
/** Bits of the quotients T/E and (E - T)/E. */
const QUOTIENT_BITS = 128;

function exactErfAndErfc(x: number): { erf: Dyadic; erfc: Dyadic } {
  const a = fromNumber(Math.abs(x));
  const expBits = Math.ceil(Math.abs(x) * Math.abs(x) * Math.LOG2E);
  const precision = WORKING_BITS + expBits + Math.max(0, -binaryExponent(a));
  const aFixed = shift(a.m, a.e + precision);
  const aSquared = (aFixed * aFixed) >> BigInt(precision);
  const one = 1n << BigInt(precision);

  let expSum = 0n;
  for (let n = 0, term = one; term > 0n; n++) {
    expSum += term;
    term = ((term * aSquared) >> BigInt(precision)) / BigInt(n + 1);
  }
  let seriesSum = 0n;
  for (let n = 0, term = aFixed; term > 0n; n++) {
    seriesSum += term;
    term = ((term * 2n * aSquared) >> BigInt(precision)) / BigInt(2 * n + 3);
  }
  // Enough bits of 2/sqrt(pi) that its error, times seriesSum, stays far below one unit.
  const constantBits = precision + Math.max(64, bitLength(seriesSum) - precision + 64);
  const t = (twoOverSqrtPi(constantBits) * seriesSum) >> BigInt(constantBits);

  const erfNumerator = x < 0 ? -t : t;
  const erfcNumerator = x < 0 ? expSum + t : expSum - t;
  return { erf: quotient(erfNumerator, expSum), erfc: quotient(erfcNumerator, expSum) };
}

function referenceErfc(x: number): number {
  return toNumber(exactErfAndErfc(x).erfc);
}

/** |erf(x) - exact| in units in the last place of the exact value (as a double would have it). */
function erfErrorInUlps(x: number): number {
  const exact = exactErfAndErfc(x).erf;
  const ulpExponent = Math.max(binaryExponent(exact), -1022) - 52;
  const error = subtract(fromNumber(erf(x)), exact);
  return Math.abs(toNumber({ m: error.m, e: error.e - ulpExponent }));
}

function erfcRelativeError(x: number): number {
  const exact = exactErfAndErfc(x).erfc;
  const error = subtract(fromNumber(erfc(x)), exact);
  const scale = binaryExponent(exact);
  return Math.abs(toNumber({ m: error.m, e: error.e - scale }) / toNumber({ m: exact.m, e: exact.e - scale }));
}

/** a / b to QUOTIENT_BITS significant bits (truncated: an error of 2^-127 relative). */
function quotient(a: bigint, b: bigint): Dyadic {
  if (a === 0n) return { m: 0n, e: 0 };
  const negative = a < 0n;
  const magnitude = negative ? -a : a;
  const bits = QUOTIENT_BITS + bitLength(b) - bitLength(magnitude);
  const q = shift(magnitude, bits) / b;
  return { m: negative ? -q : q, e: -bits };
}

/** 2/sqrt(pi) * 2^bits, from Machin's pi = 16 atan(1/5) - 4 atan(1/239); cached by precision. */
const twoOverSqrtPiCache = new Map<number, bigint>();
function twoOverSqrtPi(bits: number): bigint {
  const cached = twoOverSqrtPiCache.get(bits);
  if (cached !== undefined) return cached;
  const guard = bits + 32;
  const pi = 16n * arctanOfInverse(5n, guard) - 4n * arctanOfInverse(239n, guard);
  const sqrtPi = integerSqrt(pi << BigInt(guard)); // sqrt(pi) * 2^guard
  const value = ((2n << BigInt(2 * guard)) / sqrtPi) >> 32n;
  twoOverSqrtPiCache.set(bits, value);
  return value;
}

/** atan(1/n) * 2^bits, from its alternating series. */
function arctanOfInverse(n: bigint, bits: number): bigint {
  let power = (1n << BigInt(bits)) / n; // 2^bits / n^(2k+1)
  let sum = 0n;
  for (let k = 0n; power > 0n; k++) {
    const term = power / (2n * k + 1n);
    sum += k % 2n === 0n ? term : -term;
    power /= n * n;
  }
  return sum;
}

function integerSqrt(value: bigint): bigint {
  let root = 1n << BigInt(Math.ceil(bitLength(value) / 2));
  for (;;) {
    const next = (root + value / root) >> 1n;
    if (next >= root) return root;
    root = next;
  }
}

const bitsView = new DataView(new ArrayBuffer(8));

/** The exact value of a finite double. */
function fromNumber(x: number): Dyadic {
  bitsView.setFloat64(0, x);
  const high = bitsView.getUint32(0);
  const low = bitsView.getUint32(4);
  const biasedExponent = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  const magnitude = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  const e = biasedExponent === 0 ? -1074 : biasedExponent - 1075;
  return { m: high >>> 31 ? -magnitude : magnitude, e };
}

/** The nearest double (to within the rounding of a 64-bit truncation, far below an ulp). */
function toNumber(value: Dyadic): number {
  const magnitude = value.m < 0n ? -value.m : value.m;
  const excess = Math.max(0, bitLength(magnitude) - 64);
  const head = Number(magnitude >> BigInt(excess));
  // Two steps, so that neither factor overflows or underflows on its own.
  const exponent = value.e + excess;
  const half = Math.trunc(exponent / 2);
  const result = head * 2 ** half * 2 ** (exponent - half);
  return value.m < 0n ? -result : result;
}

function subtract(a: Dyadic, b: Dyadic): Dyadic {
  const e = Math.min(a.e, b.e);
  return { m: shift(a.m, a.e - e) - shift(b.m, b.e - e), e };
}

/** floor(log2 |value|). */
function binaryExponent(value: Dyadic): number {
  return bitLength(value.m < 0n ? -value.m : value.m) - 1 + value.e;
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** value * 2^bits, truncated toward zero when bits < 0. */
function shift(value: bigint, bits: number): bigint {
  return bits >= 0 ? value << BigInt(bits) : value / (1n << BigInt(-bits));
}

// ---------------------------------------------------------------------------------------------
// Points and measures
// ---------------------------------------------------------------------------------------------

function worstOver(points: number[], error: (x: number) => number): { x: number; error: number } {
  let worst = { x: NaN, error: 0 };
  for (const x of points) {
    const e = error(x);
    if (!(e <= worst.error)) worst = { x, error: e }; // NaN counts as worst
  }
  return worst;
}

function evenlySpaced(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + ((to - from) * i) / (count - 1));
}

/** Uniform on [from, to) from a fixed-seed xorshift generator, so every run tests the same points. */
function seededUniform(from: number, to: number, count: number, seed: number): number[] {
  let state = (seed * 0x9e3779b9) >>> 0 || 1;
  return Array.from({ length: count }, () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return from + ((to - from) * state) / 2 ** 32;
  });
}

/** Each value with the doubles just below and just above it. */
function withNeighbours(values: number[]): number[] {
  return values.flatMap((x) => [nextDouble(x, -1), x, nextDouble(x, 1)]);
}

function nextDouble(x: number, direction: 1 | -1): number {
  bitsView.setFloat64(0, x);
  bitsView.setBigUint64(0, bitsView.getBigUint64(0) + BigInt(direction)); // x > 0
  return bitsView.getFloat64(0);
}

/** The spacing of doubles at |x|. */
function ulp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  return Math.pow(2, Math.max(Math.floor(Math.log2(Math.abs(x))), -1022) - 52);
}
