// The seeded generator behind initial weights, dropout and data order.
//
// Algorithm: xoshiro128** 1.1 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro128starstar.c),
// a 128-bit state of four 32-bit words, seeded by splitmix32 (the 32-bit Weyl sequence with
// the MurmurHash3 finaliser) so that nearby seeds give unrelated states. Every operation is
// exact 32-bit integer arithmetic (Math.imul, >>>), so a seed gives the same sequence bit for
// bit on every JavaScript engine. The state is just the four words: nothing is cached
// (normal() draws a fresh pair each time), so getState/setState capture everything.

import type { RandomSource } from "./model.js";

/**
 * Stream numbers for `Rng.fork`: each consumer draws from its own stream, so that e.g.
 * changing the batch size (more or fewer shuffles) never changes the initial weights.
 */
export const RngStream = {
  init: 1,
  dropout: 2,
  shuffle: 3,
  data: 4,
} as const;

const GOLDEN_GAMMA = 0x9e3779b9;
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** MurmurHash3's 32-bit finaliser: a bijection on 32-bit words with full avalanche. */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Four words from splitmix32 started at `start`. The words are the finaliser applied to four
 * distinct inputs, and the finaliser is a bijection, so at most one of them is zero: the
 * state is never the all-zero state xoshiro must avoid.
 */
function splitmix32State(start: number): Uint32Array {
  const state = new Uint32Array(4);
  let weyl = start >>> 0;
  for (let i = 0; i < 4; i++) {
    weyl = (weyl + GOLDEN_GAMMA) >>> 0;
    state[i] = mix32(weyl);
  }
  return state;
}

/** Folds an integer seed of up to 53 bits into 32 bits, keeping the high bits significant. */
function seedWord(seed: number): number {
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`seed must be an integer between -2^53 and 2^53, got ${seed}`);
  }
  const low = seed >>> 0;
  const high = Math.floor(seed / TWO_POW_32) >>> 0;
  return high === 0 ? low : (low ^ mix32(high ^ GOLDEN_GAMMA)) >>> 0;
}

/** A standard normal sample from any uniform source, by Box-Muller (the cosine half; no spare kept). */
export function standardNormal(source: RandomSource): number {
  const u1 = 1 - source.next(); // in (0, 1]: log(u1) is finite
  const u2 = source.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export class Rng implements RandomSource {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number) {
    this.setState(splitmix32State(seedWord(seed)));
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits (two draws), so float64 models see no lattice. */
  next(): number {
    const high = this.nextU32() >>> 5; // 27 bits
    const low = this.nextU32() >>> 6; // 26 bits
    return (high * 67108864 + low) / TWO_POW_53;
  }

  /** A standard normal sample (Box-Muller, two uniforms per sample). */
  normal(): number {
    return standardNormal(this);
  }

  /** Uniform integer in [0, n), without modulo bias (rejection of the short last interval). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new Error(`Rng.int needs an integer bound between 1 and 2^32, got ${n}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Fisher-Yates shuffle in place, from the last element down. */
  shuffle(indices: Int32Array | Uint32Array): void {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = indices[i]!;
      indices[i] = indices[j]!;
      indices[j] = tmp;
    }
  }

  /**
   * An independent generator for stream `stream`, derived from this generator's current
   * state without advancing it: the same parent state and stream always give the same child.
   */
  fork(stream: number): Rng {
    if (!Number.isInteger(stream) || stream < 0 || stream >= TWO_POW_32) {
      throw new Error(`Rng.fork needs a stream number between 0 and 2^32-1, got ${stream}`);
    }
    let h = mix32((stream ^ GOLDEN_GAMMA) >>> 0);
    h = mix32((h ^ this.s0) >>> 0);
    h = mix32((h ^ this.s1) >>> 0);
    h = mix32((h ^ this.s2) >>> 0);
    h = mix32((h ^ this.s3) >>> 0);
    const child = new Rng(0);
    child.setState(splitmix32State(h));
    return child;
  }

  getState(): Uint32Array {
    return Uint32Array.of(this.s0, this.s1, this.s2, this.s3);
  }

  setState(state: Uint32Array): void {
    if (state.length !== 4) {
      throw new Error(`Rng state must be 4 words (xoshiro128**), got ${state.length}`);
    }
    if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) {
      throw new Error("Rng state must not be all zeros (xoshiro128** would only return zeros)");
    }
    this.s0 = state[0]! | 0;
    this.s1 = state[1]! | 0;
    this.s2 = state[2]! | 0;
    this.s3 = state[3]! | 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
