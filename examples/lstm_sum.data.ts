// Data for lstm_sum.nn: random sequences of 12 digits, and at every position the sum of the
// digits so far modulo 10 (a running checksum). Each answer depends on every digit before
// it, so a network that looks at one position at a time cannot give it; one that carries a
// state from step to step can. Loaded by `nnc train lstm_sum.nn --data lstm_sum.data.ts`.

const LENGTH = 12; // the model's T
const DIGITS = 10; // the model's V

interface Sample {
  digits: number[];
  sums: number[];
}

/** A small seeded generator (a Weyl sequence through MurmurHash3's finaliser): the same data on every run. */
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
    const digits = Array.from({ length: LENGTH }, () => Math.floor(next() * DIGITS));
    let sum = 0;
    return { digits, sums: digits.map((d) => (sum = (sum + d) % DIGITS)) };
  });
}

export function train(): Sample[] {
  return sequences(4000, 1);
}

export function test(): Sample[] {
  return sequences(500, 2);
}
