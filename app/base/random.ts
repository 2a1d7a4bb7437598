/**
 * A small seeded pseudo-random generator (mulberry32), so that splits, shuffles, initialisation
 * and augmentation are reproducible from one number. Not for cryptography.
 */
export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n); n must be a positive integer. */
  int(n: number): number;
  /** Standard normal (mean 0, variance 1), by the Box–Muller transform. */
  normal(): number;
  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<A extends { length: number; [index: number]: unknown }>(items: A): A;
}

export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) throw new RangeError(`createRng: seed must be an integer, got ${seed}`);
  // splitmix32 once, so that nearby seeds (1, 2, 3...) start from unrelated states.
  let state = mix32((seed | 0) ^ Math.floor(seed / 2 ** 32));
  let spareNormal: number | null = null;

  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(next() * n);
  };

  const normal = (): number => {
    if (spareNormal !== null) {
      const z = spareNormal;
      spareNormal = null;
      return z;
    }
    const u = 1 - next(); // (0, 1]: log(u) is finite
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };

  const shuffle = <A extends { length: number; [index: number]: unknown }>(items: A): A => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      const t = items[i];
      items[i] = items[j]!;
      items[j] = t!;
    }
    return items;
  };

  return { next, int, normal, shuffle };
}

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}
