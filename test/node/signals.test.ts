// Each classic signal on real photos: a transformed copy scores above unrelated references.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/core/image/decode.ts';
import { packFingerprint, unpackFingerprint, extractFingerprint } from '../../src/core/signals/fingerprint.ts';
import { grayHistogramSignal, hsvHistogramSignal } from '../../src/core/signals/histogram.ts';
import { pdqSignal } from '../../src/core/signals/pdq.ts';
import { CLASSIC_SIGNALS, resolveSignals } from '../../src/core/signals/registry.ts';
import type { Signal } from '../../src/core/signals/signal.ts';
import { initNodeCodecs } from '../../src/functions/node/codecs.ts';
import { parseCsv } from '../../src/core/eval/metrics.ts';
import { hasShared, S1 } from '../support/fixtures.ts';
import { toJpeg } from '../support/encode-node.ts';
import { flipHorizontal, resize, syntheticImage } from '../support/synthetic.ts';

await initNodeCodecs();

async function load(rel: string) {
  return decodeImage(new Uint8Array(readFileSync(`${S1}${rel}`)));
}

/** Easy and medium pairs whose transform the signal is meant to survive. */
function pairs(filter: (transform: string) => boolean, n: number) {
  const truth = parseCsv(readFileSync(`${S1}truth.csv`, 'utf8'));
  return truth.filter((r) => r.source && filter(r.transform)).slice(0, n);
}

function queryFile(q: string): string {
  for (const ext of ['.jpg', '.png', '.webp']) {
    try { readFileSync(`${S1}queries/${q}${ext}`); return `queries/${q}${ext}`; } catch { /* next */ }
  }
  throw new Error(`no file for ${q}`);
}

async function copyBeatsUnrelated(signal: Signal, transforms: (t: string) => boolean, minShare: number) {
  const ps = pairs(transforms, 12);
  expect(ps.length).toBeGreaterThan(5);
  const unrelated = await Promise.all(['R00000', 'R00001', 'R00002', 'R00003', 'R00004'].map((r) => load(`refs/${r}.jpg`)));
  const unrelatedValues = await Promise.all(unrelated.map((u) => signal.extract(u)));
  let wins = 0;
  for (const p of ps) {
    const q = await signal.extract(await load(queryFile(p.query)));
    const src = await signal.extract(await load(`refs/${p.source}.jpg`));
    const copyScore = signal.similarity(q, src);
    const others = unrelatedValues.filter((_, i) => `R0000${i}` !== p.source).map((u) => signal.similarity(q, u));
    if (others.every((o) => copyScore > o)) wins++;
  }
  expect(wins / ps.length).toBeGreaterThanOrEqual(minShare);
}

describe.skipIf(!hasShared)('signals on real photos from ../shared/bench/s1', () => {
  it('PDQ: re-encoded, rescaled and mirrored copies beat unrelated photos', async () => {
    await copyBeatsUnrelated(pdqSignal as Signal, (t) => /^(jpeg|webp|rescale|png|hflip|rot90|rot180|rot270)/.test(t), 0.95);
  });
  it('HSV histogram: flipped, rotated and cropped copies beat unrelated photos', async () => {
    await copyBeatsUnrelated(hsvHistogramSignal, (t) => /^(hflip|rot|crop0\.[6-9])/.test(t), 0.8);
  });
  it('gray histogram: re-encoded and grayscale copies beat unrelated photos', async () => {
    await copyBeatsUnrelated(grayHistogramSignal, (t) => /^(jpeg|webp|grayscale|hflip)/.test(t), 0.8);
  });
});

describe('signals on synthetic images', () => {
  const a = syntheticImage(11, 256, 192);
  const b = syntheticImage(12, 256, 192);

  it('every classic signal scores a mirrored, rescaled copy above an unrelated image', async () => {
    const copy = resize(flipHorizontal(a), 180, 135);
    for (const s of CLASSIC_SIGNALS) {
      const [va, vb, vc] = await Promise.all([s.extract(a), s.extract(b), s.extract(copy)]);
      expect(s.similarity(vc, va), s.name).toBeGreaterThan(s.similarity(vc, vb));
      expect(s.similarity(va, va), s.name).toBeCloseTo(1, 5);
    }
  });

  it('histogram index vectors are unit length, so cosine equals the Bhattacharyya similarity', async () => {
    for (const s of [grayHistogramSignal, hsvHistogramSignal]) {
      const [va, vb] = await Promise.all([s.extract(a), s.extract(b)]);
      const x = s.toVector(va), y = s.toVector(vb);
      let dot = 0, nx = 0;
      for (let i = 0; i < x.length; i++) { dot += x[i] * y[i]; nx += x[i] * x[i]; }
      expect(nx).toBeCloseTo(1, 5);
      expect(dot).toBeCloseTo(s.similarity(va, vb), 5);
    }
  });

  it('a packed fingerprint round-trips and drops values of another version', async () => {
    const fp = await extractFingerprint(CLASSIC_SIGNALS, a);
    const bytes = packFingerprint(CLASSIC_SIGNALS, fp);
    const back = unpackFingerprint(CLASSIC_SIGNALS, bytes);
    for (const s of CLASSIC_SIGNALS) expect(s.similarity(back[s.name], fp[s.name])).toBeCloseTo(1, 6);
    const bumped = CLASSIC_SIGNALS.map((s) => (s.name === 'pdq' ? { ...s, version: s.version + 1 } : s));
    expect(unpackFingerprint(bumped, bytes).pdq).toBeUndefined();
    expect(() => unpackFingerprint(CLASSIC_SIGNALS, bytes.slice(0, bytes.length - 5))).toThrow(/truncated/);
  });

  it('resolves signals by name and rejects unknown ones', () => {
    expect(resolveSignals(['hist_gray', 'pdq']).map((s) => s.name)).toEqual(['hist_gray', 'pdq']);
    expect(() => resolveSignals(['nope'])).toThrow(/unknown signal/);
  });

  it('survives JPEG re-encoding at low quality (PDQ within 30 bits)', async () => {
    const jpg = await decodeImage(await toJpeg(a, 30));
    expect(pdqSignal.similarity(await pdqSignal.extract(jpg), await pdqSignal.extract(a))).toBeGreaterThan(1 - 30 / 128);
  });
});
