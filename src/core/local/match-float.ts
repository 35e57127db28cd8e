/**
 * Brute-force matching of float descriptors (the learned patch-desc, L2-normalised) with the same
 * ratio test and mutual check as the binary matcher (match.ts selectMatches), on Euclidean
 * distance: for unit vectors |a - b| = sqrt(2 - 2 a.b), so one dot product per pair suffices.
 */
import { DEFAULT_MATCH, selectMatches, type Matches, type MatchOptions, type MatchRules } from './match.ts';

/**
 * Defaults on L2 distance between unit vectors (0 = identical, sqrt 2 = orthogonal): Lowe's 0.8,
 * and no distance cap, since the ratio and mutual tests already reject ambiguous matches.
 */
export const DEFAULT_FLOAT_MATCH: MatchRules = { ...DEFAULT_MATCH, maxDistance: Infinity };

/** Distances from query descriptor i to every train descriptor, into `out`. */
export function l2DistancesTo(query: Float32Array, i: number, train: Float32Array, dim: number, out: Float32Array): void {
  const p = i * dim;
  const n = out.length;
  for (let j = 0, o = 0; j < n; j++, o += dim) {
    // Four partial sums: shorter dependency chains, and dim is a multiple of 4 for every model.
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < dim; k += 4) {
      s0 += query[p + k] * train[o + k];
      s1 += query[p + k + 1] * train[o + k + 1];
      s2 += query[p + k + 2] * train[o + k + 2];
      s3 += query[p + k + 3] * train[o + k + 3];
    }
    out[j] = Math.sqrt(Math.max(0, 2 - 2 * (s0 + s1 + s2 + s3)));
  }
}

/** Brute-force L2 matching of `dim`-d unit descriptors, query against train. */
export function matchFloat(query: Float32Array, train: Float32Array, dim: number, opts: MatchOptions = {}): Matches<Float32Array> {
  if (!(Number.isInteger(dim) && dim > 0 && dim % 4 === 0)) throw new RangeError(`dim must be a positive multiple of 4, got ${dim}`);
  if (query.length % dim || train.length % dim) throw new RangeError(`descriptor lengths ${query.length}, ${train.length} are not multiples of ${dim}`);
  const { q, t, d } = selectMatches(query.length / dim, new Float32Array(train.length / dim), (i, row) => l2DistancesTo(query, i, train, dim, row), {
    ...DEFAULT_FLOAT_MATCH,
    ...opts,
  });
  return { count: q.length, queryIdx: Int32Array.from(q), trainIdx: Int32Array.from(t), distance: Float32Array.from(d) };
}
