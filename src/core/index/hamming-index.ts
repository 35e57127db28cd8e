/**
 * Exact in-memory index over binary hashes (FAISS "BinaryFlat"): each vector is kept as its sign
 * bits, 32 bytes for a 256-bit PDQ hash (8 Uint32 words in one growable Uint32Array) instead of the
 * 1 KiB a FlatIndex spends on the same 256 floats, 32x smaller; a query XORs its own bits against
 * every code and counts them with a branch-free SWAR popcount in plain JS.
 *
 * Why our own: FAISS's IndexBinaryFlat is native code and no npm package gives a Vectorize-shaped
 * binary index that runs in a Worker without native addons; the scan is twenty lines of Uint32
 * arithmetic, so it is written here, behind the same VectorIndex interface and SlotTable as the
 * other in-memory indexes (namespaces, metadata filter, delete by moving the last slot into the hole).
 *
 * Scores are FlatIndex's cosine, exactly: a stored vector is ±a in every dimension (pdqToVector
 * writes ±1/16 for 256 bits, unit length), so for d dimensions at Hamming distance h the dot
 * product is a²(d - 2h) and both norms are a√d, hence cosine = (d - 2h) / d = 1 - 2h/d
 * (1 - h/128 for PDQ). For d = 256 and a power-of-two amplitude every step of FlatIndex's float
 * arithmetic is exact too, so swapping one index for the other changes no score and no ranking
 * (ties break the same way: both scan slots in order into the same TopK). Vectors that are not
 * ±a in every dimension are refused rather than silently scored differently.
 *
 * Cost, measured on the 2-core dev box (Node 20): HammingIndex.query over 100k codes, topK 10,
 * takes 2.1-2.3 ms, 43-47M codes/s, ~22 ns per code (FlatIndex on the same 100k float vectors:
 * ~59 ms, 1.7M/s); upsert packs a vector in ~4.5 us. Hot memory per
 * vector is `bytesPerVector` = d/8 bytes plus the SlotTable entry (id map entry and pointer, namespace index).
 *
 * Multi-index hashing (option `mih`, 256-bit codes only). Why: PDQ at scale. The catalog asks for
 * topK 100 for each of the 8 dihedral variants of a query's PDQ hash, so a 1M-reference shard scans
 * 8M codes per query (~180 ms). Meta's ThreatExchange / HMA answer PDQ lookups at that scale with
 * multi-index hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming Space with Multi-Index
 * Hashing", CVPR 2012) instead of a scan, and so does this index above a size threshold.
 * Pigeonhole: cut the 256 bits into m = 16 words of 16 bits; the Hamming distance is the sum of the
 * 16 per-word distances, so if a code is within radius r of the query, at least one word is within
 * t = floor(r/16) bits of the query's word (were every word >= t+1 off, the total would be
 * >= 16(t+1) > r). So per word we enumerate the query word's neighbours within t bits (1 + 16 = 17
 * values for r = 31, t = 1; 137 for t = 2), look each up in that word's table (16-bit value -> the
 * slots whose word has it), and verify each candidate's full distance once (a generation stamp per
 * slot dedupes codes found through several words). Every code within r is found; no code beyond r
 * is returned. Results are the scan's top-K restricted to distance <= r, same scores, same ties
 * (candidates are ranked in slot order, as the scan visits them).
 * Tables: per word a bucket-head Int32Array of 65536 entries (16 x 65536 x 4 B = 4 MiB per index,
 * fixed) and one next-pointer Int32Array of 16 entries per slot (a singly linked list per bucket,
 * threaded through slot indices), plus the Uint32 dedupe stamp: MIH adds 16 x 4 + 4 = 68 bytes per
 * code to the code's 32, so `bytesPerVector` is 100 with MIH on. Upsert links a slot at the head of
 * its 16 buckets (O(1)); delete unlinks it and relinks the slot SlotTable moves into the hole, each
 * a walk of one bucket per word (n/65536 entries on average, ~15 at 1M; a bucket that many codes
 * share, e.g. near-identical hashes of flat images, makes it longer: the price of not spending
 * another 64 B per code on back pointers).
 * Expected cost with random codes: 16 x 17 buckets x n/65536 ≈ 66 candidates per 1k codes for r = 31,
 * i.e. ~4.2k verified codes per variant at 1M instead of 1M.
 * Measured on the 2-core dev box (Node 20), 1M random codes, 8 query variants, topK 100, r = 31:
 * 16-19 ms per query (all 8 variants) against 251 ms for the scan (box under load ~3 on 2 cores:
 * the scan ran at ~31 ns per code rather than 22), ~14x; heap + array-buffer bytes per code after
 * filling 1M: 185 with MIH, 110 without (ids and SlotTable included), so the tables cost ~75 B per
 * code (68 + the 4 MiB of heads + growth slack). The walk through the lists is cache-miss bound
 * (~0.5 us per candidate, ~4.2k candidates per variant), not popcount bound.
 * Below `above` codes (default 20000) query() is the plain scan, unchanged: top-K over everything,
 * whatever the distance. The tables are built when the index first reaches `above` codes and are
 * kept up to date from then on (also if it shrinks below again).
 */
import {
  TopK, toFloat32,
  type IndexInfo, type QueryOptions, type VectorIndex, type VectorMatch, type VectorRecord,
} from './vector-index.ts';
import { SlotTable } from './slots.ts';

export interface HammingIndexOptions {
  /**
   * |value| of every dimension of a stored vector; getByIds and returnValues give back ±amplitude.
   * Default 1/√dimensions (unit vectors: pdqToVector's ±1/16 for 256 bits).
   */
  amplitude?: number;
  /** Vectors to allocate room for up front; the code array doubles as it fills. */
  capacity?: number;
  /**
   * Multi-index hashing (256-bit codes only: 16 words of 16 bits). While the index holds fewer than
   * `above` codes (default 20000) query() scans everything as without this option; at or above it,
   * query() returns the top-K among the codes within Hamming distance `radius` of the query (fewer
   * than topK when fewer are that close; cosine >= 1 - radius/128 for PDQ), with the scan's scores.
   * radius 31 is PDQ's usual match threshold.
   */
  mih?: { radius: number; above?: number };
}

/** MIH: 16-bit words per 256-bit code, values per word. */
const MIH_WORDS = 16;
const MIH_BUCKETS = 1 << 16;

/** Words per code up to which per-byte popcounts can be summed without overflowing a byte (31 * 8 < 256). */
const BYTE_SUM_WORDS = 31;

export class HammingIndex implements VectorIndex {
  /** Uint32 words per code: dimensions / 32. */
  readonly words: number;
  /** |value| of every dimension of a stored vector, as float32. */
  readonly amplitude: number;
  private codes: Uint32Array;
  private table = new SlotTable();
  /** MIH radius and threshold; undefined without the option. */
  readonly mih?: { radius: number; above: number };
  /** Bucket heads, word j's value v at [j << 16 | v]: the first slot of the list, or -1. Allocated when the index first reaches `above`. */
  private heads?: Int32Array;
  /** Next slot in the same bucket of word j at [slot * 16 + j], or -1. */
  private next = new Int32Array(0);
  /** Per slot, the generation of the last query that verified it (dedupe across words). */
  private seen = new Uint32Array(0);
  private generation = 0;
  /** The 16-bit masks with at most floor(radius / 16) bits set: the neighbours to probe per word. */
  private probes = new Uint16Array(0);

  constructor(readonly dimensions = 256, opts: HammingIndexOptions = {}) {
    if (!Number.isInteger(dimensions) || dimensions <= 0 || dimensions % 32 !== 0) {
      throw new RangeError(`HammingIndex: dimensions must be a positive multiple of 32; got ${dimensions}`);
    }
    const amplitude = Math.fround(opts.amplitude ?? 1 / Math.sqrt(dimensions));
    if (!(amplitude > 0) || !Number.isFinite(amplitude)) {
      throw new RangeError(`HammingIndex: amplitude must be a positive float32; got ${opts.amplitude}`);
    }
    this.words = dimensions / 32;
    this.amplitude = amplitude;
    this.codes = new Uint32Array(Math.max(1, opts.capacity ?? 1024) * this.words);
    if (opts.mih) {
      const { radius, above = 20000 } = opts.mih;
      if (dimensions !== 256) throw new RangeError(`HammingIndex: mih needs 256-bit codes (16 words of 16 bits); got ${dimensions} dimensions`);
      if (!Number.isInteger(radius) || radius < 0 || radius > 256) throw new RangeError(`HammingIndex: mih.radius must be an integer in 0..256; got ${radius}`);
      if (!Number.isInteger(above) || above < 0) throw new RangeError(`HammingIndex: mih.above must be a non-negative integer; got ${above}`);
      this.mih = { radius, above };
      const t = Math.floor(radius / MIH_WORDS);
      const masks: number[] = [];
      for (let m = 0; m < MIH_BUCKETS; m++) if (popcount(m) <= t) masks.push(m);
      masks.sort((a, b) => popcount(a) - popcount(b) || a - b);
      this.probes = Uint16Array.from(masks);
    }
  }

  async describe(): Promise<IndexInfo> {
    const description = this.mih ? `BinaryFlat,MIH16x16,r${this.mih.radius}` : 'BinaryFlat';
    return { dimensions: this.dimensions, metric: 'cosine', vectorCount: this.table.size, description };
  }

  /**
   * Bytes of hot memory per vector: the code, plus with MIH its 16 next pointers and dedupe stamp
   * (68 B; the 4 MiB of bucket heads per index are not per vector). Slots and ids are bookkeeping.
   */
  get bytesPerVector(): number {
    return this.words * 4 + (this.mih ? MIH_WORDS * 4 + 4 : 0);
  }

  async upsert(vectors: VectorRecord[]): Promise<{ count: number; ids: string[] }> {
    for (const v of vectors) this.put(v);
    return { count: vectors.length, ids: vectors.map((v) => v.id) };
  }

  put(v: VectorRecord): void {
    const values = toFloat32(v.values);
    this.check(values, `vector ${v.id}`, this.amplitude);
    const before = this.table.size;
    const slot = this.table.assign(v.id, v.namespace, v.metadata);
    this.grow(slot + 1);
    if (this.heads && slot < before) this.unlink(slot); // a replacement: its old words leave their buckets
    this.pack(values, this.codes, slot * this.words);
    if (this.heads) this.link(slot);
    else if (this.mih && this.table.size >= this.mih.above) this.buildTables();
  }

  private grow(n: number): void {
    if (n * this.words > this.codes.length) {
      const next = new Uint32Array(Math.max(n, this.table.size * 2) * this.words);
      next.set(this.codes);
      this.codes = next;
    }
    if (this.heads && n > this.seen.length) this.growTables(this.codes.length / this.words);
  }

  private growTables(cap: number): void {
    const next = new Int32Array(cap * MIH_WORDS);
    next.set(this.next);
    this.next = next;
    const seen = new Uint32Array(cap);
    seen.set(this.seen);
    this.seen = seen;
  }

  /** The MIH tables over every slot, when the index first reaches `above` codes. */
  private buildTables(): void {
    this.heads = new Int32Array(MIH_WORDS * MIH_BUCKETS).fill(-1);
    this.growTables(this.codes.length / this.words);
    for (let s = 0; s < this.table.size; s++) this.link(s);
  }

  /** 16-bit word j of slot's code. */
  private word(slot: number, j: number): number {
    return (this.codes[slot * 8 + (j >> 1)] >>> ((j & 1) << 4)) & 0xffff;
  }

  /** Puts slot at the head of its bucket in each of the 16 words' tables. */
  private link(slot: number): void {
    const heads = this.heads!, next = this.next;
    for (let j = 0; j < MIH_WORDS; j++) {
      const h = (j << 16) | this.word(slot, j);
      next[slot * MIH_WORDS + j] = heads[h];
      heads[h] = slot;
    }
  }

  /**
   * Takes `slot` out of its 16 buckets; with `to`, puts `to` in its place (the slot SlotTable moves
   * into a hole: same code, same list position, new index).
   */
  private unlink(slot: number, to = -1): void {
    const heads = this.heads!, next = this.next;
    for (let j = 0; j < MIH_WORDS; j++) {
      const h = (j << 16) | this.word(slot, j);
      const after = to >= 0 ? to : next[slot * MIH_WORDS + j];
      if (to >= 0) next[to * MIH_WORDS + j] = next[slot * MIH_WORDS + j];
      if (heads[h] === slot) {
        heads[h] = after;
        continue;
      }
      let p = heads[h];
      while (p !== -1 && next[p * MIH_WORDS + j] !== slot) p = next[p * MIH_WORDS + j];
      if (p === -1) throw new Error(`HammingIndex: slot ${slot} missing from MIH bucket ${j}:${h & 0xffff}`);
      next[p * MIH_WORDS + j] = after;
    }
  }

  /**
   * RangeError unless `values` has `dimensions` entries, all ±amp (a stored vector) or, with amp
   * undefined, all of one non-zero magnitude (a query: cosine ignores its scale).
   */
  private check(values: Float32Array, what: string, amp?: number): void {
    if (values.length !== this.dimensions) {
      throw new RangeError(`${what} has ${values.length} dimensions; the index has ${this.dimensions}`);
    }
    const a = amp ?? Math.abs(values[0]);
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i]) !== a || a === 0) {
        throw new RangeError(`${what}: dimension ${i} is ${values[i]}; a binary index takes ±${a || 'a'} in every dimension (a sign-bit hash such as pdqToVector's)`);
      }
    }
  }

  /** Dimension i -> bit (i & 31) of word (i >> 5): set when the value is positive. */
  private pack(values: Float32Array, out: Uint32Array, off: number): void {
    for (let w = 0; w < this.words; w++) {
      let word = 0;
      const base = w * 32;
      for (let b = 0; b < 32; b++) if (values[base + b] > 0) word |= 1 << b;
      out[off + w] = word >>> 0;
    }
  }

  private values(slot: number): Float32Array {
    const out = new Float32Array(this.dimensions);
    const a = this.amplitude, off = slot * this.words;
    for (let i = 0; i < this.dimensions; i++) out[i] = (this.codes[off + (i >> 5)] >>> (i & 31)) & 1 ? a : -a;
    return out;
  }

  /** Hamming distance of every slot's code to `q`, into `out` (one entry per slot). */
  private distances(q: Uint32Array, out: Int32Array): void {
    const W = this.words, n = this.table.size, codes = this.codes;
    if (W <= BYTE_SUM_WORDS) {
      // Per-byte counts summed over the words (each byte stays <= 8 * W < 256), folded once.
      for (let i = 0, o = 0; i < n; i++, o += W) {
        let acc = 0;
        for (let w = 0; w < W; w++) {
          let x = codes[o + w] ^ q[w];
          x -= (x >>> 1) & 0x55555555;
          x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
          acc += (x + (x >>> 4)) & 0x0f0f0f0f;
        }
        acc = (acc & 0x00ff00ff) + ((acc >>> 8) & 0x00ff00ff);
        out[i] = (acc & 0xffff) + (acc >>> 16);
      }
      return;
    }
    for (let i = 0, o = 0; i < n; i++, o += W) {
      let h = 0;
      for (let w = 0; w < W; w++) {
        let x = codes[o + w] ^ q[w];
        x -= (x >>> 1) & 0x55555555;
        x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
        h += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      out[i] = h;
    }
  }

  async query(vector: Float32Array | number[], options: QueryOptions = {}): Promise<{ count: number; matches: VectorMatch[] }> {
    const values = toFloat32(vector);
    this.check(values, 'query vector');
    const q = new Uint32Array(this.words);
    this.pack(values, q, 0);
    const n = this.table.size, d = this.dimensions;
    if (this.mih && this.heads && n >= this.mih.above) return this.queryMih(q, options);
    const dist = new Int32Array(n);
    this.distances(q, dist);
    // Rank by d - 2h (an integer, same order as the cosine) so ties meet TopK exactly as in FlatIndex.
    const top = new TopK(options.topK ?? 5);
    const { namespace, filter } = options;
    let worst = top.worst;
    for (let i = 0; i < n; i++) {
      const s = d - 2 * dist[i];
      if (s <= worst) continue;
      if (!this.table.accepts(i, namespace, filter)) continue;
      top.push(i, s);
      worst = top.worst;
    }
    const matches = top.ids.map((slot, k) => this.match(slot, top.scores[k] / d, options));
    return { count: matches.length, matches };
  }

  /**
   * The scan's top-K restricted to codes within `radius`: candidates from the 16 words' buckets
   * within floor(radius/16) bits of the query's words, each verified once, then ranked in slot
   * order so ties break as in the scan.
   */
  private queryMih(q: Uint32Array, options: QueryOptions): { count: number; matches: VectorMatch[] } {
    const { radius } = this.mih!;
    const heads = this.heads!, next = this.next, seen = this.seen, codes = this.codes, probes = this.probes;
    if (++this.generation > 0xffffffff) {
      seen.fill(0);
      this.generation = 1;
    }
    const gen = this.generation;
    const q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3], q4 = q[4], q5 = q[5], q6 = q[6], q7 = q[7];
    const hits: number[] = [], hitDist: number[] = [];
    for (let j = 0; j < MIH_WORDS; j++) {
      const qw = (q[j >> 1] >>> ((j & 1) << 4)) & 0xffff, base = j << 16;
      for (let p = 0; p < probes.length; p++) {
        for (let s = heads[base | (qw ^ probes[p])]; s !== -1; s = next[s * MIH_WORDS + j]) {
          if (seen[s] === gen) continue;
          seen[s] = gen;
          const o = s * 8;
          const h = pop32(codes[o] ^ q0) + pop32(codes[o + 1] ^ q1) + pop32(codes[o + 2] ^ q2) + pop32(codes[o + 3] ^ q3)
            + pop32(codes[o + 4] ^ q4) + pop32(codes[o + 5] ^ q5) + pop32(codes[o + 6] ^ q6) + pop32(codes[o + 7] ^ q7);
          if (h <= radius) {
            hits.push(s);
            hitDist.push(h);
          }
        }
      }
    }
    const order = hits.map((_, i) => i).sort((a, b) => hits[a] - hits[b]);
    const top = new TopK(options.topK ?? 5);
    const { namespace, filter } = options;
    const d = this.dimensions;
    for (const i of order) {
      const s = d - 2 * hitDist[i];
      if (s <= top.worst) continue;
      if (!this.table.accepts(hits[i], namespace, filter)) continue;
      top.push(hits[i], s);
    }
    const matches = top.ids.map((slot, k) => this.match(slot, top.scores[k] / d, options));
    return { count: matches.length, matches };
  }

  private match(slot: number, score: number, o: QueryOptions): VectorMatch {
    const s = this.table.entry(slot);
    const m: VectorMatch = { id: s.id, score, namespace: s.namespace };
    if (o.returnValues) m.values = this.values(slot);
    if (o.returnMetadata && o.returnMetadata !== 'none') m.metadata = s.metadata;
    return m;
  }

  async getByIds(ids: string[]): Promise<VectorRecord[]> {
    return this.table.records(ids, (slot) => this.values(slot));
  }

  async deleteByIds(ids: string[]): Promise<{ count: number; ids: string[] }> {
    const W = this.words;
    const done = ids.filter((id) => {
      const slot = this.table.slotOf(id);
      if (slot !== undefined && this.heads) this.unlink(slot);
      return this.table.remove(id, (from, to) => {
        if (this.heads) this.unlink(from, to);
        this.codes.copyWithin(to * W, from * W, (from + 1) * W);
      });
    });
    return { count: done.length, ids: done };
  }
}

/** Set bits of a 32-bit word (SWAR). */
function pop32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

function popcount(x: number): number {
  return pop32(x >>> 0);
}
