// IVF-PQ model files: round trip, rejection of damaged bytes, the shipped copy-desc model; and the
// exhaustive scan of a small index (exhaustiveBelow).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { IVFPQIndex } from '../../src/core/index/ivf-pq-index.ts';
import { ivfpqFromBytes, ivfpqToBytes } from '../../src/core/index/ivf-pq-io.ts';
import { Rng } from '../../src/core/quant/rng.ts';
import { packFromBytes, type DescriptorPack } from '../../src/core/signals/descriptor.ts';

const DIM = 32;

/** n unit vectors around 40 fixed random centres. */
function clustered(n: number, seed: number): Float32Array {
  const crng = new Rng(5);
  const gauss = (r: Rng) => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  const centres = Float32Array.from({ length: 40 * DIM }, () => gauss(crng));
  const rng = new Rng(seed);
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const c = rng.int(40);
    let norm = 0;
    for (let k = 0; k < DIM; k++) norm += (out[i * DIM + k] = centres[c * DIM + k] + 0.7 * gauss(rng)) ** 2;
    for (let k = 0; k < DIM; k++) out[i * DIM + k] /= Math.sqrt(norm);
  }
  return out;
}

const N = 3000;
const data = clustered(N, 1);
const queries = clustered(30, 2);
const records = Array.from({ length: N }, (_, i) => ({ id: `v${i}`, values: data.subarray(i * DIM, (i + 1) * DIM) }));
const scale = Float32Array.from({ length: DIM }, (_, k) => 1 / (1 + k));
const trained = IVFPQIndex.train(data.subarray(0, 2000 * DIM), 2000, DIM, { nlist: 16, m: 8, iters: 8, seed: 2, cellScale: scale }, { nprobe: 2, exhaustiveBelow: 0 });
const bytes = ivfpqToBytes(trained);

async function results(ix: IVFPQIndex) {
  const out = [];
  for (let q = 0; q < 30; q++) out.push((await ix.query(queries.subarray(q * DIM, (q + 1) * DIM), { topK: 10 })).matches);
  return out;
}

describe('IVF-PQ model file', () => {
  it('round-trips: the loaded index, filled with the same vectors, answers exactly as the trained one', async () => {
    // The bytes sit at an odd offset inside a larger buffer, as a pooled readFileSync result does.
    const pooled = new Uint8Array(bytes.length + 11);
    pooled.set(bytes, 7);
    const loaded = ivfpqFromBytes(pooled.subarray(7, 7 + bytes.length), { nprobe: 2, exhaustiveBelow: 0 });
    expect(loaded.dim).toBe(DIM);
    expect(loaded.nlist).toBe(16);
    expect(loaded.pq.m).toBe(8);
    expect(loaded.coarse).toEqual(trained.coarse);
    expect(loaded.pq.centroids).toEqual(trained.pq.centroids);
    expect(loaded.cellScale).toEqual(scale);
    expect(loaded.size).toBe(0);
    expect(ivfpqToBytes(loaded)).toEqual(bytes);
    await trained.upsert(records);
    await loaded.upsert(records);
    for (const refine of [10, 0]) {
      trained.refine = loaded.refine = refine;
      const a = await results(trained), b = await results(loaded);
      expect(b).toEqual(a);
      expect(a.every((m) => m.length === 10)).toBe(true);
    }
  });

  it('keeps "no cell scale" as none', () => {
    const plain = IVFPQIndex.train(data.subarray(0, 500 * DIM), 500, DIM, { nlist: 4, m: 4, iters: 3 });
    const b = ivfpqToBytes(plain);
    expect(b.length).toBe(14 + 4 * 4 * DIM + 4 + plain.pq.toBytes().length);
    expect(ivfpqFromBytes(b).cellScale).toBeNull();
  });

  it('rejects truncated, padded, foreign and bad-version bytes with a clear error', () => {
    expect(() => ivfpqFromBytes(bytes.subarray(0, bytes.length - 1))).toThrow(/invalid IVF-PQ model .*truncated/);
    expect(() => ivfpqFromBytes(bytes.subarray(0, 3))).toThrow(/invalid IVF-PQ model .*truncated/);
    expect(() => ivfpqFromBytes(new Uint8Array(0))).toThrow(/invalid IVF-PQ model/);
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    expect(() => ivfpqFromBytes(padded)).toThrow(/invalid IVF-PQ model .*trailing/);
    const foreign = bytes.slice();
    foreign.set([0x43, 0x50, 0x51, 0x5f]); // "CPQ_": a bare PQ blob's magic
    expect(() => ivfpqFromBytes(foreign)).toThrow(/invalid IVF-PQ model .*magic "CPQ_"/);
    const future = bytes.slice();
    future[4] = 2;
    expect(() => ivfpqFromBytes(future)).toThrow(/invalid IVF-PQ model .*version 2/);
  });
});

describe('IVF-PQ exhaustiveBelow', () => {
  const q = queries.subarray(0, DIM);
  /** A 16-cell index with 1 probed cell and ADC scores (no re-ranking), so the scanned cells show in the results. */
  async function small(exhaustiveBelow?: number, n = N) {
    const ix = ivfpqFromBytes(bytes, { nprobe: 1, refine: 0, ...(exhaustiveBelow === undefined ? {} : { exhaustiveBelow }) });
    await ix.upsert(records.slice(0, n));
    return ix;
  }
  const idsOf = async (ix: IVFPQIndex, topK = 50) => (await ix.query(q, { topK })).matches.map((m) => m.id);

  it('defaults to 20,000: a small index scans every cell, as a plain PQ scan would', async () => {
    const byDefault = await small();
    expect(byDefault.exhaustiveBelow).toBe(20_000);
    const all = await small(Infinity);
    const probed = await small(0);
    probed.nprobe = 16;
    // Every cell probed = every code scanned: the same top 50 with the same ADC scores.
    expect(await idsOf(byDefault)).toEqual(await idsOf(probed));
    expect(await idsOf(all)).toEqual(await idsOf(probed));
    probed.nprobe = 1;
    const one = await idsOf(probed, N);
    // With one cell probed the query reaches only that cell's vectors; exhaustively it reaches all.
    expect(one.length).toBeLessThan(N / 4);
    expect((await idsOf(byDefault, N)).length).toBe(N);
  });

  it('switches to the probed cells once the index holds exhaustiveBelow vectors, and back after deletes', async () => {
    const ix = await small(N);
    expect(ix.size).toBe(N);
    const probedOnly = (await idsOf(ix, N)).length;
    expect(probedOnly).toBeLessThan(N / 4);
    await ix.deleteByIds(['v0']);
    expect((await idsOf(ix, N)).length).toBe(N - 1);
    await ix.upsert([records[0]]);
    expect((await idsOf(ix, N)).length).toBe(probedOnly);
  });
});

describe('shipped models/copy-desc.ivf.bin', () => {
  let ix: IVFPQIndex;
  let pack: DescriptorPack;
  beforeAll(() => {
    ix = ivfpqFromBytes(readFileSync('models/copy-desc.ivf.bin'));
    const config = JSON.parse(readFileSync('models/copy-desc.json', 'utf8')) as { pack: string };
    pack = packFromBytes(readFileSync(`models/${config.pack}`));
  });

  it('is IVF1024,PQ32x8 over the served 256-d descriptor', async () => {
    expect(ix.dim).toBe(256);
    expect(ix.nlist).toBe(1024);
    expect(ix.pq.m).toBe(32);
    expect(ix.pq.nbits).toBe(8);
    expect(ix.dim).toBe(pack.pca.outDim);
    expect(ix.dim).toBe(pack.pq.dim);
    expect((await ix.describe()).description).toBe('IVF1024,PQ32x8,RefineFlat');
  });

  it('was trained for the shipped pack: its cells are cut with sqrt of the pack PCA eigenvalues', () => {
    expect(ix.cellScale).not.toBeNull();
    const want = pack.pca.eigenvalues.map((e) => Math.sqrt(Math.max(e, 0)));
    for (let t = 0; t < ix.dim; t++) expect(ix.cellScale![t]).toBeCloseTo(want[t], 6);
  });

  it('holds distinct, finite centroids near the unit sphere the descriptor lives on', () => {
    const norms = Array.from({ length: ix.nlist }, (_, c) => Math.hypot(...ix.coarse.subarray(c * ix.dim, (c + 1) * ix.dim)));
    expect(norms.every((n) => n > 0.1 && n <= 1.0001)).toBe(true);
    const rows = new Set(Array.from({ length: ix.nlist }, (_, c) => ix.coarse.subarray(c * ix.dim, (c + 1) * ix.dim).join(',')));
    expect(rows.size).toBe(ix.nlist);
  });
});
