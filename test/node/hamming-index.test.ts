import { describe, expect, it } from 'vitest';
import { FlatIndex } from '../../src/core/index/flat.ts';
import { HammingIndex } from '../../src/core/index/hamming-index.ts';
import type { QueryOptions, VectorIndex, VectorMatch, VectorRecord } from '../../src/core/index/vector-index.ts';
import { hamming, pdqToVector } from '../../src/core/signals/pdq.ts';

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function signs(rand: () => number, d: number, amp = 1): Float32Array {
  return Float32Array.from({ length: d }, () => (rand() < 0.5 ? -amp : amp));
}

/** `v` with `k` distinct random dimensions negated. */
function flip(v: Float32Array, k: number, rand: () => number): Float32Array {
  const out = v.slice();
  const picked = new Set<number>();
  while (picked.size < k) picked.add(Math.floor(rand() * v.length));
  for (const i of picked) out[i] = -out[i];
  return out;
}

/**
 * Same top-K as FlatIndex: the same score list (within 1e-6), and per score the same ids; at the
 * lowest returned score (where topK may cut a tie) every returned id has exactly that Flat score.
 */
async function expectSameTopK(ham: VectorIndex, flat: VectorIndex, q: Float32Array, opts: QueryOptions): Promise<VectorMatch[]> {
  const h = (await ham.query(q, opts)).matches;
  const f = (await flat.query(q, opts)).matches;
  expect(h.length).toBe(f.length);
  h.forEach((m, i) => expect(Math.abs(m.score - f[i].score)).toBeLessThan(1e-6));
  const all = (await flat.query(q, { ...opts, topK: 1e9 })).matches;
  const flatScore = new Map(all.map((m) => [m.id, m.score]));
  const byScore = (ms: VectorMatch[]) => {
    const g = new Map<number, string[]>();
    for (const m of ms) g.set(Math.round(m.score * 1e6), [...(g.get(Math.round(m.score * 1e6)) ?? []), m.id]);
    return g;
  };
  const hg = byScore(h), fg = byScore(f);
  const last = h.length ? Math.round(h[h.length - 1].score * 1e6) : undefined;
  for (const [s, ids] of hg) {
    if (s === last) continue;
    expect(new Set(ids)).toEqual(new Set(fg.get(s)));
  }
  for (const m of h) expect(Math.abs(flatScore.get(m.id)! - m.score)).toBeLessThan(1e-6);
  return h;
}

async function both(d: number, records: VectorRecord[], amplitude?: number): Promise<[HammingIndex, FlatIndex]> {
  const ham = new HammingIndex(d, { amplitude, capacity: 4 }); // small capacity: exercises growth
  const flat = new FlatIndex(d, 'cosine');
  await ham.upsert(records);
  await flat.upsert(records);
  return [ham, flat];
}

describe('HammingIndex (BinaryFlat)', () => {
  it('gives FlatIndex\'s top-K ids and cosine scores on ±1 vectors, ties and near-duplicates included', async () => {
    const rand = rng(1);
    const base = Array.from({ length: 1500 }, () => signs(rand, 256));
    const queries = base.slice(0, 8).map((v, i) => flip(v, i * 3, rand)); // distance 0, 3, ..., 21 to a reference
    const records: VectorRecord[] = base.map((values, i) => ({ id: `r${i}`, values }));
    // Exact duplicates and copies at equal distance: ties at the top as well as around 128.
    records.push({ id: 'dup0', values: base[0].slice() }, { id: 'dup1', values: flip(base[1], 3, rand) });
    const [ham, flat] = await both(256, records, 1);
    let ties = 0;
    for (const q of queries) {
      for (const topK of [1, 7, 50]) {
        const h = await expectSameTopK(ham, flat, q, { topK });
        ties += h.length - new Set(h.map((m) => m.score)).size;
      }
    }
    expect(ties).toBeGreaterThan(20); // the comparison really covered tied scores
    const top = (await ham.query(queries[0], { topK: 2 })).matches;
    expect(new Set(top.map((m) => m.id))).toEqual(new Set(['r0', 'dup0']));
    expect(top.map((m) => m.score)).toEqual([1, 1]);
  });

  it('scores pdqToVector vectors as exactly 1 - hamming/128, as FlatIndex does, from -1 to 1', async () => {
    const rand = rng(2);
    const hashes = Array.from({ length: 300 }, () => Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256)));
    hashes.push(hashes[0].map((b) => 255 - b)); // the complement: distance 256, cosine -1
    const records = hashes.map((h, i) => ({ id: `h${i}`, values: pdqToVector(h) }));
    const [ham, flat] = await both(256, records); // default amplitude 1/16 = pdqToVector's
    const q = pdqToVector(hashes[0]);
    const h = (await ham.query(q, { topK: 1000 })).matches;
    const f = (await flat.query(q, { topK: 1000 })).matches;
    expect(h.map((m) => m.score)).toEqual(f.map((m) => m.score)); // bit-identical, not just close
    for (const m of h) expect(m.score).toBe(1 - hamming(hashes[0], hashes[Number(m.id.slice(1))]) / 128);
    expect(h[0]).toMatchObject({ id: 'h0', score: 1 });
    expect(h[h.length - 1]).toMatchObject({ id: 'h300', score: -1 });
  });

  it('matches FlatIndex for other multiples of 32 bits (one word, 96 bits, 1024 bits), down to distance d', async () => {
    const rand = rng(3);
    for (const d of [32, 96, 1024]) {
      const base = Array.from({ length: 400 }, () => signs(rand, d, 1 / Math.sqrt(d)));
      const [ham, flat] = await both(d, base.map((values, i) => ({ id: `v${i}`, values })));
      expect((await ham.describe()).dimensions).toBe(d);
      expect(ham.bytesPerVector).toBe(d / 8);
      for (let k = 0; k < 4; k++) await expectSameTopK(ham, flat, flip(base[k], k * 5, rand), { topK: 20 });
      // Every bit different: the largest distance must not wrap in the popcount's folding.
      const far = (await ham.query(base[0].map((x) => -x), { topK: 400 })).matches;
      expect(far[far.length - 1]).toMatchObject({ id: 'v0', score: -1 });
    }
  });

  it('after deletes, re-adds and replacements still agrees with FlatIndex', async () => {
    const rand = rng(4);
    const base = Array.from({ length: 300 }, () => signs(rand, 256));
    const [ham, flat] = await both(256, base.map((values, i) => ({ id: `r${i}`, values })), 1);
    const gone = ['r0', 'r17', 'r299', 'r150', 'missing'];
    expect(await ham.deleteByIds(gone)).toEqual(await flat.deleteByIds(gone));
    expect((await ham.describe()).vectorCount).toBe(296);
    expect(await ham.getByIds(['r0', 'r299'])).toEqual([]);
    // A deleted id never comes back from a query, even for its own vector.
    const own = (await ham.query(base[17], { topK: 296 })).matches;
    expect(own.map((m) => m.id)).not.toContain('r17');
    expect(own[0].score).toBeLessThan(1);
    // Re-add a deleted id with a new vector, replace a live one, add new ones.
    const re: VectorRecord[] = [
      { id: 'r17', values: flip(base[5], 2, rand) },
      { id: 'r5', values: base[200].slice() },
      ...Array.from({ length: 20 }, (_, i) => ({ id: `n${i}`, values: signs(rand, 256) })),
    ];
    await ham.upsert(re);
    await flat.upsert(re);
    expect((await ham.describe()).vectorCount).toBe(317);
    for (const q of [base[5], base[200], base[17], re[5].values as Float32Array]) await expectSameTopK(ham, flat, q, { topK: 10 });
    const near5 = (await ham.query(base[5], { topK: 1 })).matches[0];
    expect(near5).toMatchObject({ id: 'r17', score: 1 - 4 / 256 });
    const at200 = (await ham.query(base[200], { topK: 2 })).matches;
    expect(new Set(at200.map((m) => m.id))).toEqual(new Set(['r5', 'r200']));
    expect((await ham.getByIds(['r5']))[0].values).toEqual(base[200]);
  });

  it('keeps namespaces apart and applies the metadata filter, as FlatIndex', async () => {
    const rand = rng(5);
    const q = signs(rand, 256);
    const records: VectorRecord[] = Array.from({ length: 200 }, (_, i) => ({
      id: `r${i}`,
      values: flip(q, 10 + (i % 40), rand),
      namespace: i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : undefined,
      metadata: { owner: i % 2 ? 'alice' : 'bob', n: i },
    }));
    records.push({ id: 'exact-b', values: q.slice(), namespace: 'b', metadata: { owner: 'carol' } });
    const [ham, flat] = await both(256, records, 1);
    const cases: QueryOptions[] = [{ namespace: 'a' }, { namespace: 'b' }, { filter: { owner: 'alice' } }, { namespace: 'a', filter: { owner: 'bob' } }, {}];
    for (const opts of cases) {
      const h = await expectSameTopK(ham, flat, q, { ...opts, topK: 15, returnMetadata: true });
      expect(h.length).toBe(15);
      for (const m of h) {
        if (opts.namespace) expect(m.namespace).toBe(opts.namespace);
        if (opts.filter) expect(m.metadata?.owner).toBe(opts.filter.owner);
      }
    }
    expect((await ham.query(q, { namespace: 'a', topK: 300 })).matches.map((m) => m.id)).not.toContain('exact-b');
    expect((await ham.query(q, { namespace: 'b', topK: 1, returnMetadata: true })).matches[0]).toMatchObject({ id: 'exact-b', score: 1, namespace: 'b', metadata: { owner: 'carol' } });
    expect((await ham.query(q, { filter: { owner: 'nobody' } })).matches).toEqual([]);
    expect((await ham.query(q, { namespace: 'c' })).matches).toEqual([]);
    expect((await ham.query(q, { topK: 1 })).matches[0].metadata).toBeUndefined();
  });

  it('gives the stored vector values back from getByIds and returnValues', async () => {
    const rand = rng(6);
    const hash = Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256));
    const pdq = new HammingIndex();
    await pdq.upsert([{ id: 'p', values: Array.from(pdqToVector(hash)), namespace: 'x', metadata: { k: 1 } }]);
    const [rec] = await pdq.getByIds(['p', 'missing']);
    expect(rec).toEqual({ id: 'p', values: pdqToVector(hash), namespace: 'x', metadata: { k: 1 } });
    const ones = new HammingIndex(96, { amplitude: 1 });
    const v = signs(rand, 96);
    await ones.upsert([{ id: 'o', values: v }]);
    expect((await ones.getByIds(['o']))[0].values).toEqual(v);
    const m = (await ones.query(v, { returnValues: true })).matches[0];
    expect(m.values).toEqual(v);
    expect(m.score).toBe(1);
  });

  it('describes itself and its memory', async () => {
    const idx = new HammingIndex();
    await idx.upsert([{ id: 'a', values: pdqToVector(new Uint8Array(32)) }]);
    expect(await idx.describe()).toEqual({ dimensions: 256, metric: 'cosine', vectorCount: 1, description: 'BinaryFlat' });
    expect(idx.bytesPerVector).toBe(32);
  });

  it('refuses wrong lengths, non-binary vectors and bad bit counts with a RangeError', async () => {
    const idx = new HammingIndex(256, { amplitude: 1 });
    await expect(idx.upsert([{ id: 'short', values: new Float32Array(255).fill(1) }])).rejects.toThrow(RangeError);
    await expect(idx.upsert([{ id: 'long', values: new Float32Array(257).fill(1) }])).rejects.toThrow(/257 dimensions; the index has 256/);
    await expect(idx.query(new Float32Array(128).fill(1))).rejects.toThrow(/128 dimensions; the index has 256/);
    const mixed = new Float32Array(256).fill(1);
    mixed[9] = 0.5;
    await expect(idx.upsert([{ id: 'm', values: mixed }])).rejects.toThrow(RangeError);
    await expect(idx.query(mixed)).rejects.toThrow(/dimension 9/);
    await expect(idx.query(new Float32Array(256))).rejects.toThrow(RangeError); // all zero
    await expect(idx.upsert([{ id: 'scaled', values: new Float32Array(256).fill(1 / 16) }])).rejects.toThrow(/±1/);
    await expect(idx.query(new Float32Array(256).fill(-3))).resolves.toEqual({ count: 0, matches: [] }); // any scale for a query
    expect((await idx.describe()).vectorCount).toBe(0);
    for (const d of [0, 100, 255, -32, 32.5]) expect(() => new HammingIndex(d)).toThrow(RangeError);
  });
});

/** Hamming distance of two sign vectors: dimensions whose signs differ. */
function signDistance(a: Float32Array, b: Float32Array): number {
  let h = 0;
  for (let i = 0; i < a.length; i++) if ((a[i] > 0) !== (b[i] > 0)) h++;
  return h;
}

/** `v` with the given dimensions negated. */
function flipDims(v: Float32Array, dims: number[]): Float32Array {
  const out = v.slice();
  for (const i of dims) out[i] = -out[i];
  return out;
}

/**
 * A code at distance `h` from v whose flips are spread as evenly as possible over the 16 MIH words
 * (dims 16j..16j+15): the hardest case for the pigeonhole, only the least-flipped words are close.
 */
function spread(v: Float32Array, h: number): Float32Array {
  const dims: number[] = [];
  for (let k = 0; k < h; k++) dims.push((k % 16) * 16 + Math.floor(k / 16));
  return flipDims(v, dims);
}

const pdqScore = (h: number) => 1 - h / 128;

describe('HammingIndex multi-index hashing (mih)', () => {
  const RADIUS = 31;
  const rand = rng(7);
  const N = 30_000;
  const randoms = Array.from({ length: N }, () => signs(rand, 256, 1 / 16));
  const queries = Array.from({ length: 12 }, () => signs(rand, 256, 1 / 16));
  // Near-duplicates of every query at distances 0..40: random flips, and flips spread over the words.
  const planted: VectorRecord[] = [];
  queries.forEach((q, qi) => {
    for (let h = 0; h <= 40; h++) {
      planted.push({ id: `q${qi}r${h}`, values: flip(q, h, rand) });
      planted.push({ id: `q${qi}s${h}`, values: spread(q, h) });
    }
  });
  const records: VectorRecord[] = [...randoms.map((values, i) => ({ id: `x${i}`, values })), ...planted];
  // Interleave the plants among the random codes so their slots are spread over the index.
  for (let i = records.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [records[i], records[j]] = [records[j], records[i]];
  }

  /** Every record within `radius` of q by brute force, as "id score" strings (distances cached per vector pair). */
  const distCache = new Map<Float32Array, Map<Float32Array, number>>();
  function bruteForce(recs: Iterable<VectorRecord>, q: Float32Array, radius: number): string[] {
    let byRec = distCache.get(q);
    if (!byRec) distCache.set(q, (byRec = new Map()));
    const out: string[] = [];
    for (const r of recs) {
      const v = r.values as Float32Array;
      let h = byRec.get(v);
      if (h === undefined) byRec.set(v, (h = signDistance(q, v)));
      if (h <= radius) out.push(`${r.id} ${pdqScore(h)}`);
    }
    return out.sort();
  }

  /** The scan's top-K restricted to the radius: items within it rank above all others, so a prefix. */
  async function scanWithin(plain: HammingIndex, q: Float32Array, opts: QueryOptions, radius: number): Promise<VectorMatch[]> {
    return (await plain.query(q, opts)).matches.filter((m) => m.score >= pdqScore(radius));
  }

  it('returns exactly the codes within the radius (brute force on 30k codes + planted near-duplicates), none beyond it', async () => {
    for (const radius of [RADIUS, 15, 40]) {
      const mih = new HammingIndex(256, { mih: { radius, above: 1000 }, capacity: 4 });
      await mih.upsert(records);
      expect((await mih.describe()).description).toBe(`BinaryFlat,MIH16x16,r${radius}`);
      let found = 0;
      for (const q of queries) {
        const all = (await mih.query(q, { topK: 10_000 })).matches;
        const got = all.map((m) => `${m.id} ${m.score}`).sort();
        expect(got).toEqual(bruteForce(records, q, radius));
        for (const m of all) expect(m.score).toBeGreaterThanOrEqual(pdqScore(radius));
        found += all.length;
      }
      // Both plants per distance 0..radius for every query (random codes are ~128 away).
      expect(found).toBeGreaterThanOrEqual(queries.length * 2 * (radius + 1));
      // The spread plant at exactly the radius has only floor(radius/16) flips in its closest word.
      const edge = (await mih.query(spread(queries[0], 0), { topK: 10_000 })).matches.map((m) => m.id);
      expect(edge).toContain(`q0s${radius}`);
      expect(edge).not.toContain(`q0s${radius + 1}`);
    }
  });

  it('gives the scan\'s top-K restricted to the radius: same ids, scores and tie order', async () => {
    const mih = new HammingIndex(256, { mih: { radius: RADIUS, above: 1000 } });
    const plain = new HammingIndex(256);
    await mih.upsert(records);
    await plain.upsert(records);
    for (const q of queries) {
      for (const topK of [1, 10, 40, 100]) {
        const got = (await mih.query(q, { topK })).matches;
        expect(got).toEqual(await scanWithin(plain, q, { topK }, RADIUS));
        expect(got.length).toBe(Math.min(topK, 2 * (RADIUS + 1)));
      }
    }
  });

  it('below `above` codes is the plain scan (top-K whatever the distance); at `above` switches to the radius', async () => {
    const mih = new HammingIndex(256, { mih: { radius: RADIUS, above: 1000 } });
    const plain = new HammingIndex(256);
    const first = records.slice(0, 999);
    await mih.upsert(first);
    await plain.upsert(first);
    const q = queries[0];
    const below = (await mih.query(q, { topK: 50, returnValues: true })).matches;
    expect(below).toEqual((await plain.query(q, { topK: 50, returnValues: true })).matches);
    expect(below.length).toBe(50);
    expect(below.some((m) => m.score < pdqScore(RADIUS))).toBe(true); // far codes too: it is the scan
    await mih.upsert([records[999]]);
    await plain.upsert([records[999]]);
    const at = (await mih.query(q, { topK: 50 })).matches;
    expect(at).toEqual(await scanWithin(plain, q, { topK: 50 }, RADIUS));
    expect(at.length).toBeLessThan(50);
    // Default threshold 20000: a 1000-code index with mih on still scans.
    const dflt = new HammingIndex(256, { mih: { radius: RADIUS } });
    await dflt.upsert(records.slice(0, 1000));
    expect((await dflt.query(q, { topK: 50 })).matches).toEqual((await plain.query(q, { topK: 50 })).matches);
  });

  it('keeps the tables right through deletes, re-adds and replacements (every live code finds itself and its neighbours)', async () => {
    const r2 = rng(8);
    const base = records.slice(0, 6000);
    const mih = new HammingIndex(256, { mih: { radius: RADIUS, above: 1000 }, capacity: 16 });
    const plain = new HammingIndex(256);
    const live = new Map<string, VectorRecord>();
    const apply = async (recs: VectorRecord[]) => {
      await mih.upsert(recs);
      await plain.upsert(recs);
      for (const r of recs) live.set(r.id, r);
    };
    const remove = async (ids: string[]) => {
      expect(await mih.deleteByIds(ids)).toEqual(await plain.deleteByIds(ids));
      for (const id of ids) live.delete(id);
    };
    await apply(base);
    // Delete a third (plants included, the last slot, twice the same id), replace some, add new ones.
    await remove([base[base.length - 1].id, ...base.filter(() => r2() < 0.33).map((r) => r.id), 'missing']);
    await remove([base[0].id]);
    const replaced = [...live.values()].filter(() => r2() < 0.05).map((r) => ({ ...r, values: flip(r.values as Float32Array, 1 + Math.floor(r2() * 40), r2) }));
    await apply(replaced);
    const readded = base.filter((r) => !live.has(r.id) && r2() < 0.3).map((r) => ({ ...r, values: flip(r.values as Float32Array, Math.floor(r2() * 20), r2) }));
    await apply(readded);
    await apply(Array.from({ length: 500 }, (_, i) => ({ id: `new${i}`, values: flip(queries[i % queries.length], i % 45, r2) })));
    expect((await mih.describe()).vectorCount).toBe(live.size);
    expect(replaced.length).toBeGreaterThan(50);
    expect(readded.length).toBeGreaterThan(200);
    const liveRecs = [...live.values()];
    for (const r of liveRecs) {
      const got = (await mih.query(r.values, { topK: 100 })).matches;
      expect(got.map((m) => m.id)).toContain(r.id);
      expect(got).toEqual(await scanWithin(plain, r.values as Float32Array, { topK: 100 }, RADIUS));
    }
    for (const q of queries) {
      const got = (await mih.query(q, { topK: 10_000 })).matches.map((m) => `${m.id} ${m.score}`).sort();
      expect(got).toEqual(bruteForce(liveRecs, q, RADIUS));
    }
    // Shrink to just below `above`: the scan again; grow back: the (maintained) tables again.
    const ids = [...live.keys()];
    await remove(ids.slice(999));
    expect((await mih.describe()).vectorCount).toBe(999);
    expect((await mih.query(queries[1], { topK: 30 })).matches).toEqual((await plain.query(queries[1], { topK: 30 })).matches);
    await apply(base.slice(3000, 4000));
    for (const q of queries) expect((await mih.query(q, { topK: 100 })).matches).toEqual(await scanWithin(plain, q, { topK: 100 }, RADIUS));
  });

  it('keeps namespaces apart and applies the metadata filter, as the scan', async () => {
    const withNs = records.slice(0, 8000).map((r, i) => ({ ...r, namespace: i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : undefined, metadata: { owner: i % 2 ? 'alice' : 'bob' } }));
    const mih = new HammingIndex(256, { mih: { radius: RADIUS, above: 1000 } });
    const plain = new HammingIndex(256);
    await mih.upsert(withNs);
    await plain.upsert(withNs);
    const cases: QueryOptions[] = [{ namespace: 'a' }, { namespace: 'b' }, { filter: { owner: 'alice' } }, { namespace: 'a', filter: { owner: 'bob' } }, { namespace: 'c' }, {}];
    let nonEmpty = 0;
    for (const q of queries) {
      for (const opts of cases) {
        const o = { ...opts, topK: 20, returnMetadata: true };
        const got = (await mih.query(q, o)).matches;
        expect(got).toEqual(await scanWithin(plain, q, o, RADIUS));
        for (const m of got) {
          if (opts.namespace) expect(m.namespace).toBe(opts.namespace);
          if (opts.filter) expect(m.metadata?.owner).toBe(opts.filter.owner);
        }
        if (got.length) nonEmpty++;
      }
    }
    expect(nonEmpty).toBeGreaterThan(queries.length * 3);
  });

  it('refuses mih for codes that are not 256 bits and bad radii; counts its memory', () => {
    expect(() => new HammingIndex(128, { mih: { radius: 31 } })).toThrow(/256-bit/);
    for (const radius of [-1, 2.5, 257]) expect(() => new HammingIndex(256, { mih: { radius } })).toThrow(RangeError);
    expect(() => new HammingIndex(256, { mih: { radius: 31, above: -5 } })).toThrow(RangeError);
    expect(new HammingIndex(256, { mih: { radius: 31 } }).bytesPerVector).toBe(32 + 16 * 4 + 4);
  });
});
