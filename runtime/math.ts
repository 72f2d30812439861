// Special functions the emitted kernels need and JavaScript's Math lacks: the error function
// (gelu is exact, erf-based, as in PyTorch) and its complement.
//
// Both are rational approximations on a few intervals of |x|, in the form W. J. Cody made
// classic and with the coefficients Sun published in fdlibm's s_erf.c (its notice is below;
// every coefficient here was checked against the bit pattern published beside it). Each
// interval costs two short polynomials and a division, plus one exp (erf) or two (erfc) beyond
// |x| = 1.25: three to seven times faster than the power series of 20-45 terms per call that
// this replaced, which made gelu 40% of a training step (docs/performance.md). The test
// (test/runtime/math.test.ts) holds the accuracy to a reference it computes in 128-bit fixed
// point: erf within 1 ulp, erfc within a relative 1e-15 wherever it is 1e-300 or more.
//
//   Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//   Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify,
//   and distribute this software is freely granted, provided that this notice is preserved.

/**
 * Below this |x|, erf(x) = x + x * R(x^2). The sum keeps x exact and puts every rounding into
 * the correction x * R, which stays below 0.13 |x| (it vanishes at erf's fixed point, 0.6174);
 * fdlibm chose the end by experiment, to keep erf within an ulp.
 */
const NEAR_ZERO_END = 0.84375;
/** Below this |x| (and from NEAR_ZERO_END), erf(x) = ERX + P(s) / Q(s) around 1, s = |x| - 1. */
const NEAR_ONE_END = 1.25;
/** Where the tail's correction switches from the first coefficient set to the second. */
const TAIL_SPLIT = 1 / 0.35;
/** From here on 1 - erfc(x) rounds to 1 (erfc(6) is 2e-17, below half an ulp of 1). */
const ERF_SATURATES = 6;
/** From here on erfc(x) rounds to 0: it is below half the smallest subnormal from about 27.3 on. */
const ERFC_UNDERFLOWS = 28;
/** Below this |x|, erf(x) = (2/sqrt(pi)) x to within a relative 2^-57: the x^3 term is gone. */
const LINEAR_END = 2 ** -28;

const SCALE_UP = 2 ** 64;
const SCALE_DOWN = 2 ** -64;

/** 2/sqrt(pi) - 1. Adding EFX * x to x is closer to (2/sqrt(pi)) x than a product with the double nearest 2/sqrt(pi). */
const EFX = 1.28379167095512586316e-1;
/**
 * erf(1) to 24 bits (0.84506291151 rounded to single precision): 1 - ERX is then exact, so
 * erfc on the same interval subtracts the rational part from an exact value.
 */
const ERX = 8.45062911510467529297e-1;
const ONE_MINUS_ERX = 1 - ERX;

// (erf(x) - x) / x = P(x^2) / Q(x^2) on [0, 0.84375], |error| <= 2^-57.90.
const PP0 = 1.28379167095512558561e-1;
const PP1 = -3.2504210724700149937e-1;
const PP2 = -2.84817495755985104766e-2;
const PP3 = -5.77027029648944159157e-3;
const PP4 = -2.37630166566501626084e-5;
const QQ1 = 3.97917223959155352819e-1;
const QQ2 = 6.50222499887672944485e-2;
const QQ3 = 5.08130628187576562776e-3;
const QQ4 = 1.32494738004321644526e-4;
const QQ5 = -3.9602282787753681232e-6;

// erf(1 + s) - ERX = P(s) / Q(s) on [0.84375, 1.25], |error| <= 2^-59.06.
const PA0 = -2.36211856075265944077e-3;
const PA1 = 4.14856118683748331666e-1;
const PA2 = -3.72207876035701323847e-1;
const PA3 = 3.18346619901161753674e-1;
const PA4 = -1.10894694282396677476e-1;
const PA5 = 3.54783043256182359371e-2;
const PA6 = -2.166375594868790843e-3;
const QA1 = 1.06420880400844228286e-1;
const QA2 = 5.40397917702171048937e-1;
const QA3 = 7.18286544141962662868e-2;
const QA4 = 1.26171219808761642112e-1;
const QA5 = 1.36370839120290507362e-2;
const QA6 = 1.1984499846799107417e-2;

// The tail: erfc(x) = exp(-x^2 - 0.5625 + R(1/x^2) / S(1/x^2)) / x. R/S approximates the
// slowly varying log(x erfc(x)) + x^2 + 0.5625 (the asymptotic series of erfc in 1/x^2).
// On [1.25, 1/0.35], |error| <= 2^-62.57:
const RA0 = -9.86494403484714822705e-3;
const RA1 = -6.93858572707181764372e-1;
const RA2 = -1.05586262253232909814e1;
const RA3 = -6.23753324503260060396e1;
const RA4 = -1.62396669462573470355e2;
const RA5 = -1.84605092906711035994e2;
const RA6 = -8.12874355063065934246e1;
const RA7 = -9.81432934416914548592;
const SA1 = 1.96512716674392571292e1;
const SA2 = 1.376577541435190426e2;
const SA3 = 4.34565877475229228821e2;
const SA4 = 6.45387271733267880336e2;
const SA5 = 4.29008140027567833386e2;
const SA6 = 1.08635005541779435134e2;
const SA7 = 6.57024977031928170135;
const SA8 = -6.04244152148580987438e-2;
// On [1/0.35, 28], |error| <= 2^-61.52:
const RB0 = -9.86494292470009928597e-3;
const RB1 = -7.99283237680523006574e-1;
const RB2 = -1.77579549177547519889e1;
const RB3 = -1.60636384855821916062e2;
const RB4 = -6.37566443368389627722e2;
const RB5 = -1.02509513161107724954e3;
const RB6 = -4.83519191608651397019e2;
const SB1 = 3.03380607434824582924e1;
const SB2 = 3.25792512996573918826e2;
const SB3 = 1.53672958608443695994e3;
const SB4 = 3.19985821950859553908e3;
const SB5 = 2.55305040643316442583e3;
const SB6 = 4.74528541206955367215e2;
const SB7 = -2.24409524465858183362e1;

/** The error function, to within an ulp of a double; odd, erf(-0) = -0, NaN for NaN. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < NEAR_ZERO_END) return erfNearZero(x);
  if (a < NEAR_ONE_END) {
    const correction = nearOneCorrection(a);
    return x > 0 ? ERX + correction : -ERX - correction;
  }
  if (a < ERF_SATURATES) {
    // One exp of a rounded -a^2 suffices here, unlike in erfc: rounding a^2 changes erfc by a
    // relative ulp(a^2)/2, and erfc(a) * ulp(a^2)/2 stays below a tenth of an ulp of erf.
    const value = 1 - Math.exp(-a * a - 0.5625 + tailCorrection(a)) / a;
    return x > 0 ? value : -value;
  }
  if (a >= ERF_SATURATES) return x > 0 ? 1 : -1;
  return NaN; // every comparison with NaN is false
}

/** The complementary error function 1 - erf(x), accurate in relative terms also where it is tiny. */
export function erfc(x: number): number {
  const a = Math.abs(x);
  if (a < NEAR_ZERO_END) {
    const correction = x * nearZeroRatio(x * x);
    // Below 1/4 erf(x) < 0.28, so 1 - erf(x) cancels little. Above it, x - 0.5 is exact
    // (Sterbenz) and 0.5 - (x - 0.5 + x R) rounds once at erfc's own scale.
    if (x < 0.25) return 1 - (x + correction);
    return 0.5 - (x - 0.5 + correction);
  }
  if (a < NEAR_ONE_END) {
    const correction = nearOneCorrection(a);
    return x > 0 ? ONE_MINUS_ERX - correction : 1 + ERX + correction;
  }
  if (a < ERFC_UNDERFLOWS) {
    const tail = erfcTail(a);
    return x > 0 ? tail : 2 - tail;
  }
  if (a >= ERFC_UNDERFLOWS) return x > 0 ? 0 : 2;
  return NaN; // every comparison with NaN is false
}

function erfNearZero(x: number): number {
  if (Math.abs(x) < LINEAR_END) {
    // erf(x) = x + EFX x. Scaled up first so that a subnormal x keeps all its bits in EFX x;
    // scaling by powers of two is exact, so the result rounds once, at the end.
    const scaled = x * SCALE_UP;
    return (scaled + EFX * scaled) * SCALE_DOWN;
  }
  return x + x * nearZeroRatio(x * x);
}

/** (erf(x) - x) / x as a function of z = x^2, for |x| < NEAR_ZERO_END. */
function nearZeroRatio(z: number): number {
  const p = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
  const q = 1 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
  return p / q;
}

/** erf(a) - ERX for NEAR_ZERO_END <= a < NEAR_ONE_END; a - 1 is exact there (Sterbenz). */
function nearOneCorrection(a: number): number {
  const s = a - 1;
  const p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
  const q = 1 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
  return p / q;
}

/** log(a erfc(a)) + a^2 + 0.5625 for NEAR_ONE_END <= a < ERFC_UNDERFLOWS. */
function tailCorrection(a: number): number {
  const s = 1 / (a * a);
  if (a < TAIL_SPLIT) {
    const r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
    const q = 1 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
    return r / q;
  }
  const r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
  const q = 1 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
  return r / q;
}

/**
 * erfc(a) for NEAR_ONE_END <= a < ERFC_UNDERFLOWS, to a relative few ulps. exp(-a^2) with a^2
 * rounded would be off by a relative ulp(a^2)/2 (6e-14 at a = 26), so a is split as z + (a - z)
 * with z = a rounded to single precision: z^2 has at most 48 significant bits, so
 * -z^2 - 0.5625 is exact, and the rest of -a^2, (z - a)(z + a), is so small that rounding it
 * costs nothing relative to the result.
 */
function erfcTail(a: number): number {
  const z = Math.fround(a);
  return (Math.exp(-z * z - 0.5625) * Math.exp((z - a) * (z + a) + tailCorrection(a))) / a;
}
