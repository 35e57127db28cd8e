/**
 * Exact nearest-neighbour matching of binary descriptors with the two filters that make ORB
 * matches usable for geometric verification: Lowe's ratio test (the best match must be clearly
 * better than the runner-up, which rejects repeated texture) and the mutual check (each side is the
 * other's nearest). Hand-written because Workers cannot use OpenCV's BFMatcher; one pass over the
 * distance matrix yields both directions without storing it.
 */
import { asWords, distancesTo } from './hamming.ts';

/** Matches packed in parallel arrays, sorted by query index. */
export interface Matches {
  count: number;
  queryIdx: Int32Array;
  trainIdx: Int32Array;
  distance: Uint16Array;
}

export interface MatchOptions {
  /** Lowe ratio: keep when best < ratio * second best (default 0.8; 1 disables). */
  ratio?: number;
  /** Keep only mutual nearest neighbours (default true). */
  crossCheck?: boolean;
  /** Largest accepted Hamming distance of 256 (default 80). */
  maxDistance?: number;
}

export const DEFAULT_MATCH: Required<MatchOptions> = { ratio: 0.8, crossCheck: true, maxDistance: 80 };

export function packMatches(q: number[], t: number[], d: number[]): Matches {
  return { count: q.length, queryIdx: Int32Array.from(q), trainIdx: Int32Array.from(t), distance: Uint16Array.from(d) };
}

/** Brute-force Hamming matching of query descriptors against train descriptors (32 bytes each). */
export function matchBruteForce(query: Uint8Array, train: Uint8Array, opts: MatchOptions = {}): Matches {
  const { ratio, crossCheck, maxDistance } = { ...DEFAULT_MATCH, ...opts };
  const a = asWords(query);
  const b = asWords(train);
  const nq = a.length >> 3;
  const nt = b.length >> 3;
  const best = new Int32Array(nq).fill(-1);
  const d1 = new Uint16Array(nq).fill(257);
  const d2 = new Uint16Array(nq).fill(257);
  // Column minima for the mutual check; ties go to the lower index on both sides.
  const colBest = new Int32Array(nt).fill(-1);
  const colD = new Uint16Array(nt).fill(257);
  const row = new Uint16Array(nt);
  for (let i = 0; i < nq; i++) {
    let b1 = 257;
    let b2 = 257;
    let bi = -1;
    distancesTo(a, i, b, row);
    for (let j = 0; j < nt; j++) {
      const d = row[j];
      if (d < b1) {
        b2 = b1;
        b1 = d;
        bi = j;
      } else if (d < b2) b2 = d;
      if (d < colD[j]) {
        colD[j] = d;
        colBest[j] = i;
      }
    }
    best[i] = bi;
    d1[i] = b1;
    d2[i] = b2;
  }
  const q: number[] = [];
  const t: number[] = [];
  const ds: number[] = [];
  for (let i = 0; i < nq; i++) {
    const j = best[i];
    if (j < 0 || d1[i] > maxDistance) continue;
    if (ratio < 1 && nt > 1 && !(d1[i] < ratio * d2[i])) continue;
    if (crossCheck && colBest[j] !== i) continue;
    q.push(i);
    t.push(j);
    ds.push(d1[i]);
  }
  return packMatches(q, t, ds);
}

/** The nearest and second-nearest train descriptor of every query, exactly (for recall checks). */
export function nearestTwo(query: Uint8Array, train: Uint8Array): { index: Int32Array; d1: Uint16Array; d2: Uint16Array } {
  const a = asWords(query);
  const b = asWords(train);
  const nq = a.length >> 3;
  const nt = b.length >> 3;
  const index = new Int32Array(nq).fill(-1);
  const d1 = new Uint16Array(nq).fill(257);
  const d2 = new Uint16Array(nq).fill(257);
  const row = new Uint16Array(nt);
  for (let i = 0; i < nq; i++) {
    distancesTo(a, i, b, row);
    for (let j = 0; j < nt; j++) {
      const d = row[j];
      if (d < d1[i]) {
        d2[i] = d1[i];
        d1[i] = d;
        index[i] = j;
      } else if (d < d2[i]) d2[i] = d;
    }
  }
  return { index, d1, d2 };
}
