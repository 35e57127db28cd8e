import { describe, expect, it } from 'vitest';
import { CLASSIC_FUSION } from '../../src/core/fusion/defaults.ts';
import { Catalog } from '../../src/core/index/catalog.ts';
import { extractOrb } from '../../src/core/local/index.ts';
import { extractFingerprint } from '../../src/core/signals/fingerprint.ts';
import { CLASSIC_SIGNALS } from '../../src/core/signals/registry.ts';
import { DEFAULT_RERANK, rerank } from '../../src/core/verify/rerank.ts';
import { extraCandidates, mergeChecked } from '../../src/core/verify/shortlist.ts';
import { syntheticImage } from '../support/synthetic.ts';

describe('merging the BoW shortlist into verification', () => {
  const src = syntheticImage(41, 480, 360);
  const others = [42, 43, 44].map((s) => syntheticImage(s, 480, 360));
  const refs = new Map([['src', extractOrb(src)], ...others.map((img, i) => [`o${i}`, extractOrb(img)] as const)]);
  // A 25%-area crop: global signals see a different picture.
  const cropW = 240, cropH = 180, data = new Uint8ClampedArray(cropW * cropH * 4);
  for (let y = 0; y < cropH; y++) data.set(src.data.subarray(((100 + y) * 480 + 150) * 4, ((100 + y) * 480 + 150 + cropW) * 4), y * cropW * 4);
  const query = { features: extractOrb({ width: cropW, height: cropH, data }) };

  it('checks only BoW candidates the global re-rank left unchecked, in BoW order, at most n', () => {
    const checked = rerank([{ id: 'o0', score: 0.5 }, { id: 'o1', score: 0.01 }], query, (id) => refs.get(id));
    expect(checked.find((h) => h.id === 'o0')!.geometry).toBeDefined();
    expect(checked.find((h) => h.id === 'o1')!.geometry).toBeUndefined();
    const bow = ['o1', 'src', 'o0', 'o2'].map((id, i) => ({ id, score: 1 - i / 10 }));
    // o0 was checked already; o1 is in the global list but was below rerank's minimum score.
    expect(extraCandidates(checked, bow, 3)).toEqual(['o1', 'src']);
    expect(extraCandidates(checked, bow, 10)).toEqual(['o1', 'src', 'o2']);
  });

  it('a source only BoW found is verified and lifted to the top; checked global candidates keep their result', () => {
    const checked = rerank([{ id: 'o0', score: 0.5 }, { id: 'o1', score: 0.3 }], query, (id) => refs.get(id));
    const merged = mergeChecked(checked, [{ id: 'src', score: 0.01 }, { id: 'o0', score: 0.99 }], query, (id) => refs.get(id));
    expect(merged[0].id).toBe('src');
    expect(merged[0].geometry?.verified).toBe(true);
    expect(merged[0].score).toBeGreaterThan(0.5);
    for (const h of checked) expect(merged.find((m) => m.id === h.id)).toEqual(h);
    expect(merged.map((h) => h.score)).toEqual([...merged.map((h) => h.score)].sort((a, b) => b - a));
  });

  it('an unrelated BoW candidate fails verification and is penalised like a failed global one', () => {
    const merged = mergeChecked([], [{ id: 'o2', score: 0.2 }], query, (id) => refs.get(id));
    expect(merged[0].geometry?.verified).toBe(false);
    expect(merged[0].score).toBeCloseTo(0.2 * DEFAULT_RERANK.failedPenalty, 12);
  });
});

describe('Catalog.scoreIds', () => {
  it('scores any id exactly as search() would, including ids outside the returned top-K', async () => {
    const cat = new Catalog(CLASSIC_SIGNALS, CLASSIC_FUSION);
    const images = Array.from({ length: 10 }, (_, i) => syntheticImage(500 + i, 160, 120));
    for (const [i, img] of images.entries()) await cat.add({ id: `img${i}`, namespace: 'default', fingerprint: await extractFingerprint(CLASSIC_SIGNALS, img) });
    const q = await extractFingerprint(CLASSIC_SIGNALS, images[3]);
    const all = await cat.search(q, { topK: 10 });
    const tail = all.slice(5).map((h) => h.id);
    const scored = await cat.scoreIds(q, [...tail, 'missing']);
    expect(scored.map((h) => [h.id, h.score])).toEqual(all.slice(5).map((h) => [h.id, h.score]));
    expect(await cat.scoreIds(q, ['img3'], { namespace: 'other' })).toEqual([]);
  });
});
