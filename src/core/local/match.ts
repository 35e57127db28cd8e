/**
 * Exact nearest-neighbour matching of descriptors with the two filters that make ORB
 * matches usable for geometric verification: Lowe's ratio test (the best match must be clearly
 * better than the runner-up, which rejects repeated texture) and the mutual check (each side is the
 * other's nearest). Hand-written because Workers cannot use OpenCV's BFMatcher; one pass over the
 * distance matrix yields both directions without storing it.
 */
import { asWords } from './hamming.ts';
import { nearestByRows, nearestJs, type Nearest, type NearestKernel } from './nearest.ts';

/** Matches packed in parallel arrays, sorted by query index. */
export interface Matches<D extends Uint16Array | Float32Array = Uint16Array> {
  count: number;
  queryIdx: Int32Array;
  trainIdx: Int32Array;
  /** Hamming distances (binary descriptors) or L2 distances (learned, match-float.ts). */
  distance: D;
}

export interface MatchOptions {
  /** Lowe ratio: keep when best < ratio * second best (default 0.8; 1 disables). */
  ratio?: number;
  /** Keep only mutual nearest neighbours (default true). */
  crossCheck?: boolean;
  /** Largest accepted Hamming distance of 256 (default 80). */
  maxDistance?: number;
  /** The exact nearest-neighbour search to use (default: plain JS; see nearest.ts for WASM SIMD). */
  kernel?: NearestKernel;
}

export const DEFAULT_MATCH: MatchRules = { ratio: 0.8, crossCheck: true, maxDistance: 80 };

export function packMatches(q: number[], t: number[], d: number[]): Matches {
  return { count: q.length, queryIdx: Int32Array.from(q), trainIdx: Int32Array.from(t), distance: Uint16Array.from(d) };
}

/** The thresholds of the ratio test and the mutual check. */
export type MatchRules = Required<Omit<MatchOptions, 'kernel'>>;

/** Ratio test and mutual check on the exact nearest neighbours of both sides. */
export function filterMatches(n: Nearest, nt: number, o: MatchRules): { q: number[]; t: number[]; d: number[] } {
  const { best, d1, d2, colBest } = n;
  const q: number[] = [];
  const t: number[] = [];
  const ds: number[] = [];
  for (let i = 0; i < best.length; i++) {
    const j = best[i];
    if (j < 0 || d1[i] > o.maxDistance) continue;
    if (o.ratio < 1 && nt > 1 && !(d1[i] < o.ratio * d2[i])) continue;
    if (o.crossCheck && colBest[j] !== i) continue;
    q.push(i);
    t.push(j);
    ds.push(d1[i]);
  }
  return { q, t, d: ds };
}

/**
 * Ratio test and mutual check over a distance matrix streamed one query row at a time
 * (`fillRow(i, row)` writes the distances of query i to every train descriptor), whatever the
 * distance.
 */
export function selectMatches<R extends Uint16Array | Float32Array>(
  nq: number,
  row: R,
  fillRow: (i: number, row: R) => void,
  o: MatchRules,
): { q: number[]; t: number[]; d: number[] } {
  return filterMatches(nearestByRows(nq, row, fillRow), row.length, o);
}

/** Brute-force Hamming matching of query descriptors against train descriptors (32 bytes each). */
export function matchBruteForce(query: Uint8Array, train: Uint8Array, opts: MatchOptions = {}): Matches {
  const rules = { ...DEFAULT_MATCH, ...opts };
  const { q, t, d } = filterMatches((opts.kernel ?? nearestJs)(asWords(query), asWords(train)), train.length >> 5, rules);
  return packMatches(q, t, d);
}

/** The nearest and second-nearest train descriptor of every query, exactly (for recall checks). */
export function nearestTwo(query: Uint8Array, train: Uint8Array): { index: Int32Array; d1: Int32Array; d2: Int32Array } {
  const n = nearestJs(asWords(query), asWords(train));
  return { index: n.best, d1: n.d1 as Int32Array, d2: n.d2 as Int32Array };
}
