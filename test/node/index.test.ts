import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/core/index/catalog.ts';
import { FlatIndex } from '../../src/core/index/flat.ts';
import { CLASSIC_FUSION } from '../../src/core/fusion/defaults.ts';
import { verdictFor } from '../../src/core/fusion/fusion.ts';
import { extractFingerprint } from '../../src/core/signals/fingerprint.ts';
import { CLASSIC_SIGNALS } from '../../src/core/signals/registry.ts';
import { flipHorizontal, resize, syntheticImage } from '../support/synthetic.ts';

describe('FlatIndex (Vectorize-shaped)', () => {
  it('upserts, queries by cosine with namespace and filter, gets and deletes', async () => {
    const idx = new FlatIndex(3, 'cosine');
    await idx.upsert([
      { id: 'x', values: [1, 0, 0], namespace: 'a', metadata: { kind: 'cat' } },
      { id: 'y', values: [0.9, 0.1, 0], namespace: 'a', metadata: { kind: 'dog' } },
      { id: 'z', values: [0, 1, 0], namespace: 'b' },
    ]);
    const r = await idx.query([1, 0, 0], { topK: 2, namespace: 'a', returnMetadata: true });
    expect(r.matches.map((m) => m.id)).toEqual(['x', 'y']);
    expect(r.matches[0].score).toBeCloseTo(1, 6);
    expect(r.matches[1].metadata).toEqual({ kind: 'dog' });
    expect((await idx.query([1, 0, 0], { filter: { kind: 'dog' } })).matches.map((m) => m.id)).toEqual(['y']);
    expect((await idx.getByIds(['z', 'missing'])).map((v) => v.id)).toEqual(['z']);
    expect(await idx.deleteByIds(['x', 'missing'])).toEqual({ count: 1, ids: ['x'] });
    expect((await idx.query([1, 0, 0], { topK: 5 })).matches.map((m) => m.id)).toEqual(['y', 'z']);
    expect((await idx.describe()).vectorCount).toBe(2);
    await expect(idx.upsert([{ id: 'bad', values: [1, 2] }])).rejects.toThrow(/dimensions/);
  });

  it('an upsert of an existing id replaces its vector', async () => {
    const idx = new FlatIndex(2, 'euclidean');
    await idx.upsert([{ id: 'p', values: [0, 0] }, { id: 'q', values: [5, 5] }]);
    await idx.upsert([{ id: 'p', values: [10, 10] }]);
    const r = await idx.query([9, 9], { topK: 1 });
    expect(r.matches[0].id).toBe('p');
    expect(r.matches[0].score).toBeCloseTo(Math.SQRT2, 5);
  });
});

describe('Catalog', () => {
  const images = Array.from({ length: 12 }, (_, i) => syntheticImage(100 + i, 200, 150));

  async function build() {
    const cat = new Catalog(CLASSIC_SIGNALS, CLASSIC_FUSION);
    for (const [i, img] of images.entries()) {
      await cat.add({ id: `img${i}`, namespace: 'default', fingerprint: await extractFingerprint(CLASSIC_SIGNALS, img) });
    }
    return cat;
  }

  it('ranks the source of a mirrored, rescaled copy first with a copy verdict', async () => {
    const cat = await build();
    const q = await extractFingerprint(CLASSIC_SIGNALS, resize(flipHorizontal(images[5]), 150, 112));
    const hits = await cat.search(q, { topK: 5 });
    expect(hits[0].id).toBe('img5');
    expect(hits[0].score).toBeGreaterThan(hits[1].score);
    expect(verdictFor(CLASSIC_FUSION, hits[0].score)).toBe('copy');
    expect(Object.keys(hits[0].signals).sort()).toEqual(['hist_gray', 'hist_hsv', 'pdq']);
    expect(await cat.describe()).toBe('pdq:BinaryFlat256 + hist_hsv:Flat256 + hist_gray:Flat256 -> logistic fusion');
  });

  it('an unrelated image gets no copy verdict', async () => {
    const cat = await build();
    const hits = await cat.search(await extractFingerprint(CLASSIC_SIGNALS, syntheticImage(999, 200, 150)));
    expect(verdictFor(CLASSIC_FUSION, hits[0].score)).not.toBe('copy');
  });

  it('removing an image removes it from every signal index', async () => {
    const cat = await build();
    expect(await cat.remove('default', 'img5')).toBe(true);
    expect(await cat.remove('default', 'img5')).toBe(false);
    const hits = await cat.search(await extractFingerprint(CLASSIC_SIGNALS, images[5]), { topK: 20 });
    expect(hits.map((h) => h.id)).not.toContain('img5');
    expect(cat.size).toBe(11);
  });
});

describe('SlotTable', () => {
  it('keeps ids, namespaces and metadata with their slot through deletes that move the last slot', async () => {
    const { SlotTable } = await import('../../src/core/index/slots.ts');
    const t = new SlotTable();
    for (let i = 0; i < 2000; i++) t.assign(`id${i}`, `ns${i % 3}`, i % 5 === 0 ? { k: i } : undefined);
    const moves: [number, number][] = [];
    expect(t.remove('id10', (from, to) => moves.push([from, to]))).toBe(true);
    expect(moves).toEqual([[1999, 10]]);
    expect(t.entry(10)).toEqual({ id: 'id1999', namespace: 'ns1', metadata: undefined });
    expect(t.slotOf('id1999')).toBe(10);
    expect(t.remove('id10', () => {})).toBe(false);
    expect(t.accepts(t.slotOf('id5')!, 'ns2', { k: 5 })).toBe(true);
    expect(t.accepts(t.slotOf('id5')!, 'ns1')).toBe(false);
    expect(t.accepts(t.slotOf('id6')!, undefined, { k: 6 })).toBe(false);
    t.assign('id5', 'other');
    expect(t.entry(t.slotOf('id5')!)).toEqual({ id: 'id5', namespace: 'other', metadata: undefined });
    expect(t.size).toBe(1999);
  });
});
