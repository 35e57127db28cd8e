import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  applyTransform,
  cornerError,
  cutPatch,
  cutPatches,
  DEFAULT_PATCH,
  extractLearned,
  matchFloat,
  orbFromPyramid,
  orbPyramid,
  parsePatchDescConfig,
  verifyLearnedPair,
  warpPerspective,
  type PatchDescConfig,
} from '../../src/core/local/index.ts';
import { Rng } from '../../src/core/quant/rng.ts';
import type { Plane } from '../../src/core/image/types.ts';
import { createNodeOnnxRunner } from '../../src/functions/node/onnx.ts';
import { syntheticImage } from '../support/synthetic.ts';

const AREA = DEFAULT_PATCH.size * DEFAULT_PATCH.size;

/** Pearson correlation of two equal-length patches. */
function correlation(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i]), (mb += b[i]);
  ma /= n;
  mb /= n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb + 1e-9);
}

function similarity(angle: number, scale: number, tx: number, ty: number): Float64Array {
  const c = scale * Math.cos(angle);
  const s = scale * Math.sin(angle);
  return Float64Array.of(c, -s, tx, s, c, ty, 0, 0, 1);
}

describe('patches at keypoints', () => {
  it('a patch cut at the rotated position with the rotated angle is the same patch (exact 90 degree turn)', () => {
    const W = 60, H = 40;
    const rng = new Rng(5);
    const src: Plane = { width: W, height: H, data: Float32Array.from({ length: W * H }, () => rng.next() * 255) };
    // Turned 90 degrees clockwise: (x, y) -> (H - 1 - y, x); pixels permuted, no interpolation.
    const rot: Plane = { width: H, height: W, data: new Float32Array(W * H) };
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rot.data[x * H + (H - 1 - y)] = src.data[y * W + x];
    const a = new Float32Array(AREA);
    const b = new Float32Array(AREA);
    const angle = 0.7;
    cutPatch(src, 30, 20, angle, DEFAULT_PATCH, a, 0);
    cutPatch(rot, H - 1 - 20, 30, angle + Math.PI / 2, DEFAULT_PATCH, b, 0);
    let worst = 0;
    for (let i = 0; i < AREA; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-3);
    // Without the orientation the patches differ: the check above is not vacuous.
    cutPatch(rot, H - 1 - 20, 30, angle, DEFAULT_PATCH, b, 0);
    expect(correlation(a, b)).toBeLessThan(0.5);
  });

  it('ORB keypoints of a rotated, rescaled copy yield matching patches at corresponding keypoints', () => {
    const img = syntheticImage(3, 480, 360);
    const T = similarity(0.5, 0.9, 160, -40);
    const copy = warpPerspective(img, T, 480, 400);
    const pa = orbPyramid(img);
    const pb = orbPyramid(copy);
    const fa = orbFromPyramid(pa, { nFeatures: 300 });
    const fb = orbFromPyramid(pb, { nFeatures: 300 });
    const A = cutPatches(pa, fa);
    const B = cutPatches(pb, fb);
    const corr: number[] = [];
    const corrNoAngle: number[] = [];
    const upright = { ...fb, angle: new Float32Array(fb.count) };
    const uprightA = { ...fa, angle: new Float32Array(fa.count) };
    const B0 = cutPatches(pb, upright);
    const A0 = cutPatches(pa, uprightA);
    for (let i = 0; i < fa.count; i++) {
      const [u, v] = applyTransform(T, fa.x[i], fa.y[i]);
      // The same corner, found on the level of the same scale, within a pixel.
      let j = -1;
      for (let k = 0; k < fb.count; k++) {
        if (Math.hypot(fb.x[k] - u, fb.y[k] - v) < 1.5 * fb.scale[k] && Math.abs(Math.log((fb.scale[k] / fa.scale[i]) / 0.9)) < 0.2) j = k;
      }
      if (j < 0) continue;
      corr.push(correlation(A.subarray(i * AREA, (i + 1) * AREA), B.subarray(j * AREA, (j + 1) * AREA)));
      corrNoAngle.push(correlation(A0.subarray(i * AREA, (i + 1) * AREA), B0.subarray(j * AREA, (j + 1) * AREA)));
    }
    const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
    expect(corr.length).toBeGreaterThan(30);
    expect(med(corr)).toBeGreaterThan(0.85);
    expect(med(corrNoAngle)).toBeLessThan(med(corr) - 0.2);
  });
});

describe('float matcher', () => {
  /** n random unit vectors of dimension dim. */
  function units(n: number, dim: number, seed: number): Float32Array {
    const rng = new Rng(seed);
    const out = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += (out[i * dim + k] = rng.gaussian()) ** 2;
      for (let k = 0; k < dim; k++) out[i * dim + k] /= Math.sqrt(s);
    }
    return out;
  }
  const dim = 16;
  const train = units(200, dim, 1);

  it('finds each descriptor\'s noisy copy under a permutation, and the exact nearest neighbour', () => {
    const perm = Array.from({ length: 200 }, (_, i) => (i * 37) % 200);
    const noise = units(200, dim, 2);
    const query = new Float32Array(train.length);
    for (let i = 0; i < 200; i++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += (query[i * dim + k] = train[perm[i] * dim + k] + 0.1 * noise[i * dim + k]) ** 2;
      for (let k = 0; k < dim; k++) query[i * dim + k] /= Math.sqrt(s);
    }
    const m = matchFloat(query, train, dim);
    expect(m.count).toBeGreaterThan(190);
    for (let k = 0; k < m.count; k++) expect(m.trainIdx[k]).toBe(perm[m.queryIdx[k]]);
    // Against a naive nearest-neighbour search, with ratio and mutual filters off.
    const loose = matchFloat(query, train, dim, { ratio: 1, crossCheck: false });
    expect(loose.count).toBe(200);
    for (let k = 0; k < 200; k++) {
      let best = -1, bd = Infinity;
      for (let j = 0; j < 200; j++) {
        let d = 0;
        for (let t = 0; t < dim; t++) d += (query[k * dim + t] - train[j * dim + t]) ** 2;
        if (d < bd) (bd = d), (best = j);
      }
      expect(loose.trainIdx[k]).toBe(best);
      expect(loose.distance[k]).toBeCloseTo(Math.sqrt(bd), 4);
    }
  });

  it('ratio test and mutual check only remove matches; unrelated sets keep few', () => {
    const other = units(200, dim, 3);
    const loose = matchFloat(other, train, dim, { ratio: 1, crossCheck: false });
    const strict = matchFloat(other, train, dim);
    expect(strict.count).toBeLessThan(loose.count / 4);
    for (let k = 0; k < strict.count; k++) expect(loose.trainIdx[strict.queryIdx[k]]).toBe(strict.trainIdx[k]);
    expect(() => matchFloat(other, train, 6)).toThrow(RangeError);
    expect(matchFloat(new Float32Array(0), train, dim).count).toBe(0);
  });
});

const CONFIG = 'models/patch-desc.json';
const hasModel = existsSync(CONFIG);
if (!hasModel) console.log(`patch-desc.test: skipping model checks, ${CONFIG} is absent`);

describe.skipIf(!hasModel)('learned descriptor through the shipped ONNX model', () => {
  const cfg: PatchDescConfig = hasModel ? parsePatchDescConfig(JSON.parse(readFileSync(CONFIG, 'utf8'))) : ({} as PatchDescConfig);
  const runner = hasModel ? createNodeOnnxRunner(`models/${cfg.file}`) : null;

  it('recovers a perspective warp of a synthetic image: corners within 3 px, most matches inliers', async () => {
    const img = syntheticImage(3, 640, 480);
    const H = similarity(0.35, 0.85, 150, 10);
    H[6] = 1.5e-4;
    H[7] = -8e-5;
    const opts = { nFeatures: 300 };
    const a = await extractLearned(img, cfg, runner!, opts);
    const b = await extractLearned(warpPerspective(img, H, 640, 480), cfg, runner!, opts);
    expect(a.descriptors.length).toBe(a.count * cfg.output.dim);
    // Unit length, as the matcher assumes.
    let n2 = 0;
    for (let k = 0; k < cfg.output.dim; k++) n2 += a.descriptors[k] ** 2;
    expect(n2).toBeCloseTo(1, 4);
    const r = verifyLearnedPair(a, b, cfg.output.dim);
    expect(r.verified).toBe(true);
    expect(r.inliers).toBeGreaterThan(60);
    expect(r.inlierRatio).toBeGreaterThan(0.6);
    expect(cornerError(r.transform!, H, 640, 480)).toBeLessThan(3);
    // Unrelated images get few inliers and no verdict.
    const u = await extractLearned(syntheticImage(4, 640, 480), cfg, runner!, opts);
    const ru = verifyLearnedPair(a, u, cfg.output.dim);
    expect(ru.verified).toBe(false);
    expect(ru.inliers).toBeLessThan(10);
    // Deterministic: the same image gives identical descriptors.
    const again = await extractLearned(img, cfg, runner!, opts);
    expect(Buffer.from(again.descriptors.buffer).equals(Buffer.from(a.descriptors.buffer))).toBe(true);
  });

  it('the config parser names every problem', () => {
    expect(() => parsePatchDescConfig({ ...cfg, output: { name: 'x', dim: 6 }, extra: 1 })).toThrow(/dim must be a multiple of 4.*|extra/);
    try {
      parsePatchDescConfig({ ...cfg, input: { name: '', size: 32, step: 0 }, extra: 1 });
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('$.input.name');
      expect(msg).toContain('$.input.step');
      expect(msg).toContain('$.extra');
    }
  });
});
