// IVF-PQ: recall against exact search, nprobe trade-off, incremental deletes, namespaces.
import { describe, expect, it } from 'vitest';
import { IVFPQIndex } from '../../src/core/index/ivf-pq-index.ts';
import { Rng } from '../../src/core/quant/rng.ts';

const DIM = 64;

/** Unit vectors around 200 fixed random centres: clustered, as real descriptors are; `seed` draws the sample. */
function clustered(n: number, seed: number): Float32Array {
  const crng = new Rng(99);
  const centres = Float32Array.from({ length: 200 * DIM }, () => Math.sqrt(-2 * Math.log(1 - crng.next())) * Math.cos(2 * Math.PI * crng.next()));
  const rng = new Rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const c = rng.int(200);
    let norm = 0;
    for (let k = 0; k < DIM; k++) {
      const v = centres[c * DIM + k] + 0.6 * gauss();
      out[i * DIM + k] = v;
      norm += v * v;
    }
    for (let k = 0; k < DIM; k++) out[i * DIM + k] /= Math.sqrt(norm);
  }
  return out;
}

function exactTop(data: Float32Array, n: number, q: Float32Array, k: number, skip: Set<number> = new Set()): number[] {
  const s: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (skip.has(i)) continue;
    let d = 0;
    for (let t = 0; t < DIM; t++) d += data[i * DIM + t] * q[t];
    s.push([d, i]);
  }
  return s.sort((a, b) => b[0] - a[0]).slice(0, k).map((x) => x[1]);
}

const N = 20_000;
const data = clustered(N, 1);
const queries = clustered(100, 2);

/** nprobe always applies (exhaustiveBelow: 0), so the tests measure the inverted file itself. */
async function built(nprobe: number, refine = 10) {
  const ix = IVFPQIndex.train(data.subarray(0, 5000 * DIM), 5000, DIM, { nlist: 64, m: 16, iters: 10, seed: 3 }, { nprobe, refine, exhaustiveBelow: 0 });
  const batch = [];
  for (let i = 0; i < N; i++) batch.push({ id: `v${i}`, values: data.subarray(i * DIM, (i + 1) * DIM), namespace: i % 2 ? 'odd' : 'even' });
  await ix.upsert(batch);
  return ix;
}

async function recallAt10(ix: IVFPQIndex, skip: Set<number> = new Set(), namespace?: string): Promise<number> {
  let hit = 0;
  for (let qi = 0; qi < 100; qi++) {
    const q = queries.subarray(qi * DIM, (qi + 1) * DIM);
    const truth = new Set(exactTop(data, N, q, 10, namespace ? new Set([...Array(N).keys()].filter((i) => skip.has(i) || (namespace === 'odd') !== (i % 2 === 1))) : skip).map((i) => `v${i}`));
    const { matches } = await ix.query(q, { topK: 10, namespace });
    hit += matches.filter((m) => truth.has(m.id)).length;
  }
  return hit / 1000;
}

describe('IVF-PQ index', () => {
  it('reaches recall@10 >= 0.95 against exact search after re-ranking, and more cells scanned means more recall', async () => {
    const ix = await built(8);
    const r8 = await recallAt10(ix);
    ix.nprobe = 1;
    const r1 = await recallAt10(ix);
    ix.refine = 0;
    ix.nprobe = 8;
    const raw = await recallAt10(ix);
    expect(r8).toBeGreaterThanOrEqual(0.95);
    expect(r1).toBeLessThan(r8);
    expect(raw).toBeLessThan(r8);
    expect((await ix.describe()).description).toBe('IVF64,PQ16x8');
    expect(ix.bytesPerVector).toBeLessThanOrEqual(64);
  });

  it('deletes and replaces incrementally: deleted ids never come back, the rest keep their recall', async () => {
    const ix = await built(8);
    const gone = new Set<number>();
    for (let i = 0; i < N; i += 3) gone.add(i);
    expect((await ix.deleteByIds([...gone].map((i) => `v${i}`))).count).toBe(gone.size);
    expect(ix.size).toBe(N - gone.size);
    for (let qi = 0; qi < 20; qi++) {
      const { matches } = await ix.query(queries.subarray(qi * DIM, (qi + 1) * DIM), { topK: 10 });
      for (const m of matches) expect(gone.has(Number(m.id.slice(1)))).toBe(false);
    }
    expect(await recallAt10(ix, gone)).toBeGreaterThanOrEqual(0.95);
    // Every surviving vector still finds itself first (slots and cells stayed consistent).
    for (const i of [1, 2, 4, 19_999, 10_001]) {
      const { matches } = await ix.query(data.subarray(i * DIM, (i + 1) * DIM), { topK: 1 });
      expect(matches[0].id).toBe(`v${i}`);
    }
    await ix.upsert([{ id: 'v1', values: data.subarray(5 * DIM, 6 * DIM) }]);
    expect((await ix.query(data.subarray(5 * DIM, 6 * DIM), { topK: 2 })).matches.map((m) => m.id).sort()).toEqual(['v1', 'v5']);
    expect(ix.size).toBe(N - gone.size);
  });

  it('confines a query to its namespace', async () => {
    const ix = await built(8);
    expect(await recallAt10(ix, new Set(), 'odd')).toBeGreaterThanOrEqual(0.9);
    const { matches } = await ix.query(queries.subarray(0, DIM), { topK: 10, namespace: 'even' });
    expect(matches.every((m) => Number(m.id.slice(1)) % 2 === 0)).toBe(true);
  });

  it('cuts cells in a scaled space when asked, keeping scores and re-ranking in the vectors own space', async () => {
    const scale = Float32Array.from({ length: DIM }, (_, k) => (k < 8 ? 4 : 0.25));
    const ix = IVFPQIndex.train(data.subarray(0, 5000 * DIM), 5000, DIM, { nlist: 64, m: 16, iters: 10, seed: 3, cellScale: scale }, { nprobe: 16, refine: 10 });
    await ix.upsert(Array.from({ length: N }, (_, i) => ({ id: `v${i}`, values: data.subarray(i * DIM, (i + 1) * DIM), namespace: 'x' })));
    expect(await recallAt10(ix)).toBeGreaterThanOrEqual(0.9);
    for (const i of [0, 7, 12_345]) {
      const { matches } = await ix.query(data.subarray(i * DIM, (i + 1) * DIM), { topK: 1 });
      expect(matches[0].id).toBe(`v${i}`);
      expect(matches[0].score).toBeCloseTo(1, 5);
    }
  });
});
