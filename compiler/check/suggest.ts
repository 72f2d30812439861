// "Did you mean": the closest known name to a misspelt one.

/** Optimal string alignment distance: Levenshtein plus the swap of two neighbours (`dnese`). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}

/**
 * The candidate closest to `name`, if it is close enough to be a likely typo: a difference
 * of case only, or one edit (names up to 4 letters) or two (longer names). Between equally
 * distant candidates, one that starts with the other wins: `unit` is `units` cut short (a
 * plural, an unfinished word) far more often than `init` with a wrong letter.
 */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length === 0) return undefined;
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === name) continue;
    const other = c.toLowerCase();
    const prefix = other !== lower && (other.startsWith(lower) || lower.startsWith(other));
    const distance = other === lower ? 0.5 : editDistance(name, c) - (prefix ? 0.25 : 0);
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = distance;
    }
  }
  // One letter is too little to guess from; short names allow one edit, longer ones two.
  const limit = name.length <= 1 ? 0.5 : name.length <= 4 ? 1 : 2;
  return bestDistance <= limit ? best : undefined;
}
