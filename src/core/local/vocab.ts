/**
 * A visual vocabulary for rBRIEF descriptors: a vocabulary tree (Nistér & Stewénius 2006) built by
 * hierarchical k-majority, the binary counterpart of k-means used by DBoW2 for ORB.
 *
 * Why k-majority and not float k-means on the bits: the descriptors are compared by Hamming
 * distance everywhere else, and the bitwise majority is exactly the centre that minimises the summed
 * Hamming distance of a cluster (per bit), so the words partition descriptor space the same way the
 * matcher sees it; centres stay 32 bytes and quantising is XOR + popcount, no floats.
 *
 * Why a tree: a flat vocabulary costs one distance per word and descriptor (a 4096-word one, 2M
 * per image: tens of ms in JS), while three levels of 32 reach 32768 words for 96 distances per
 * descriptor (about a millisecond per image), at the price of some descriptors landing in a
 * neighbouring word when they sit near an upper-level boundary. Which shape, and whether Hamming
 * embedding pays, was chosen on held-out training images (models/README.md, orb-vocab).
 *
 * Deterministic for given data and seed: seeding draws from Rng and every tie goes to the lowest index.
 */
import { ByteReader, ByteWriter } from '../quant/bytes.ts';
import { Rng, deriveSeed } from '../quant/rng.ts';
import { asWords, popcount32, WORDS } from './hamming.ts';

export interface VocabularyOptions {
  /** Children per node (default 32). */
  branching?: number;
  /** Levels (default 3): branching^depth words. */
  depth?: number;
  /** Maximum k-majority iterations per node (default 10); stops once no assignment changes. */
  iters?: number;
  seed?: number;
}

const MAGIC = 'CCVB';
const VERSION = 1;

export class Vocabulary {
  /** Centres of every node below the root, level by level; child c of node p (on its level) is p * branching + c. */
  constructor(
    readonly branching: number,
    readonly depth: number,
    readonly centers: Uint32Array,
  ) {
    if (centers.length !== nodesBelowRoot(branching, depth) * WORDS) {
      throw new RangeError(`vocabulary ${branching}^${depth} needs ${nodesBelowRoot(branching, depth) * WORDS} centre words, got ${centers.length}`);
    }
  }

  get size(): number {
    return this.branching ** this.depth;
  }

  describe(): string {
    return `HKMaj${this.branching}^${this.depth} (${this.size} words, Hamming k-majority tree)`;
  }

  /** The word of each descriptor (32 bytes each, back to back). */
  quantize(descriptors: Uint8Array): Uint32Array {
    const d = asWords(descriptors);
    const n = d.length / WORDS;
    const out = new Uint32Array(n);
    const B = this.branching;
    for (let i = 0; i < n; i++) {
      let node = 0;
      let levelStart = 0;
      for (let l = 0; l < this.depth; l++) {
        const first = levelStart + node * B;
        node = node * B + nearest(d, i, this.centers, first, B);
        levelStart += B ** (l + 1);
      }
      out[i] = node;
    }
    return out;
  }

  toBytes(): Uint8Array {
    return new ByteWriter(5 + 8 + 4 * this.centers.length).magic(MAGIC, VERSION).u32(this.branching).u32(this.depth).u32s(this.centers).finish();
  }

  static fromBytes(bytes: Uint8Array): Vocabulary {
    const r = new ByteReader(bytes);
    const v = r.magic(MAGIC);
    if (v !== VERSION) throw new Error(`vocabulary version ${v} not supported (expected ${VERSION})`);
    const branching = r.u32();
    const depth = r.u32();
    if (branching < 2 || depth < 1 || branching ** depth > 2 ** 24) throw new Error(`implausible vocabulary ${branching}^${depth}`);
    const centers = r.u32s(nodesBelowRoot(branching, depth) * WORDS);
    r.end();
    return new Vocabulary(branching, depth, centers);
  }
}

function nodesBelowRoot(b: number, depth: number): number {
  let n = 0;
  for (let l = 1; l <= depth; l++) n += b ** l;
  return n;
}

/** Index (0..k-1) of the centre nearest to descriptor i among k centres starting at centre `first`. */
function nearest(d: Uint32Array, i: number, centers: Uint32Array, first: number, k: number): number {
  const p = i * WORDS;
  const q0 = d[p], q1 = d[p + 1], q2 = d[p + 2], q3 = d[p + 3], q4 = d[p + 4], q5 = d[p + 5], q6 = d[p + 6], q7 = d[p + 7];
  let best = 0;
  let bestDist = 257;
  for (let c = 0, o = first * WORDS; c < k; c++, o += WORDS) {
    const dist =
      popcount32(q0 ^ centers[o]) + popcount32(q1 ^ centers[o + 1]) + popcount32(q2 ^ centers[o + 2]) + popcount32(q3 ^ centers[o + 3]) +
      popcount32(q4 ^ centers[o + 4]) + popcount32(q5 ^ centers[o + 5]) + popcount32(q6 ^ centers[o + 6]) + popcount32(q7 ^ centers[o + 7]);
    if (dist < bestDist) {
      bestDist = dist;
      best = c;
    }
  }
  return best;
}

function distance(d: Uint32Array, i: number, centers: Uint32Array, c: number): number {
  let s = 0;
  for (let w = 0; w < WORDS; w++) s += popcount32(d[i * WORDS + w] ^ centers[c * WORDS + w]);
  return s;
}

/**
 * Trains the tree on n descriptors (32 bytes each). Each node's members are split by k-majority
 * into `branching` children; a node with fewer members than children repeats its members as
 * centres (duplicates never win a tie, so those words simply stay empty).
 */
export function trainVocabulary(descriptors: Uint8Array, opts: VocabularyOptions = {}): Vocabulary {
  const { branching = 32, depth = 3, iters = 10, seed = 1 } = opts;
  if (!Number.isInteger(branching) || branching < 2) throw new RangeError(`branching must be an integer >= 2, got ${branching}`);
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`depth must be a positive integer, got ${depth}`);
  const d = asWords(descriptors);
  const n = d.length / WORDS;
  if (n < branching) throw new RangeError(`need at least ${branching} descriptors, got ${n}`);
  const centers = new Uint32Array(nodesBelowRoot(branching, depth) * WORDS);
  // Members of each node on the current level, as index lists.
  let groups: Int32Array[] = [Int32Array.from({ length: n }, (_, i) => i)];
  let levelStart = 0;
  for (let l = 0; l < depth; l++) {
    const next: Int32Array[] = [];
    groups.forEach((members, node) => {
      const first = levelStart + node * branching;
      const labels = kMajority(d, members, branching, centers, first, iters, new Rng(deriveSeed(seed, first)));
      const counts = new Int32Array(branching);
      for (const c of labels) counts[c]++;
      const children = Array.from({ length: branching }, (_, c) => new Int32Array(counts[c]));
      counts.fill(0);
      labels.forEach((c, j) => (children[c][counts[c]++] = members[j]));
      next.push(...children);
    });
    groups = next;
    levelStart += branching ** (l + 1);
  }
  return new Vocabulary(branching, depth, centers);
}

/**
 * k-majority on the given members: k-means++ seeding under Hamming distance, then alternating
 * nearest-centre assignment and per-bit majority. Writes the k centres at `first` and returns each
 * member's label. An empty cluster takes the member farthest from its own centre.
 */
function kMajority(d: Uint32Array, members: Int32Array, k: number, centers: Uint32Array, first: number, iters: number, rng: Rng): Int32Array {
  const m = members.length;
  const labels = new Int32Array(m).fill(-1);
  if (m === 0) return labels;
  seedCenters(d, members, k, centers, first, rng);
  if (m <= k) {
    for (let j = 0; j < m; j++) labels[j] = nearest(d, members[j], centers, first, k);
    return labels;
  }
  const dists = new Int32Array(m);
  const counts = new Int32Array(k);
  const ones = new Int32Array(k * 256);
  for (let it = 0; it < iters; it++) {
    let changed = 0;
    for (let j = 0; j < m; j++) {
      const c = nearest(d, members[j], centers, first, k);
      dists[j] = distance(d, members[j], centers, first + c);
      if (c !== labels[j]) {
        labels[j] = c;
        changed++;
      }
    }
    if (changed === 0) break;
    counts.fill(0);
    for (let j = 0; j < m; j++) counts[labels[j]]++;
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) continue;
      let far = -1;
      for (let j = 0; j < m; j++) if (counts[labels[j]] > 1 && (far < 0 || dists[j] > dists[far])) far = j;
      counts[labels[far]]--;
      labels[far] = c;
      counts[c] = 1;
      dists[far] = 0;
    }
    ones.fill(0);
    for (let j = 0; j < m; j++) {
      const base = labels[j] * 256;
      const p = members[j] * WORDS;
      for (let w = 0; w < WORDS; w++) {
        let v = d[p + w];
        while (v !== 0) {
          const bit = 31 - Math.clz32(v);
          ones[base + w * 32 + bit]++;
          v ^= 1 << bit;
        }
      }
    }
    for (let c = 0; c < k; c++) {
      const o = (first + c) * WORDS;
      for (let w = 0; w < WORDS; w++) {
        let v = 0;
        for (let bit = 0; bit < 32; bit++) {
          const twice = 2 * ones[c * 256 + w * 32 + bit];
          // A tied bit keeps its value, so a converged centre does not flip back and forth.
          const set = twice > counts[c] || (twice === counts[c] && (centers[o + w] >>> bit) & 1);
          if (set) v |= 1 << bit;
        }
        centers[o + w] = v >>> 0;
      }
    }
  }
  return labels;
}

/** k-means++ under Hamming distance (squared, as in the float version); repeats members when there are fewer than k. */
function seedCenters(d: Uint32Array, members: Int32Array, k: number, centers: Uint32Array, first: number, rng: Rng): void {
  const m = members.length;
  const d2 = new Float64Array(m).fill(Infinity);
  let pick = rng.int(m);
  for (let c = 0; c < k; c++) {
    centers.set(d.subarray(members[pick] * WORDS, (members[pick] + 1) * WORDS), (first + c) * WORDS);
    if (c === k - 1) break;
    if (m <= k) {
      pick = (c + 1) % m;
      continue;
    }
    let total = 0;
    for (let j = 0; j < m; j++) {
      const h = distance(d, members[j], centers, first + c);
      if (h * h < d2[j]) d2[j] = h * h;
      total += d2[j];
    }
    if (!(total > 0)) {
      pick = rng.int(m);
      continue;
    }
    pick = rng.weighted(d2, total);
  }
}
