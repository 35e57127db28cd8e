import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/core/image/decode.ts';
import type { RGBAImage } from '../../src/core/image/types.ts';
import {
  PDQ_DIHEDRAL_NAMES,
  hamming,
  pdqDihedral,
  pdqFromHex,
  pdqHash,
  pdqSignal,
  pdqToHex,
  pdqToVector,
} from '../../src/core/signals/pdq.ts';
import { initNodeCodecs } from '../../src/functions/node/codecs.ts';

/**
 * Deterministic photo-like test picture (no decoder involved): a smooth gradient plus a few
 * octaves of value noise from a seeded PRNG, so the 16x16 DCT has real texture at every frequency.
 */
function synthetic(width: number, height: number, seed = 1): RGBAImage {
  let s = seed * 2654435761;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const octaves = [4, 9, 20, 45].map((n) => ({ n, g: Float64Array.from({ length: (n + 1) * (n + 1) }, rand) }));
  const noise = (u: number, v: number) => {
    let total = 0;
    for (const { n, g } of octaves) {
      const x = u * n;
      const y = v * n;
      const x0 = Math.min(n - 1, Math.floor(x));
      const y0 = Math.min(n - 1, Math.floor(y));
      const fx = x - x0;
      const fy = y - y0;
      const at = (i: number, j: number) => g[j * (n + 1) + i]!;
      const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
      const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
      total += (top * (1 - fy) + bottom * fy) * (60 / Math.sqrt(n));
    }
    return total;
  };
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const base = 60 * u + 40 * v + 2.2 * noise(u, v);
      const p = (y * width + x) * 4;
      data[p] = base;
      data[p + 1] = base * 0.9 + 20 * v;
      data[p + 2] = base * 0.7 + 30 * u;
      data[p + 3] = 255;
    }
  }
  return { width, height, data };
}

/** Geometric transforms of RGBA pixels; `map(r, c)` gives the source (row, col) for a target pixel. */
function transform(img: RGBAImage, name: string): RGBAImage {
  const { width: W, height: H } = img;
  const swap = ['rotate90', 'rotate270', 'flipPlus1', 'flipMinus1'].includes(name);
  const w = swap ? H : W;
  const h = swap ? W : H;
  const map: Record<string, (r: number, c: number) => [number, number]> = {
    original: (r, c) => [r, c],
    rotate90: (r, c) => [c, W - 1 - r], // counter-clockwise
    rotate180: (r, c) => [H - 1 - r, W - 1 - c],
    rotate270: (r, c) => [H - 1 - c, r], // clockwise
    flipX: (r, c) => [H - 1 - r, c],
    flipY: (r, c) => [r, W - 1 - c],
    flipPlus1: (r, c) => [c, r],
    flipMinus1: (r, c) => [H - 1 - c, W - 1 - r],
  };
  const f = map[name]!;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const [sr, sc] = f(r, c);
      const s = (sr * W + sc) * 4;
      data.set(img.data.subarray(s, s + 4), (r * w + c) * 4);
    }
  }
  return { width: w, height: h, data };
}

describe('pdq: hash basics', () => {
  const img = synthetic(320, 240);

  it('is deterministic, 32 bytes, 128 bits set, good quality', () => {
    const a = pdqHash(img);
    const b = pdqHash(synthetic(320, 240));
    expect(a.hash).toHaveLength(32);
    expect(pdqToHex(a.hash)).toBe(pdqToHex(b.hash));
    expect(hamming(a.hash, new Uint8Array(32))).toBe(128); // median threshold on 256 distinct values
    expect(a.quality).toBeGreaterThanOrEqual(50);
    expect(a.quality).toBeLessThanOrEqual(100);
  });

  it('matches the pinned hash of the synthetic picture (regression anchor)', () => {
    expect(pdqToHex(pdqHash(img).hash)).toBe(GOLDEN_SYNTHETIC);
  });

  it('is robust to mild edits and far from unrelated pictures', () => {
    const base = pdqHash(img).hash;
    const brighter = { ...img, data: img.data.map((v, i) => (i % 4 === 3 ? v : v + 12)) };
    expect(hamming(base, pdqHash(brighter).hash)).toBeLessThanOrEqual(8);
    const other = pdqHash(synthetic(320, 240, 3)).hash;
    expect(hamming(base, other)).toBeGreaterThan(40);
  });

  it('handles the >512 px resize path and the exact 64x64 path', () => {
    const big = synthetic(900, 700);
    const r = pdqHash(big);
    expect(hamming(r.hash, pdqHash(big, { downsample512: false }).hash)).toBeLessThanOrEqual(16);
    expect(hamming(r.hash, pdqHash(synthetic(450, 350)).hash)).toBeLessThanOrEqual(16);
    expect(pdqHash(synthetic(64, 64)).hash).toHaveLength(32);
  });

  it('gives a zero hash and quality 0 under 5 px, and a low quality for a flat image', () => {
    const tiny = pdqHash(synthetic(4, 100));
    expect(pdqToHex(tiny.hash)).toBe('0'.repeat(64));
    expect(tiny.quality).toBe(0);
    const flat = { width: 100, height: 80, data: new Uint8ClampedArray(100 * 80 * 4).fill(128) };
    expect(pdqHash(flat).quality).toBe(0);
  });
});

describe('pdq: hamming and hex', () => {
  it('counts differing bits', () => {
    const a = new Uint8Array(32);
    const b = new Uint8Array(32).fill(0xff);
    expect(hamming(a, a)).toBe(0);
    expect(hamming(a, b)).toBe(256);
    const c = a.slice();
    c[0] = 0x81;
    c[17] = 0x10;
    c[31] = 0xff;
    expect(hamming(a, c)).toBe(11);
    expect(hamming(c, a)).toBe(11);
    expect(hamming(b, c)).toBe(245);
  });

  it('round-trips hex and follows the reference word order (bit k = k-th least significant)', () => {
    const hex = '9cffb1dc97b0f0b227841c2645a74f9c7a3b0e3688f0f366bf8401f7000bfd09';
    expect(pdqToHex(pdqFromHex(hex))).toBe(hex);
    expect(pdqToHex(pdqFromHex(hex.toUpperCase()))).toBe(hex);
    expect(() => pdqFromHex('abc')).toThrow();
    expect(() => pdqFromHex('g'.repeat(64))).toThrow();
    // Bit 0 (DCT coefficient (1,1)) is the last hex digit's low bit; bit 255 the first digit's high bit.
    const h = new Uint8Array(32);
    h[31] = 1;
    expect(pdqToHex(h)).toBe('0'.repeat(63) + '1');
    h[31] = 0;
    h[0] = 0x80;
    expect(pdqToHex(h)).toBe('8' + '0'.repeat(63));
  });
});

describe('pdq: dihedral variants', () => {
  const cases: [string, RGBAImage][] = [
    ['synthetic 320x240', synthetic(320, 240)],
    ['synthetic 700x530 (resized path)', synthetic(700, 530, 2)],
  ];
  for (const [label, img] of cases) {
    it(`hash of the physically transformed ${label} is close to its variant`, () => {
      const d = pdqDihedral(img);
      expect(d.hashes).toHaveLength(8);
      expect(d.hashes[0]).toEqual(pdqHash(img).hash);
      expect(d.quality).toBe(pdqHash(img).quality);
      PDQ_DIHEDRAL_NAMES.forEach((name, i) => {
        const moved = pdqHash(transform(img, name)).hash;
        const dist = d.hashes.map((h) => hamming(h, moved));
        // Transposes are exact; reversals are approximate because the reference's even box windows
        // and decimation grid are not mirror-symmetric (real photos: ~10-16 bits on average).
        expect(dist[i], `${name}: ${dist.join(',')}`).toBeLessThanOrEqual(24);
        expect(Math.min(...dist.filter((_, j) => j !== i)), name).toBeGreaterThan(60);
      });
    });
  }
});

describe('pdq: signal', () => {
  const img = synthetic(320, 240);
  const value = pdqSignal.extract(img) as ReturnType<typeof pdqDihedral>;

  it('declares its name, version and index', () => {
    expect(pdqSignal.name).toBe('pdq');
    expect(pdqSignal.version).toBe(1);
    expect(pdqSignal.index).toEqual({ dimensions: 256, metric: 'cosine', binary: true });
  });

  it('serializes 8 hashes plus quality and back', () => {
    const bytes = pdqSignal.serialize(value);
    expect(bytes).toHaveLength(258);
    const back = pdqSignal.deserialize(bytes);
    expect(back.quality).toBe(value.quality);
    expect(back.hashes.map(pdqToHex)).toEqual(value.hashes.map(pdqToHex));
    expect(() => pdqSignal.deserialize(bytes.subarray(0, 100))).toThrow();
  });

  it('scores 1 for itself, high for a rotated copy, ~0 for random hashes', () => {
    expect(pdqSignal.similarity(value, value)).toBe(1);
    const rotated = pdqSignal.extract(transform(img, 'rotate270')) as typeof value;
    expect(pdqSignal.similarity(rotated, value)).toBeGreaterThan(0.8);
    const random = (seed: number) => {
      let s = seed;
      const h = new Uint8Array(32).map(() => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 255);
      return { hashes: Array.from({ length: 8 }, () => h), quality: 100 };
    };
    const inv = { hashes: value.hashes.map((h) => h.map((b) => 255 - b)), quality: 100 };
    expect(pdqSignal.similarity({ hashes: [inv.hashes[0]!], quality: 100 }, value)).toBe(0);
    expect(pdqSignal.similarity(random(1), random(2))).toBeLessThan(0.4);
  });

  it('maps hashes to unit ±1/16 vectors whose cosine is 1 - hamming/128', () => {
    const a = pdqSignal.toVector(value);
    expect(a).toHaveLength(256);
    expect(a.every((x) => Math.abs(Math.abs(x) - 1 / 16) < 1e-9)).toBe(true);
    const qv = pdqSignal.queryVectors!(value);
    expect(qv).toHaveLength(8);
    for (let i = 0; i < 8; i++) {
      const b = pdqToVector(value.hashes[i]!);
      let dot = 0;
      for (let k = 0; k < 256; k++) dot += a[k]! * b[k]!;
      expect(dot).toBeCloseTo(1 - hamming(value.hashes[0]!, value.hashes[i]!) / 128, 5);
      expect(qv[i]).toEqual(b);
    }
  });
});

// Compliance with ThreatExchange's reference hasher on the s1 bench (../shared, outside the repo).
const BENCH = fileURLToPath(new URL('../../../shared/bench/s1/', import.meta.url));
const HAVE_BENCH = existsSync(BENCH + 'pdq-reference.csv');
if (!HAVE_BENCH) console.warn(`pdq compliance test skipped: ${BENCH}pdq-reference.csv is absent`);

describe.skipIf(!HAVE_BENCH)('pdq: compliance with the reference hasher (sample of s1)', () => {
  beforeAll(() => initNodeCodecs());

  it('is within 10 bits of the reference for >= 95% of 60 images with quality >= 80', async () => {
    const rows = readFileSync(BENCH + 'pdq-reference.csv', 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .filter((r) => Number(r[2]) >= 80);
    const step = Math.floor(rows.length / 60);
    const sample = rows.filter((_, i) => i % step === 0).slice(0, 60);
    let within = 0;
    let sum = 0;
    let qualityClose = 0;
    for (const [file, hex, q] of sample) {
      const img = await decodeImage(new Uint8Array(readFileSync(BENCH + file)));
      const r = pdqHash(img);
      const d = hamming(r.hash, pdqFromHex(hex!));
      sum += d;
      if (d <= 10) within++;
      if (Math.abs(r.quality - Number(q)) <= 5) qualityClose++;
    }
    const mean = (sum / sample.length).toFixed(2);
    console.log(`pdq compliance: ${within}/${sample.length} within 10 bits, mean distance ${mean}`);
    expect(sample).toHaveLength(60);
    expect(within / sample.length).toBeGreaterThanOrEqual(0.95);
    expect(qualityClose / sample.length).toBeGreaterThanOrEqual(0.95);
  });

  it('dihedral variants of real photos match their physically transformed copies', async () => {
    const files = ['refs/R00000.jpg', 'refs/R00100.jpg', 'refs/R00200.jpg', 'refs/R00300.jpg'];
    const sums = new Array<number>(8).fill(0);
    for (const file of files) {
      const img = await decodeImage(new Uint8Array(readFileSync(BENCH + file)));
      const d = pdqDihedral(img);
      PDQ_DIHEDRAL_NAMES.forEach((name, i) => {
        const moved = pdqHash(transform(img, name)).hash;
        const dist = d.hashes.map((h) => hamming(h, moved));
        sums[i] += dist[i]!;
        expect(dist[i], `${file} ${name}`).toBeLessThanOrEqual(40);
        expect(Math.min(...dist.filter((_, j) => j !== i)), `${file} ${name}`).toBeGreaterThan(60);
      });
    }
    for (const s of sums) expect(s / files.length).toBeLessThanOrEqual(24);
  });
});

const GOLDEN_SYNTHETIC = '6a32321be6c75e2ced8e34f28de8fd2da3708fd262cdf4744eed440ec2466203';
