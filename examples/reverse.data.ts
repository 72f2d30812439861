// Data for reverse.nn: random sequences of 8 digits and the same digits reversed.
// Loaded by `nnc train reverse.nn --data reverse.data.ts`; a data module exports `train`
// and `test`, each an array of samples (or a function returning one) with a field per
// model input and target.

const LENGTH = 8; // the model's T
const DIGITS = 10; // the model's V

interface Sample {
  tokens: number[];
  reversed: number[];
}

/**
 * A small seeded generator (a Weyl sequence through MurmurHash3's finaliser), so that the
 * data is the same on every run without importing anything.
 */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

function sequences(count: number, seed: number): Sample[] {
  const next = generator(seed);
  return Array.from({ length: count }, () => {
    const tokens = Array.from({ length: LENGTH }, () => Math.floor(next() * DIGITS));
    return { tokens, reversed: [...tokens].reverse() };
  });
}

export function train(): Sample[] {
  return sequences(4000, 1);
}

export function test(): Sample[] {
  return sequences(500, 2);
}
