// How many elements a tensor has, and the most one may have.

/** The most elements one tensor may have: typed arrays are indexed by 32-bit integers. */
export const maxElements = 2 ** 31 - 1;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Total elements over a list of parameters, as hover shows for a call. */
export function countElements(params: readonly { shape: readonly number[] }[]): number {
  let total = 0;
  for (const p of params) total += elementCount(p.shape);
  return total;
}
