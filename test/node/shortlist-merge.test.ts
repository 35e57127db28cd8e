import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/core/index/catalog.ts';
import { fuseCandidates, mergeShortlists, type ShardCandidate } from '../../src/core/index/shortlist-merge.ts';
import { CLASSIC_FUSION } from '../../src/core/fusion/defaults.ts';
import { extractFingerprint } from '../../src/core/signals/fingerprint.ts';
import { CLASSIC_SIGNALS } from '../../src/core/signals/registry.ts';
import { flipHorizontal, resize, syntheticImage } from '../support/synthetic.ts';

describe('sharded search = one catalog', () => {
  const images = Array.from({ length: 30 }, (_, i) => syntheticImage(300 + i, 160, 120));

  it('merging 3 shards\' candidates and fusing once gives the single catalog\'s hits and scores', async () => {
    const one = new Catalog(CLASSIC_SIGNALS, CLASSIC_FUSION);
    const shards = [0, 1, 2].map(() => new Catalog(CLASSIC_SIGNALS, CLASSIC_FUSION));
    for (const [i, img] of images.entries()) {
      const entry = { id: `img${i}`, namespace: 'default', fingerprint: await extractFingerprint(CLASSIC_SIGNALS, img) };
      await one.add(entry);
      await shards[i % 3].add(entry);
    }
    // A short shortlist, so that each shard's local top-k differs from the global one.
    const k = 4;
    let compared = 0;
    for (const i of [2, 7, 13, 22]) {
      const q = await extractFingerprint(CLASSIC_SIGNALS, resize(flipHorizontal(images[i]), 120, 90));
      const expected = await one.search(q, { topK: 10, shortlist: k });
      const lists = await Promise.all(shards.map((s) => s.candidates(q, { shortlist: k })));
      const merged = mergeShortlists(lists, k);
      // The union of all shards' lists is bigger than the merged one: truncation did something.
      expect(lists.flat().length).toBeGreaterThan(merged.length);
      const got = fuseCandidates(CLASSIC_FUSION, merged, merged).slice(0, 10);
      expect(got.map((h) => h.id)).toEqual(expected.map((h) => h.id));
      got.forEach((h, j) => expect(h.score).toBeCloseTo(expected[j].score, 12));
      expect(got[0].id).toBe(`img${i}`);
      compared++;
    }
    expect(compared).toBe(4);
  });

  it('keeps per lookup the k best over all shards, ties by id', () => {
    const c = (id: string, ranks: Record<string, number>): ShardCandidate => ({ id, similarities: {}, ranks });
    const merged = mergeShortlists([
      [c('a', { 'x/0': 0.9 }), c('b', { 'x/0': 0.5, 'y/0': 0.99 })],
      [c('c', { 'x/0': 0.8 }), c('d', { 'x/0': 0.5 })],
    ], 2);
    expect(merged.map((m) => m.id).sort()).toEqual(['a', 'b', 'c']);
    const tie = mergeShortlists([[c('q', { 'x/0': 0.5 })], [c('p', { 'x/0': 0.5 })]], 1);
    expect(tie.map((m) => m.id)).toEqual(['p']);
  });
});
