// How tests compare two tensors computed in different ways (float32 vs float64, Neuron vs
// tfjs): the largest absolute difference relative to the larger of the reference's own
// magnitude and a floor, so that near-zero tensors do not turn round-off into failures.

export type Numbers = ArrayLike<number>;

/** max|a - b| / max(max|b|, floor); Infinity when the lengths differ or a value is not finite. */
export function relativeDifference(actual: Numbers, expected: Numbers, floor = 1e-3): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  let scale = floor;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
    worst = Math.max(worst, Math.abs(a - b));
    scale = Math.max(scale, Math.abs(b));
  }
  return worst / scale;
}

/** The names whose tensors differ by more than `tolerance` (relativeDifference with `floor`), each with its difference, for a readable failure. */
export function tensorsBeyond(
  actual: Map<string, Numbers> | Record<string, Numbers>,
  expected: Map<string, Numbers> | Record<string, Numbers>,
  tolerance: number,
  floor = 1e-3,
): Record<string, number> {
  const get = (m: Map<string, Numbers> | Record<string, Numbers>, k: string) => (m instanceof Map ? m.get(k) : m[k]);
  const keys = expected instanceof Map ? [...expected.keys()] : Object.keys(expected);
  const failures: Record<string, number> = {};
  for (const key of keys) {
    const a = get(actual, key);
    const difference = a ? relativeDifference(a, get(expected, key)!, floor) : Infinity;
    if (!(difference <= tolerance)) failures[key] = difference;
  }
  return failures;
}

/** The largest magnitude over a set of tensors: a scale for values that are zero in exact arithmetic. */
export function largestMagnitude(tensors: Iterable<Numbers>): number {
  let largest = 0;
  for (const t of tensors) for (let i = 0; i < t.length; i++) largest = Math.max(largest, Math.abs(t[i]!));
  return largest;
}
