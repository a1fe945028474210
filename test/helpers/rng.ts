/**
 * mulberry32: a small, fast seeded PRNG. Every randomized test and the fuzzer use this one, so a
 * failing case is replayed from its seed.
 */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The same mulberry32 step, as a draw of a whole number below `n` (the 32-bit output modulo n):
 * `randomInt(seed)(n)`. The equivalence tests of the doctor's indexes draw their cases with it.
 */
export function randomInt(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}
