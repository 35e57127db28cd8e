import { describe, expect, it } from 'vitest';
import { trainPCA } from '../../src/core/quant/pca.ts';
import { trainPQ } from '../../src/core/quant/pq.ts';
import { Rng } from '../../src/core/quant/rng.ts';
import { createDescriptorSignal, kthBackgroundSimilarity, packFromBytes, packToBytes, type DescriptorPack } from '../../src/core/signals/descriptor.ts';
import type { Signal } from '../../src/core/signals/signal.ts';
import type { RGBAImage } from '../../src/core/image/types.ts';
import { resize, syntheticImage } from '../support/synthetic.ts';

/** A plain 8x8 colour-thumbnail embedding (192-d): a real, if weak, global descriptor. */
const thumb: Signal<Float32Array> = {
  name: 'embed', version: 1, index: { dimensions: 192, metric: 'cosine' },
  extract(img: RGBAImage) {
    const t = resize(img, 8, 8), v = new Float32Array(192);
    for (let i = 0; i < 64; i++) for (let c = 0; c < 3; c++) v[i * 3 + c] = t.data[i * 4 + c] / 255 - 0.5;
    return v;
  },
  serialize: () => new Uint8Array(), deserialize: () => new Float32Array(192),
  similarity: () => 0, toVector: (v) => v,
};

function buildPack(): DescriptorPack {
  const n = 400, dim = 192;
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) data.set(thumb.extract(syntheticImage(1000 + i, 64, 48)) as Float32Array, i * dim);
  const pca = trainPCA(data.subarray(0, 300 * dim), 300, dim, { outDim: 32, whiten: true });
  const white = pca.applyBatch(data, n, { normalize: true });
  const pq = trainPQ(white.subarray(0, 300 * 32), 300, 32, { m: 8, iters: 8, seed: 1 });
  return { pca, pq, background: white.slice(300 * 32), k: 5, beta: 1 };
}

describe('descriptor pack and normalised similarity', () => {
  const pack = buildPack();

  it('serializes the pack bit-exactly', () => {
    const back = packFromBytes(packToBytes(pack));
    expect(back.k).toBe(5);
    expect(back.beta).toBe(1);
    expect(back.background).toEqual(pack.background);
    expect(back.pca.describe()).toBe('PCAW32');
    expect(back.pq.describe()).toBe('PQ8x8');
    expect(() => packFromBytes(packToBytes(pack).slice(0, 100))).toThrow();
  });

  it('finds the k-th most similar background vector', () => {
    const rng = new Rng(3);
    const bg = rng.fillGaussian(new Float32Array(50 * 4));
    const q = bg.slice(0, 4);
    const sims = Array.from({ length: 50 }, (_, i) => q.reduce((s, x, j) => s + x * bg[i * 4 + j], 0)).sort((a, b) => b - a);
    expect(kthBackgroundSimilarity(q, bg, 3)).toBeCloseTo(sims[2], 5);
  });

  it('scores a copy above unrelated images, discounting what the background also matches', async () => {
    const sig = createDescriptorSignal(thumb, pack);
    const a = syntheticImage(7, 160, 120);
    const [va, vc, vu] = await Promise.all([sig.extract(a), sig.extract(resize(a, 100, 75)), sig.extract(syntheticImage(8, 160, 120))]);
    expect(sig.similarity(vc, va)).toBeGreaterThan(0.3);
    expect(sig.similarity(vc, va)).toBeGreaterThan(sig.similarity(vc, vu));
    // The normalised score is the raw cosine minus beta times the background term.
    const raw = va.v.reduce((s, x, i) => s + x * vc.v[i], 0);
    expect(sig.similarity(vc, va)).toBeCloseTo(Math.max(0, raw - vc.bg), 5);
    expect(sig.deserialize(sig.serialize(va))).toEqual(va);
    expect(sig.index.quantizer?.m).toBe(8);
  });
});
