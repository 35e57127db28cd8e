import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/core/index/catalog.ts';
import { plannedIndexFactory } from '../../src/core/index/index-plan.ts';
import { CLASSIC_FUSION } from '../../src/core/fusion/defaults.ts';
import { extractFingerprint } from '../../src/core/signals/fingerprint.ts';
import { CLASSIC_SIGNALS } from '../../src/core/signals/registry.ts';
import type { Signal } from '../../src/core/signals/signal.ts';
import { resize, syntheticImage } from '../support/synthetic.ts';

const ivf = new Uint8Array(readFileSync(new URL('../../models/copy-desc.ivf.bin', import.meta.url)));
const fakeSignal = (name: string, dimensions: number) => ({ name, index: { dimensions, metric: 'cosine' } }) as unknown as Signal;

describe('index plan', () => {
  it('puts the descriptor in the shipped inverted file and checks its dimensions', async () => {
    const f = plannedIndexFactory({ ivf, nprobe: 8 });
    const ix = f(fakeSignal('embed', 256))!;
    expect((await ix.describe()).description).toMatch(/^IVF1024,PQ32/);
    expect(() => f(fakeSignal('embed', 128))).toThrow(/dimensions/);
    expect((await f(fakeSignal('hist_hsv', 256))!.describe()).description).toBe('Flat');
  });

  it('keeps no hot index for signals outside shortlistSignals, and still re-scores them', async () => {
    const cat = new Catalog(CLASSIC_SIGNALS, CLASSIC_FUSION, plannedIndexFactory({ shortlistSignals: ['pdq'] }));
    expect(await cat.describe()).toBe('pdq:BinaryFlat256 + hist_hsv:rescore-only + hist_gray:rescore-only -> logistic fusion');
    const imgs = [1, 2, 3].map((s) => syntheticImage(s + 40, 160, 120));
    for (const [i, im] of imgs.entries()) await cat.add({ id: `i${i}`, namespace: 'default', fingerprint: await extractFingerprint(CLASSIC_SIGNALS, im) });
    const hits = await cat.search(await extractFingerprint(CLASSIC_SIGNALS, resize(imgs[1], 120, 90)));
    expect(hits[0].id).toBe('i1');
    expect(Object.keys(hits[0].signals).sort()).toEqual(['hist_gray', 'hist_hsv', 'pdq']);
    expect(() => new Catalog(CLASSIC_SIGNALS, CLASSIC_FUSION, plannedIndexFactory({ shortlistSignals: ['nope'] }))).toThrow(/at least one/);
  });
});
