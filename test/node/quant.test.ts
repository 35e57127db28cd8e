import { beforeAll, describe, expect, it } from 'vitest';
import {
  PCAModel,
  ProductQuantizer,
  Rng,
  kmeans,
  nearestCentroid,
  pcaApply,
  symmetricEigen,
  trainPCA,
  trainPQ,
} from '../../src/core/quant/index.ts';

// ---------- helpers ----------

/** Rows of a random orthonormal dim x dim basis (Gram-Schmidt on gaussian vectors). */
function randomBasis(dim: number, rng: Rng): Float64Array {
  const q = rng.fillGaussian(new Float64Array(dim * dim));
  for (let i = 0; i < dim; i++) {
    for (let p = 0; p < i; p++) {
      let d = 0;
      for (let j = 0; j < dim; j++) d += q[i * dim + j] * q[p * dim + j];
      for (let j = 0; j < dim; j++) q[i * dim + j] -= d * q[p * dim + j];
    }
    let nrm = 0;
    for (let j = 0; j < dim; j++) nrm += q[i * dim + j] ** 2;
    for (let j = 0; j < dim; j++) q[i * dim + j] /= Math.sqrt(nrm);
  }
  return q;
}

/** x = mean + sum_k std[k] * z_k * axis_k, z ~ N(0, 1): principal axes and variances are known. */
function anisotropic(n: number, dim: number, std: number[], axes: Float64Array, mean: number[], rng: Rng) {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) out[i * dim + j] = mean[j];
    for (let k = 0; k < dim; k++) {
      const z = std[k] * rng.gaussian();
      for (let j = 0; j < dim; j++) out[i * dim + j] += z * axes[k * dim + j];
    }
  }
  return out;
}

/** Points around nc gaussian centers: clustered, but ranking inside a cluster still matters. */
function clustered(n: number, dim: number, centers: Float32Array, nc: number, sigma: number, rng: Rng) {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = rng.int(nc);
    for (let j = 0; j < dim; j++) out[i * dim + j] = centers[c * dim + j] + sigma * rng.gaussian();
  }
  return out;
}

function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += a[ao + j] * b[bo + j];
  return s;
}

function sqDist(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += (a[ao + j] - b[bo + j]) ** 2;
  return s;
}

/** Per-column variance of n rows (population). */
function columnVariance(x: Float32Array, n: number, dim: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < dim; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * dim + j] / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * dim + j] - m) ** 2 / n;
    out.push(v);
  }
  return out;
}

const bits = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const argsortAsc = (d: ArrayLike<number>) => Array.from({ length: d.length }, (_, i) => i).sort((a, b) => d[a] - d[b] || a - b);

// ---------- rng ----------

describe('Rng', () => {
  it('is reproducible per seed and gaussian() is standard normal', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(sa);

    const g = new Rng(7).fillGaussian(new Float64Array(200_000));
    let m = 0;
    for (const v of g) m += v / g.length;
    let v2 = 0;
    for (const v of g) v2 += (v - m) ** 2 / g.length;
    expect(Math.abs(m)).toBeLessThan(0.01);
    expect(Math.abs(v2 - 1)).toBeLessThan(0.01);
    const u = new Rng(9);
    for (let i = 0; i < 1000; i++) {
      const x = u.next();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

// ---------- eigen + PCA ----------

describe('symmetricEigen', () => {
  it('solves a 2x2 exactly and a random 40x40 to rounding error', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(Array.from(values)).toEqual([expect.closeTo(3, 12), expect.closeTo(1, 12)]);
    const h = Math.SQRT1_2;
    // Sign convention: the largest-magnitude entry (first on ties) is positive.
    expect(Array.from(vectors)).toEqual([h, h, h, -h].map((x) => expect.closeTo(x, 12)));

    const n = 40;
    const rng = new Rng(5);
    const b = rng.fillGaussian(new Float64Array(n * n));
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = b[i * n + j] + b[j * n + i];
    const e = symmetricEigen(a, n);
    for (let r = 0; r < n; r++) {
      if (r > 0) expect(e.values[r]).toBeLessThanOrEqual(e.values[r - 1]);
      for (let i = 0; i < n; i++) {
        expect(Math.abs(dot(a, i * n, e.vectors, r * n, n) - e.values[r] * e.vectors[r * n + i])).toBeLessThan(1e-10);
      }
      expect(dot(e.vectors, r * n, e.vectors, ((r + 1) % n) * n, n)).toBeCloseTo(0, 10);
    }
  });
});

describe('PCA', () => {
  const dim = 16;
  const std = [8, 5, 3, 2, ...Array.from({ length: dim - 4 }, (_, i) => 0.6 - 0.04 * i)];
  const rng = new Rng(11);
  const axes = randomBasis(dim, rng);
  const mu = Array.from({ length: dim }, (_, j) => 10 + j);
  const n = 20_000;
  const data = anisotropic(n, dim, std, axes, mu, rng);
  const heldOut = anisotropic(4000, dim, std, axes, mu, rng);

  it('recovers the known principal axes, variances and mean', () => {
    const model = trainPCA(data, n, dim, { outDim: 4 });
    expect(model.describe()).toBe('PCA4');
    for (let j = 0; j < dim; j++) expect(model.mean[j]).toBeCloseTo(mu[j], 1);
    for (let k = 0; k < 4; k++) {
      // |cos| between the learned and true axis; measured >= 0.9999 for the top 4.
      expect(Math.abs(dot(model.components, k * dim, axes, k * dim, dim))).toBeGreaterThan(0.999);
      expect(model.eigenvalues[k] / std[k] ** 2).toBeGreaterThan(0.95);
      expect(model.eigenvalues[k] / std[k] ** 2).toBeLessThan(1.05);
      for (let l = 0; l < 4; l++) {
        expect(dot(model.components, k * dim, model.components, l * dim, dim)).toBeCloseTo(k === l ? 1 : 0, 5);
      }
    }
    // Without whitening, projected variance along each axis is that axis's eigenvalue.
    const proj = model.applyBatch(data, n);
    columnVariance(proj, n, 4).forEach((v, k) => expect(v / model.eigenvalues[k]).toBeCloseTo(1, 3));
  });

  it('whitening gives unit variance and decorrelated outputs, also on held-out data', () => {
    const model = trainPCA(data, n, dim, { outDim: 6, whiten: true });
    expect(model.describe()).toBe('PCAW6');
    const m = 4000;
    const proj = model.applyBatch(heldOut, m);
    const v = columnVariance(proj, m, 6);
    for (const x of v) expect(Math.abs(x - 1)).toBeLessThan(0.06);
    for (let a = 0; a < 6; a++) {
      for (let b = a + 1; b < 6; b++) {
        let c = 0;
        for (let i = 0; i < m; i++) c += (proj[i * 6 + a] * proj[i * 6 + b]) / m;
        expect(Math.abs(c)).toBeLessThan(0.06);
      }
    }
    // On the training data itself the variance is exactly 1 up to float rounding and eps.
    columnVariance(model.applyBatch(data, n), n, 6).forEach((x) => expect(x).toBeCloseTo(1, 3));

    const one = heldOut.subarray(0, dim);
    const y = pcaApply(model, one, { normalize: true });
    expect(Math.hypot(...y)).toBeCloseTo(1, 6);
    const raw = pcaApply(model, one);
    expect(y[0]).toBeCloseTo(raw[0] / Math.hypot(...raw), 6);
  });

  it('handles dim 512 in reasonable time', () => {
    const d = 512;
    const r = new Rng(3);
    const m = 2500;
    const x = r.fillGaussian(new Float32Array(m * d));
    for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) x[i * d + j] *= 1 + 8 / (1 + j);
    const t0 = performance.now();
    const model = trainPCA(x, m, d, { outDim: 64, whiten: true });
    const ms = performance.now() - t0;
    console.log(`trainPCA 2500 x 512 -> PCAW64: ${ms.toFixed(0)} ms`);
    // Measured ~1 s; the bound only catches an accidental O(dim^4) or per-element allocation.
    expect(ms).toBeLessThan(15_000);
    // Variance is concentrated on the first coordinates by construction, so axis 0 is e_0.
    expect(Math.abs(model.components[0])).toBeGreaterThan(0.99);
    for (let k = 1; k < 64; k++) expect(model.eigenvalues[k]).toBeLessThanOrEqual(model.eigenvalues[k - 1]);
    expect(dot(model.components, 0, model.components, 0, d)).toBeCloseTo(1, 5);
    expect(dot(model.components, 0, model.components, 63 * d, d)).toBeCloseTo(0, 5);
  });

  it('serializes bit-exactly and rejects foreign or truncated blobs', () => {
    const model = trainPCA(data, 5000, dim, { outDim: 5, whiten: true, eps: 1e-3 });
    const bytes = model.toBytes();
    const back = PCAModel.fromBytes(bytes);
    expect([back.dim, back.outDim, back.whiten, back.eps]).toEqual([dim, 5, true, 1e-3]);
    expect(bits(back.mean)).toEqual(bits(model.mean));
    expect(bits(back.components)).toEqual(bits(model.components));
    expect(bits(back.eigenvalues)).toEqual(bits(model.eigenvalues));
    expect(back.toBytes()).toEqual(bytes);
    expect(bits(back.apply(heldOut))).toEqual(bits(model.apply(heldOut)));
    expect(() => PCAModel.fromBytes(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => PCAModel.fromBytes(new Uint8Array([...bytes, 0]))).toThrow(/trailing/);
    const pq = new ProductQuantizer(4, 2, 1, new Float32Array(8));
    expect(() => PCAModel.fromBytes(pq.toBytes())).toThrow(/magic/);
  });

  it('rejects bad shapes', () => {
    expect(() => trainPCA(data, n, dim, { outDim: dim + 1 })).toThrow(RangeError);
    expect(() => trainPCA(data, 1, dim, { outDim: 2 })).toThrow(RangeError);
    expect(() => trainPCA(data.subarray(0, 10), 100, dim, { outDim: 2 })).toThrow(RangeError);
  });
});

// ---------- k-means ----------

describe('kmeans', () => {
  const dim = 8;
  const k = 6;
  const rng = new Rng(21);
  const centers = rng.fillGaussian(new Float32Array(k * dim), 0, 10);
  const per = 300;
  const data = new Float32Array(k * per * dim);
  for (let i = 0; i < k * per; i++) {
    for (let j = 0; j < dim; j++) data[i * dim + j] = centers[(i % k) * dim + j] + rng.gaussian();
  }
  const n = k * per;

  it('finds well-separated clusters one-to-one for several seeds', () => {
    for (const seed of [1, 2, 3]) {
      const cents = kmeans(data, n, dim, k, { seed });
      const matched = new Set<number>();
      for (let t = 0; t < k; t++) {
        const c = nearestCentroid(centers, t * dim, cents, 0, k, dim);
        // Mean of 300 unit-variance points: ~0.16 off in 8-d; clusters are ~40 apart.
        expect(Math.sqrt(sqDist(centers, t * dim, cents, c * dim, dim))).toBeLessThan(0.5);
        matched.add(c);
      }
      expect(matched.size).toBe(k);
    }
  });

  it('is deterministic given the seed', () => {
    const r = new Rng(4);
    const x = r.fillGaussian(new Float32Array(2000 * 4));
    const a = kmeans(x, 2000, 4, 16, { seed: 9, iters: 10 });
    const b = kmeans(x, 2000, 4, 16, { seed: 9, iters: 10 });
    const c = kmeans(x, 2000, 4, 16, { seed: 10, iters: 10 });
    expect(bits(a)).toEqual(bits(b));
    expect(bits(a)).not.toEqual(bits(c));
  });

  it('re-seeds empty clusters instead of producing NaN or duplicates of nothing', () => {
    // 30 points, only 3 distinct values: with k = 5 some seeds coincide and clusters go empty.
    const vals = [
      [0, 0],
      [10, 0],
      [0, 10],
    ];
    const x = new Float32Array(30 * 2);
    for (let i = 0; i < 30; i++) x.set(vals[i % 3], i * 2);
    const cents = kmeans(x, 30, 2, 5, { seed: 1 });
    const seen = new Set<string>();
    for (let c = 0; c < 5; c++) {
      const p = [cents[c * 2], cents[c * 2 + 1]];
      expect(p.every(Number.isFinite)).toBe(true);
      expect(vals.some((v) => v[0] === p[0] && v[1] === p[1])).toBe(true);
      seen.add(p.join());
    }
    expect(seen.size).toBe(3);
    expect(() => kmeans(x, 3, 2, 5)).toThrow(/n >= k/);
  });
});

// ---------- product quantization ----------

describe('ProductQuantizer', () => {
  const dim = 64;
  const n = 5000;
  const nq = 200;
  const rng = new Rng(7);
  const centers = rng.fillGaussian(new Float32Array(10 * dim));
  const base = clustered(n, dim, centers, 10, 1, rng);
  const queries = clustered(nq, dim, centers, 10, 1, rng);
  const variance = columnVariance(base, n, dim).reduce((a, b) => a + b, 0);
  const pqs = new Map<number, ProductQuantizer>();

  beforeAll(() => {
    for (const m of [4, 8, 16, 32]) {
      const t0 = performance.now();
      pqs.set(m, trainPQ(base, n, dim, { m, nbits: 8, iters: 10, seed: 1 }));
      console.log(`trainPQ 5000 x 64 PQ${m}x8 (10 iters): ${(performance.now() - t0).toFixed(0)} ms`);
    }
  });

  /** Mean squared reconstruction error per vector on held-out queries. */
  function heldOutMse(pq: ProductQuantizer): number {
    const rec = pq.decodeBatch(pq.encodeBatch(queries, nq), nq);
    let s = 0;
    for (let i = 0; i < nq * dim; i++) s += (rec[i] - queries[i]) ** 2;
    return s / nq;
  }

  it('reconstruction error falls as m grows and is far below the data variance', () => {
    const mse = [4, 8, 16, 32].map((m) => heldOutMse(pqs.get(m)!));
    console.log(`total variance ${variance.toFixed(1)}; held-out MSE for m = 4, 8, 16, 32: ${mse.map((x) => x.toFixed(2)).join(', ')}`);
    for (let i = 1; i < mse.length; i++) expect(mse[i]).toBeLessThan(mse[i - 1] * 0.8);
    expect(mse[0]).toBeLessThan(0.45 * variance);
    expect(mse[2]).toBeLessThan(0.15 * variance);
    expect(mse[3]).toBeLessThan(0.03 * variance);
  });

  it('encodes, decodes and computes ADC tables consistently', () => {
    const pq = pqs.get(16)!;
    expect(pq.describe()).toBe('PQ16x8');
    expect([pq.codeSize, pq.dsub, pq.ksub]).toEqual([16, 4, 256]);
    const codes = pq.encodeBatch(base, 50);
    expect(codes.length).toBe(50 * 16);
    expect(pq.encode(base.subarray(7 * dim, 8 * dim))).toEqual(codes.subarray(7 * 16, 8 * 16));
    const q = queries.subarray(0, dim);
    const l2 = pq.distanceTable(q);
    const ip = pq.distanceTable(q, 'ip');
    const scanned = pq.scan(l2, codes);
    for (let i = 0; i < 50; i++) {
      const rec = pq.decode(codes, i);
      const exact = sqDist(q, 0, rec, 0, dim);
      expect(pq.adc(l2, codes, i)).toBeCloseTo(exact, 2);
      expect(scanned[i]).toBeCloseTo(exact, 2);
      expect(pq.adc(ip, codes, i)).toBeCloseTo(dot(q, 0, rec, 0, dim), 2);
    }
    expect(pq.scan(ip, codes, 3)).toHaveLength(3);
    expect(() => pq.scan(l2, codes, 51)).toThrow(RangeError);
  });

  it('ADC top-100 contains nearly all of the exact top-10', () => {
    const truths = Array.from({ length: nq }, (_, qi) => {
      const exact = new Float64Array(n);
      for (let i = 0; i < n; i++) exact[i] = sqDist(queries, qi * dim, base, i * dim, dim);
      return argsortAsc(exact).slice(0, 10);
    });
    const recall = (pq: ProductQuantizer, codes: Uint8Array) => {
      let hits = 0;
      for (let qi = 0; qi < nq; qi++) {
        const truth = truths[qi];
        const short = new Set(argsortAsc(pq.scan(pq.distanceTable(queries.subarray(qi * dim, (qi + 1) * dim)), codes)).slice(0, 100));
        for (const t of truth) if (short.has(t)) hits++;
      }
      return hits / (nq * 10);
    };
    const pq16 = pqs.get(16)!;
    const codes16 = pq16.encodeBatch(base, n);
    const r16 = recall(pq16, codes16);
    const r8 = recall(pqs.get(8)!, pqs.get(8)!.encodeBatch(base, n));
    // Control: codes shuffled across vectors keep only cluster-level chance (~100/500 of a cluster).
    const shuffled = new Uint8Array(codes16.length);
    for (let i = 0; i < n; i++) shuffled.set(codes16.subarray(((i * 7919) % n) * 16, (((i * 7919) % n) + 1) * 16), i * 16);
    const rShuffled = recall(pq16, shuffled);
    console.log(`recall@100 of exact top-10: PQ16x8 ${r16.toFixed(3)}, PQ8x8 ${r8.toFixed(3)}, shuffled codes ${rShuffled.toFixed(3)}`);
    expect(r16).toBeGreaterThanOrEqual(0.97);
    expect(r8).toBeGreaterThanOrEqual(0.8);
    expect(r8).toBeLessThan(r16);
    expect(rShuffled).toBeLessThan(0.1);
  });

  it('serializes bit-exactly; training is deterministic given the seed', () => {
    const pq = pqs.get(8)!;
    const bytes = pq.toBytes();
    const back = ProductQuantizer.fromBytes(bytes);
    expect([back.dim, back.m, back.nbits]).toEqual([64, 8, 8]);
    expect(bits(back.centroids)).toEqual(bits(pq.centroids));
    expect(back.toBytes()).toEqual(bytes);
    expect(back.encodeBatch(queries, nq)).toEqual(pq.encodeBatch(queries, nq));
    expect(() => ProductQuantizer.fromBytes(bytes.subarray(0, 100))).toThrow(/truncated/);
    expect(() => ProductQuantizer.fromBytes(trainPCA(base, 100, dim, { outDim: 2 }).toBytes())).toThrow(/magic/);

    // Small nbits: codes stay below ksub and the same seed reproduces the same codebooks.
    const small = base.subarray(0, 1000 * dim);
    const a = trainPQ(small, 1000, dim, { m: 8, nbits: 4, iters: 5, seed: 3 });
    const b = trainPQ(small, 1000, dim, { m: 8, nbits: 4, iters: 5, seed: 3 });
    expect(a.describe()).toBe('PQ8x4');
    expect(b.toBytes()).toEqual(a.toBytes());
    expect(Math.max(...a.encodeBatch(queries, nq))).toBeLessThan(16);
  });

  it('rejects bad shapes', () => {
    expect(() => trainPQ(base, n, dim, { m: 5 })).toThrow(/divisor/);
    expect(() => trainPQ(base, n, dim, { m: 8, nbits: 9 })).toThrow(/nbits/);
    expect(() => trainPQ(base, 100, dim, { m: 8 })).toThrow(/n >= k/);
  });
});
