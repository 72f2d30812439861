// Special functions the emitted kernels need and JavaScript's Math lacks.

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2 / sqrt(pi)
const ONE_OVER_SQRT_PI = 0.5641895835477563; // 1 / sqrt(pi)

/** Below this |x| the series is used, above it the continued fraction for erfc. */
const SERIES_LIMIT = 2.5;

/**
 * The error function, to within a few units in the last place of a double (gelu is exact,
 * erf-based, as in PyTorch). For |x| < 2.5 the series
 *   erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)),
 * whose terms are all positive (no cancellation); beyond it, erf = 1 - erfc with erfc's
 * continued fraction, where erfc is already below 1e-3 so its error barely reaches erf.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 6) return x > 0 ? 1 : -1; // 1 - erfc(6) rounds to 1 in double
  const value = a < SERIES_LIMIT ? erfSeries(a) : 1 - erfcContinuedFraction(a);
  return x < 0 ? -value : value;
}

/** The complementary error function 1 - erf(x), accurate in relative terms also where it is tiny. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < SERIES_LIMIT) return 1 - erf(x);
  if (x > 27) return 0; // below the smallest double
  return erfcContinuedFraction(x);
}

function erfSeries(a: number): number {
  const x2 = a * a;
  let term = a;
  let sum = a;
  for (let n = 0; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 3);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/**
 * erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...))))),
 * evaluated by the modified Lentz method, for a >= 2.5 where it converges quickly.
 */
function erfcContinuedFraction(a: number): number {
  const tiny = 1e-300;
  let f = a;
  let c = a;
  let d = 0;
  for (let k = 1; k < 300; k++) {
    const coefficient = k / 2;
    d = a + coefficient * d;
    d = d === 0 ? tiny : d;
    c = a + coefficient / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (ONE_OVER_SQRT_PI * Math.exp(-a * a)) / f;
}
