/**
 * Approximate nearest neighbours for 256-bit descriptors by multi-probe LSH, the index FLANN uses
 * for ORB (Lv et al. 2007; Muja & Lowe 2012). Each table hashes a descriptor by a fixed random
 * subset of its bits; a near neighbour differs in few of them, so looking in the query's bucket and
 * in those one bit flip away finds it in at least one table with high probability, while only a
 * small share of the set is ever compared. Hand-written because Workers cannot load
 * FLANN; buckets are a counting-sorted array per table, so lookups are two typed-array reads.
 */
import { asWords, WORDS } from './hamming.ts';
import { DEFAULT_MATCH, matchBruteForce, nearestTwo, packMatches, type MatchOptions, type Matches } from './match.ts';
import { Rng } from '../quant/rng.ts';

export interface LshOptions {
  /** Hash tables (default 12). */
  tables?: number;
  /** Bits per key; default grows with the set: clamp(ceil(log2 n) + 1, 12, 16). */
  keyBits?: number;
  /** Probe buckets up to this many key bits away (0, 1 or 2; default 1). */
  probeLevel?: number;
  /**
   * Draw key bits only from this many bits whose mean over the indexed set is nearest 1/2
   * (default 128, at least keyBits). ORB bits are far from balanced, and a key of skewed bits
   * piles much of the set into a few buckets: on a 10,000-descriptor pool of s1 photos this cut
   * the candidates per query from 1,857 to 790 at 0.99 match recall.
   */
  bitPool?: number;
  seed?: number;
}

export interface NearestTwo {
  index: Int32Array;
  d1: Uint16Array;
  d2: Uint16Array;
  /** Distance evaluations done in total (brute force would do queries * train). */
  evaluated: number;
}

export class LshIndex {
  readonly count: number;
  readonly tables: number;
  readonly keyBits: number;
  /** The indexed descriptors as 32-bit words. */
  readonly words: Uint32Array;
  /** Per table: bit positions of the key. */
  private readonly bits: Int32Array[];
  /** Per table: bucket b holds entries[offsets[b] .. offsets[b + 1]). */
  private readonly offsets: Int32Array[];
  private readonly entries: Int32Array[];
  private readonly probes: Int32Array;
  private readonly stamp: Int32Array;
  private epoch = 0;

  constructor(descriptors: Uint8Array, opts: LshOptions = {}) {
    this.words = asWords(descriptors);
    const n = (this.count = this.words.length / WORDS);
    this.tables = opts.tables ?? 12;
    const k = (this.keyBits = opts.keyBits ?? Math.min(16, Math.max(12, Math.ceil(Math.log2(Math.max(2, n))) + 1)));
    const level = opts.probeLevel ?? 1;
    if (!(Number.isInteger(this.tables) && this.tables >= 1 && Number.isInteger(k) && k >= 1 && k <= 24 && level >= 0 && level <= 2)) {
      throw new RangeError(`bad LSH options: tables ${this.tables}, keyBits ${k}, probeLevel ${level}`);
    }
    // Masks of the probed neighbourhood, nearest buckets first.
    const masks = [0];
    if (level >= 1) for (let i = 0; i < k; i++) masks.push(1 << i);
    if (level >= 2) for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) masks.push((1 << i) | (1 << j));
    this.probes = Int32Array.from(masks);
    this.stamp = new Int32Array(n);

    const rng = new Rng(opts.seed ?? 0x15a);
    this.bits = [];
    this.offsets = [];
    this.entries = [];
    const keys = new Int32Array(n);
    const pool = balancedBits(this.words, n, Math.max(k, opts.bitPool ?? 128));
    for (let t = 0; t < this.tables; t++) {
      // k distinct bit positions out of the pool (partial Fisher-Yates).
      const all = pool.slice();
      for (let i = 0; i < k; i++) {
        const j = i + rng.int(all.length - i);
        const tmp = all[i];
        all[i] = all[j];
        all[j] = tmp;
      }
      const bits = all.slice(0, k);
      this.bits.push(bits);
      const offsets = new Int32Array((1 << k) + 1);
      for (let i = 0; i < n; i++) offsets[(keys[i] = keyOf(this.words, i, bits)) + 1]++;
      for (let b = 0; b < 1 << k; b++) offsets[b + 1] += offsets[b];
      const fill = offsets.slice(0, 1 << k);
      const entries = new Int32Array(n);
      for (let i = 0; i < n; i++) entries[fill[keys[i]]++] = i;
      this.offsets.push(offsets);
      this.entries.push(entries);
    }
  }

  /** Approximate nearest and second nearest indexed descriptor for each query descriptor. */
  nearestTwo(query: Uint8Array): NearestTwo {
    const q = asWords(query);
    const nq = q.length / WORDS;
    const index = new Int32Array(nq).fill(-1);
    const d1 = new Uint16Array(nq).fill(257);
    const d2 = new Uint16Array(nq).fill(257);
    let evaluated = 0;
    const { words, stamp, probes } = this;
    for (let i = 0; i < nq; i++) {
      // A fresh epoch per query marks visited entries without clearing the array.
      const e = ++this.epoch;
      let b1 = 257;
      let b2 = 257;
      let bi = -1;
      const p = i * WORDS;
      const q0 = q[p], q1 = q[p + 1], q2 = q[p + 2], q3 = q[p + 3];
      const q4 = q[p + 4], q5 = q[p + 5], q6 = q[p + 6], q7 = q[p + 7];
      for (let t = 0; t < this.tables; t++) {
        const key = keyOf(q, i, this.bits[t]);
        const offsets = this.offsets[t];
        const entries = this.entries[t];
        for (let pr = 0; pr < probes.length; pr++) {
          const bucket = key ^ probes[pr];
          for (let s = offsets[bucket], end = offsets[bucket + 1]; s < end; s++) {
            const j = entries[s];
            if (stamp[j] === e) continue;
            stamp[j] = e;
            evaluated++;
            const o = j * WORDS;
            const d =
              popcount32(q0 ^ words[o]) + popcount32(q1 ^ words[o + 1]) + popcount32(q2 ^ words[o + 2]) +
              popcount32(q3 ^ words[o + 3]) + popcount32(q4 ^ words[o + 4]) + popcount32(q5 ^ words[o + 5]) +
              popcount32(q6 ^ words[o + 6]) + popcount32(q7 ^ words[o + 7]);
            if (d < b1 || (d === b1 && j < bi)) {
              b2 = b1;
              b1 = d;
              bi = j;
            } else if (d < b2) b2 = d;
          }
        }
      }
      index[i] = bi;
      d1[i] = b1;
      d2[i] = b2;
    }
    return { index, d1, d2, evaluated };
  }
}

/** The `size` bits whose mean over the set is closest to 1/2, ascending by position. */
function balancedBits(words: Uint32Array, n: number, size: number): Int32Array {
  const ones = new Int32Array(256);
  for (let i = 0; i < n; i++) {
    for (let w = 0; w < WORDS; w++) {
      const v = words[i * WORDS + w];
      if (v === 0) continue;
      for (let b = 0; b < 32; b++) ones[w * 32 + b] += (v >>> b) & 1;
    }
  }
  const order = Array.from({ length: 256 }, (_, i) => i).sort(
    (a, b) => Math.abs(ones[a] - n / 2) - Math.abs(ones[b] - n / 2) || a - b,
  );
  return Int32Array.from(order.slice(0, Math.max(1, Math.min(256, size)))).sort();
}

/**
 * hamming.ts's popcount32, repeated so the search loop calls a same-module function: under
 * vitest's module transform an imported function is a property load on the module namespace,
 * which V8 does not inline there, and the loop ran 3-4x slower in tests than in the bundle.
 */
function popcount32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

function keyOf(words: Uint32Array, i: number, bits: Int32Array): number {
  const base = i * WORDS;
  let key = 0;
  for (let b = 0; b < bits.length; b++) {
    const pos = bits[b];
    key |= ((words[base + (pos >>> 5)] >>> (pos & 31)) & 1) << b;
  }
  return key;
}

/**
 * The same filters as matchBruteForce on LSH neighbours. The mutual check needs each matched
 * train descriptor's nearest query, found through a second index over the queries (built here
 * unless `reverse` is given).
 */
export function matchLsh(query: Uint8Array, index: LshIndex, opts: MatchOptions & { lsh?: LshOptions; reverse?: LshIndex } = {}): Matches {
  const { ratio, crossCheck, maxDistance } = { ...DEFAULT_MATCH, ...opts };
  const fwd = index.nearestTwo(query);
  const nq = fwd.index.length;
  const keep: number[] = [];
  for (let i = 0; i < nq; i++) {
    if (fwd.index[i] < 0 || fwd.d1[i] > maxDistance) continue;
    if (ratio < 1 && index.count > 1 && !(fwd.d1[i] < ratio * fwd.d2[i])) continue;
    keep.push(i);
  }
  let back: Int32Array | null = null;
  if (crossCheck && keep.length) {
    const rev = opts.reverse ?? new LshIndex(query, opts.lsh);
    const tw = index.words;
    const picked = new Uint8Array(keep.length * 32);
    const pw = new Uint32Array(picked.buffer);
    keep.forEach((i, r) => pw.set(tw.subarray(fwd.index[i] * WORDS, (fwd.index[i] + 1) * WORDS), r * WORDS));
    back = rev.nearestTwo(picked).index;
  }
  const q: number[] = [];
  const t: number[] = [];
  const d: number[] = [];
  keep.forEach((i, r) => {
    if (back && back[r] !== i) return;
    q.push(i);
    t.push(fwd.index[i]);
    d.push(fwd.d1[i]);
  });
  return packMatches(q, t, d);
}

export interface LshRecall {
  /** Share of queries whose exact nearest neighbour lies within `radius` for which LSH found one as near. */
  nnRecall: number;
  /** Share of brute-force matches (ratio + mutual) that LSH matching reproduces exactly. */
  matchRecall: number;
  /** Mean distance evaluations per query, and the brute-force count (the train size). */
  candidatesPerQuery: number;
  trainSize: number;
}

/** LSH against brute force on one query/train pair of descriptor sets. */
export function measureLshRecall(query: Uint8Array, train: Uint8Array, opts: LshOptions & MatchOptions & { radius?: number } = {}): LshRecall {
  const radius = opts.radius ?? 64;
  const index = new LshIndex(train, opts);
  const exact = nearestTwo(query, train);
  const approx = index.nearestTwo(query);
  let near = 0;
  let found = 0;
  for (let i = 0; i < exact.index.length; i++) {
    if (exact.d1[i] > radius) continue;
    near++;
    if (approx.d1[i] === exact.d1[i]) found++;
  }
  const bf = matchBruteForce(query, train, opts);
  const lsh = matchLsh(query, index, { ...opts, lsh: opts });
  const got = new Set<number>();
  for (let m = 0; m < lsh.count; m++) got.add(lsh.queryIdx[m] * 2 ** 32 + lsh.trainIdx[m]);
  let same = 0;
  for (let m = 0; m < bf.count; m++) if (got.has(bf.queryIdx[m] * 2 ** 32 + bf.trainIdx[m])) same++;
  const nq = exact.index.length;
  return {
    nnRecall: near ? found / near : 1,
    matchRecall: bf.count ? same / bf.count : 1,
    candidatesPerQuery: nq ? approx.evaluated / nq : 0,
    trainSize: index.count,
  };
}
