import { describe, expect, it } from 'vitest';
import { mirrorHorizontal } from '../../src/core/image/resize.ts';
import { extractOrb, warpPerspective } from '../../src/core/local/index.ts';
import { combine, DEFAULT_RERANK, rerank } from '../../src/core/verify/rerank.ts';
import { syntheticImage } from '../support/synthetic.ts';

describe('geometric re-ranking', () => {
  const src = syntheticImage(21, 480, 360);
  const other = syntheticImage(22, 480, 360);
  const refs = new Map([['src', extractOrb(src)], ['other', extractOrb(other)]]);
  // Rotate 12 degrees, scale 0.8, shift: a copy the global signals find hard.
  const c = Math.cos(0.21) * 0.8, s = Math.sin(0.21) * 0.8;
  const copy = warpPerspective(src, [c, -s, 60, s, c, 20, 0, 0, 1], 480, 360);

  it('lifts a verified copy above a candidate that global signals preferred, and records the geometry', () => {
    const q = { features: extractOrb(copy) };
    const hits = rerank([{ id: 'other', score: 0.4 }, { id: 'src', score: 0.3 }], q, (id) => refs.get(id));
    expect(hits[0].id).toBe('src');
    expect(hits[0].geometry?.verified).toBe(true);
    expect(hits[0].geometry!.inliers).toBeGreaterThan(30);
    expect(hits[0].score).toBeGreaterThan(0.8);
    expect(hits[1].geometry?.verified).toBe(false);
    expect(hits[1].score).toBeCloseTo(0.4 * DEFAULT_RERANK.failedPenalty, 6);
  });

  it('verifies a mirrored copy through the mirrored query features', () => {
    const flipped = mirrorHorizontal(src);
    const q = { features: extractOrb(flipped), mirrored: extractOrb(mirrorHorizontal(flipped)) };
    const [hit] = rerank([{ id: 'src', score: 0.3 }], q, (id) => refs.get(id));
    expect(hit.geometry?.verified).toBe(true);
    expect(hit.geometry?.mirrored).toBe(true);
  });

  it('leaves candidates below the band unchecked and combines evidence by noisy-or', () => {
    const hits = rerank([{ id: 'src', score: 0.01 }], { features: extractOrb(copy) }, (id) => refs.get(id));
    expect(hits[0].geometry).toBeUndefined();
    const g = { verified: true, inliers: 15, inlierRatio: 0.5, overlapQuery: 1, overlapRef: 1, mirrored: false, transform: null };
    expect(combine(0.5, g, DEFAULT_RERANK)).toBeCloseTo(0.75, 6);
  });
});

describe('stored local features', () => {
  it('round-trip compactly (38 bytes a keypoint) and verify as well as the originals', async () => {
    const { serializeLocalFeatures, deserializeLocalFeatures, localFeaturesBytes } = await import('../../src/core/local/index.ts');
    const { verifyPair } = await import('../../src/core/local/index.ts');
    const src = syntheticImage(31, 480, 360);
    const ref = extractOrb(src);
    const bytes = serializeLocalFeatures(ref);
    expect(bytes.length).toBe(localFeaturesBytes(ref.count));
    expect(bytes.length / ref.count).toBeLessThan(39);
    const back = deserializeLocalFeatures(bytes);
    expect(back.descriptors).toEqual(ref.descriptors);
    for (let i = 0; i < ref.count; i++) {
      expect(Math.abs(back.x[i] - ref.x[i])).toBeLessThanOrEqual(0.125);
      expect(back.scale[i]).toBeCloseTo(ref.scale[i], 3);
    }
    const c = Math.cos(0.3) * 0.9, s = Math.sin(0.3) * 0.9;
    const q = extractOrb(warpPerspective(src, [c, -s, 50, s, c, 10, 0, 0, 1], 480, 360));
    const fromStored = verifyPair(q, back), fromFresh = verifyPair(q, ref);
    expect(fromStored.verified).toBe(true);
    expect(Math.abs(fromStored.inliers - fromFresh.inliers)).toBeLessThanOrEqual(Math.ceil(fromFresh.inliers * 0.1));
  });
});
