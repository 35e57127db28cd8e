/**
 * Seeded randomness for training. Every randomized step (k-means++ seeding, synthetic data) draws
 * from an Rng, so a trained model is a pure function of (data, options, seed) on every runtime;
 * Math.random cannot be seeded and is not reproducible between Node and Workers.
 *
 * mulberry32: 32 bits of state, passes the usual statistical batteries well enough for seeding and
 * test data, and needs only Math.imul, so it is exact in plain JS numbers. Its 2^32 period is far
 * beyond anything a training run draws.
 */
export class Rng {
  private state: number;
  // Box-Muller yields two normals per pair of uniforms; keeping the second halves the log/sqrt work.
  private spare: number | null = null;

  /** `seed` is taken modulo 2^32; nearby seeds are decorrelated by a splitmix-style hash. */
  constructor(seed: number) {
    let z = (seed >>> 0) + 0x9e3779b9;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    this.state = (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n), n <= 2^32. The modulo bias is below 2^-32 * n, irrelevant here. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Index i drawn with probability weights[i] / total (total = their sum, > 0); the last index absorbs rounding. */
  weighted(weights: ArrayLike<number>, total: number): number {
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Standard normal sample (Box-Muller). */
  gaussian(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    // 1 - next() is in (0, 1], so the log is finite.
    const r = Math.sqrt(-2 * Math.log(1 - this.next()));
    const theta = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Fills `out` with N(mean, std^2) samples and returns it. */
  fillGaussian<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.gaussian();
    return out;
  }
}

/** Derives an independent seed for sub-task `index` (e.g. one PQ subspace) from a parent seed. */
export function deriveSeed(seed: number, index: number): number {
  return ((seed >>> 0) ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
}
