import { describe, expect, it } from 'vitest';
import { FlatIndex } from '../../src/core/index/flat.ts';
import { PQIndex } from '../../src/core/index/pq-index.ts';
import { trainPQ } from '../../src/core/quant/pq.ts';
import { Rng } from '../../src/core/quant/rng.ts';

/** Unit vectors around 40 random centres: the shape of real descriptor clouds. */
function clustered(n: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const centres = rng.fillGaussian(new Float32Array(40 * dim));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = rng.int(40);
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = centres[c * dim + j] + 0.6 * rng.gaussian();
      out[i * dim + j] = v;
      norm += v * v;
    }
    for (let j = 0; j < dim; j++) out[i * dim + j] /= Math.sqrt(norm);
  }
  return out;
}

describe('PQIndex (ADC over PQ codes, exact re-rank)', () => {
  const dim = 64, n = 3000;
  const data = clustered(n, dim, 5);
  const pq = trainPQ(data.subarray(0, 2000 * dim), 2000, dim, { m: 16, iters: 12, seed: 3 });
  const queries = clustered(60, dim, 99);

  async function recallAt10(refine: number): Promise<number> {
    const flat = new FlatIndex(dim, 'cosine', n);
    const idx = new PQIndex(pq, { refine });
    const recs = Array.from({ length: n }, (_, i) => ({ id: `v${i}`, values: data.slice(i * dim, (i + 1) * dim) }));
    await flat.upsert(recs);
    await idx.upsert(recs);
    let hit = 0;
    for (let q = 0; q < 60; q++) {
      const v = queries.subarray(q * dim, (q + 1) * dim);
      const truth = new Set((await flat.query(v, { topK: 10 })).matches.map((m) => m.id));
      for (const m of (await idx.query(v, { topK: 10 })).matches) if (truth.has(m.id)) hit++;
    }
    return hit / 600;
  }

  it('ranks close to exact search with ADC alone, and matches it after re-ranking', async () => {
    const adc = await recallAt10(0);
    const refined = await recallAt10(8);
    expect(adc).toBeGreaterThan(0.5);
    expect(refined).toBeGreaterThan(0.95);
    expect(refined).toBeGreaterThan(adc);
  });

  it('describes itself, holds m bytes per vector hot, and deletes', async () => {
    const idx = new PQIndex(pq);
    await idx.upsert([{ id: 'a', values: data.slice(0, dim) }, { id: 'b', values: data.slice(dim, 2 * dim) }]);
    expect((await idx.describe()).description).toBe('PQ16x8,RefineFlat');
    expect(idx.bytesPerVector).toBe(16);
    expect((await idx.query(data.slice(0, dim), { topK: 1 })).matches[0]).toMatchObject({ id: 'a' });
    await idx.deleteByIds(['a']);
    expect((await idx.query(data.slice(0, dim), { topK: 2 })).matches.map((m) => m.id)).toEqual(['b']);
  });
});
