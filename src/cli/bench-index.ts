/**
 * `copycat bench-index` / `npm run bench:index -- --n 1000000 --dim 256`: the IVF-PQ shard at
 * scale, against FAISS on the same vectors. Vectors follow real descriptor statistics: the served
 * `embed` vectors (whitened copy-desc) of ../shared/train photos are the centres of a mixture whose
 * spread matches how far real photos sit from their nearest neighbour; the s1 references are added
 * among them, so the true-copy hit rate at n vectors can be compared with the one at 562. Full
 * vectors stand in for cold storage (SQLite in the Durable Object) and are only read to re-rank.
 * FAISS (models/train/faiss_baseline.py, python3-faiss) gives exact ground truth, the brute-force
 * time (IndexFlatIP), and its own IVF-PQ + RefineFlat timing with the same parameters, one thread,
 * one query at a time. Both sides build once and sweep nprobe (and refine) over that build, so the
 * recall/time curve, FAISS's time at equal recall and the nprobe that reaches recall@10 >= 0.95 are
 * measured. With `--cell-scale eigen` FAISS is also run with its cells cut in the same scaled space.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodeImage } from '../core/image/decode.ts';
import { IVFPQIndex } from '../core/index/ivf-pq-index.ts';
import { parseCsv } from '../core/eval/metrics.ts';
import { Rng } from '../core/quant/rng.ts';
import { packFromBytes } from '../core/signals/descriptor.ts';
import type { Signal } from '../core/signals/signal.ts';
import { initNodeCodecs } from '../functions/node/codecs.ts';
import { loadNodeModelSignal } from '../functions/node/onnx.ts';
import { ROOT } from './devserver.ts';
import { idOf, listImages, shuffledTrainingImages } from './files.ts';
import { median } from './predict.ts';
import { Progress } from './progress.ts';
import { DEFAULT_MODEL } from './runtime.ts';

export interface IndexBenchOptions {
  n: number;
  queries: number;
  nlist: number;
  m: number;
  /** Cells scanned per query: one value, or a list swept over one build (the first is the primary row). */
  nprobe: number | number[];
  /** Candidates re-ranked per result wanted: one value or a list (swept with every nprobe). */
  refine: number | number[];
  trainN: number;
  trainImages: number;
  out: string;
  /** Must equal the descriptor's dimension when given (the vectors are the served ones). */
  dim?: number;
  /** 'eigen': cut cells in the un-whitened space (sqrt of the pack's PCA eigenvalues); 'none': as served. */
  cellScale: 'eigen' | 'none';
}

/** sqrt(eigenvalue) per output dimension of the served descriptor's PCA-whitening (`--cell-scale eigen`). */
export function unwhitenScale(model = DEFAULT_MODEL): Float32Array {
  const config = JSON.parse(readFileSync(model, 'utf8')) as { pack: string };
  const pack = packFromBytes(new Uint8Array(readFileSync(join(dirname(model), config.pack))));
  return pack.pca.eigenvalues.map((e) => Math.sqrt(Math.max(e, 0)));
}

async function embedFiles(signal: Signal, files: string[], label: string): Promise<Float32Array> {
  const dim = signal.index.dimensions;
  const out = new Float32Array(files.length * dim);
  const bar = new Progress(label, files.length);
  for (let i = 0; i < files.length; i++) {
    const img = await decodeImage(new Uint8Array(readFileSync(files[i])));
    out.set(signal.toVector(await signal.extract(img)), i * dim);
    bar.tick();
  }
  bar.end();
  return out;
}

/** A file's bytes as float32 / int32 values (copied: small reads share Node's buffer pool). */
function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function readI32(path: string): Int32Array {
  const b = readFileSync(path);
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Embeddings, cached under the output folder (they take minutes and never change for a model). */
async function cachedEmbeddings(signal: Signal, files: string[], path: string, label: string): Promise<Float32Array> {
  if (existsSync(path)) return readF32(path);
  const v = await embedFiles(signal, files, label);
  writeFileSync(path, v);
  return v;
}

/** The median cosine between a real vector and its nearest other: the spread the mixture copies. */
function nearestNeighbourCosine(r: Float32Array, k: number, dim: number): number {
  const best: number[] = [];
  for (let i = 0; i < k; i++) {
    let b = -1;
    for (let j = 0; j < k; j++) {
      if (i === j) continue;
      let s = 0;
      for (let t = 0; t < dim; t++) s += r[i * dim + t] * r[j * dim + t];
      if (s > b) b = s;
    }
    best.push(b);
  }
  return median(best);
}

/**
 * The mixture's centres: the served vectors of the first `count` training photos (../shared/train
 * only, shuffled with seed 1), cached at `cachePath` when given.
 */
export async function trainingCentres(signal: Signal, count: number, cachePath?: string): Promise<Float32Array> {
  const { files } = shuffledTrainingImages(`${ROOT}../shared/train`, 1, 'benchmark statistics');
  const chosen = files.slice(0, count);
  return cachePath ? cachedEmbeddings(signal, chosen, cachePath, 'embed train') : embedFiles(signal, chosen, 'embed train');
}

/** The mixture's spread: a sample sits at cosine `cos` from its centre, as a real photo does from its nearest neighbour. */
export function mixtureSpread(real: Float32Array, dim: number): { k: number; cos: number; sigma: number } {
  const k = real.length / dim;
  const cos = nearestNeighbourCosine(real, k, dim);
  return { k, cos, sigma: Math.sqrt(1 / (cos * cos) - 1) };
}

/** n unit vectors around centres drawn uniformly from the k rows of r, Gaussian spread sigma, written to out[offset..]. */
export function sampleMixture(r: Float32Array, k: number, dim: number, sigma: number, n: number, rng: Rng, out: Float32Array, offset: number): void {
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const scale = sigma / Math.sqrt(dim);
  for (let i = 0; i < n; i++) {
    const c = rng.int(k);
    let norm = 0;
    const o = offset + i * dim;
    for (let t = 0; t < dim; t++) {
      const v = r[c * dim + t] + scale * gauss();
      out[o + t] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let t = 0; t < dim; t++) out[o + t] *= inv;
  }
}

/** python3-faiss from Debian, installed on first use (the benchmark is not part of npm test). */
function ensureFaiss(): void {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import faiss'], { stdio: 'ignore' });
  } catch {
    console.error('installing python3-faiss (apt-get) for the FAISS baseline...');
    try {
      execFileSync('apt-get', ['install', '-y', 'python3-faiss'], { stdio: 'inherit' });
    } catch {
      throw new Error('python3-faiss is missing and apt-get could not install it (run: sudo apt-get install -y python3-faiss)');
    }
  }
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

export async function benchIndex(o: IndexBenchOptions) {
  mkdirSync(o.out, { recursive: true });
  ensureFaiss();
  await initNodeCodecs();
  const signal = await loadNodeModelSignal(DEFAULT_MODEL);
  const dim = signal.index.dimensions;
  if (o.dim !== undefined && o.dim !== dim) throw new Error(`--dim ${o.dim}: the served descriptor has ${dim} dimensions`);
  const real = await trainingCentres(signal, o.trainImages, join(o.out, `train-${o.trainImages}.f32`));
  const { k, cos, sigma } = mixtureSpread(real, dim);
  const s1 = `${ROOT}../shared/bench/s1/`;
  const refFiles = listImages(`${s1}refs`);
  const truth = (parseCsv(readFileSync(`${s1}truth.csv`, 'utf8')) as unknown as { query: string; source: string }[]).filter((t) => t.source);
  const qFile = new Map(listImages(`${s1}queries`).map((f) => [idOf(f), f]));
  const refs = await cachedEmbeddings(signal, refFiles, join(o.out, 's1-refs.f32'), 'embed s1 refs');
  const pos = await cachedEmbeddings(signal, truth.map((t) => qFile.get(t.query)!), join(o.out, 's1-queries.f32'), 'embed s1 queries');

  // Base: s1 references first (ids R…), then mixture samples (ids by position).
  const nRefs = refFiles.length;
  const base = new Float32Array(o.n * dim);
  base.set(refs);
  const rng = new Rng(7);
  sampleMixture(real, k, dim, sigma, o.n - nRefs, rng, base, nRefs * dim);
  const queries = new Float32Array(o.queries * dim);
  sampleMixture(real, k, dim, sigma, o.queries, rng, queries, 0);
  writeFileSync(join(o.out, 'base.f32'), base);
  writeFileSync(join(o.out, 'queries.f32'), queries);
  writeFileSync(join(o.out, 'meta.json'), JSON.stringify({ n: o.n, d: dim, q: o.queries }));
  // The s1 positives and their sources' rows, so FAISS's exact search gives the hit-rate ceiling at n.
  writeFileSync(join(o.out, 'copies.f32'), pos);
  writeFileSync(join(o.out, 'copies_src.i32'), Int32Array.from(truth, (t) => refFiles.findIndex((f) => idOf(f) === t.source)));
  const nprobes = [o.nprobe].flat();
  const refines = [o.refine].flat();
  if (!nprobes.length || nprobes.some((p) => !Number.isInteger(p) || p < 1)) throw new Error('--nprobe: positive integers, comma-separated');
  if (!refines.length || refines.some((r) => !Number.isInteger(r) || r < 0)) throw new Error('--refine: non-negative integers, comma-separated');
  const cellScale = o.cellScale === 'eigen' ? unwhitenScale() : undefined;
  const scalePath = join(o.out, 'cell-scale.f32');
  if (cellScale) writeFileSync(scalePath, cellScale);
  console.error(`vectors: ${o.n} x ${dim} (mixture of ${k} train embeddings, nearest-neighbour cosine ${cos.toFixed(3)}, sigma ${sigma.toFixed(3)}); running FAISS...`);
  const faissArgs = [`${ROOT}models/train/faiss_baseline.py`, o.out, String(o.nlist), String(o.m), nprobes.join(','), refines.join(','), String(o.trainN), ...(cellScale ? [scalePath] : [])];
  const faiss = JSON.parse(execFileSync('/usr/bin/python3', faissArgs, { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!) as FaissResult;
  const gt = readI32(join(o.out, 'gt.i32'));

  const idOfRow = (i: number) => (i < nRefs ? idOf(refFiles[i]) : String(i));
  const rowOf = (id: string) => (id.startsWith('R') ? refFiles.findIndex((f) => idOf(f) === id) : Number(id));
  const t0 = performance.now();
  const heap0 = process.memoryUsage();
  const sampleRows = Array.from({ length: Math.min(o.trainN, o.n) }, () => rng.int(o.n));
  const sample = new Float32Array(sampleRows.length * dim);
  sampleRows.forEach((r, i) => sample.set(base.subarray(r * dim, (r + 1) * dim), i * dim));
  const ix = IVFPQIndex.train(sample, sampleRows.length, dim, { nlist: o.nlist, m: o.m, iters: 8, seed: 1, cellScale }, {
    nprobe: nprobes[0], refine: refines[0], fullVector: (id) => { const r = rowOf(id); return base.subarray(r * dim, (r + 1) * dim); },
  });
  const trainS = (performance.now() - t0) / 1000;
  const bar = new Progress('add', o.n);
  for (let i = 0; i < o.n; i += 10_000) {
    const batch = [];
    for (let j = i; j < Math.min(o.n, i + 10_000); j++) batch.push({ id: idOfRow(j), values: base.subarray(j * dim, (j + 1) * dim) });
    await ix.upsert(batch);
    bar.tick(batch.length);
  }
  bar.end();
  const buildS = (performance.now() - t0) / 1000;
  const heap1 = process.memoryUsage();
  console.error(`ours: trained in ${trainS.toFixed(1)} s, built in ${buildS.toFixed(1)} s`);

  const copyHits = async (search: (q: Float32Array) => Promise<string[]>) => {
    let found = 0;
    for (let i = 0; i < truth.length; i++) if ((await search(pos.subarray(i * dim, (i + 1) * dim))).includes(truth[i].source)) found++;
    return found / truth.length;
  };
  const ours: SweepRow[] = [];
  for (const refine of refines) {
    for (const nprobe of nprobes) {
      ix.nprobe = nprobe;
      ix.refine = refine;
      const times: number[] = [];
      let hit = 0;
      for (let qi = 0; qi < o.queries; qi++) {
        const t = performance.now();
        const { matches } = await ix.query(queries.subarray(qi * dim, (qi + 1) * dim), { topK: 10 });
        times.push(performance.now() - t);
        const want = new Set(Array.from(gt.subarray(qi * 10, qi * 10 + 10), idOfRow));
        hit += matches.filter((mm) => want.has(mm.id)).length;
      }
      const copy = await copyHits(async (q) => (await ix.query(q, { topK: 10 })).matches.map((mm) => mm.id));
      const row = { nprobe, refine, p50_ms: median(times), p99_ms: pct(times, 0.99), recall_at_10: hit / (o.queries * 10), true_copy_top10: copy };
      console.error(`ours nprobe=${nprobe} refine=${refine}: p50 ${row.p50_ms.toFixed(2)} ms p99 ${row.p99_ms.toFixed(2)} ms recall ${row.recall_at_10.toFixed(3)} copy ${copy.toFixed(3)}`);
      ours.push(row);
    }
  }
  const atRefs = await copyHits(async (q) => {
    const s: [number, string][] = refFiles.map((f, r) => {
      let d = 0;
      for (let t = 0; t < dim; t++) d += q[t] * refs[r * dim + t];
      return [d, idOf(f)];
    });
    return s.sort((a, b) => b[0] - a[0]).slice(0, 10).map((x) => x[1]);
  });
  const heapPerVector = (heap1.heapUsed + heap1.arrayBuffers - heap0.heapUsed - heap0.arrayBuffers) / o.n;

  const fRows = faiss.faiss_sweep;
  const eRows = faiss.faiss_eigen_sweep;
  const at = (rows: FaissRow[] | undefined, r: SweepRow) => rows?.find((f) => f.nprobe === r.nprobe && f.refine === r.refine);
  const pick = (f: FaissRow | undefined, prefix: string) =>
    f ? { [`${prefix}_p50_ms`]: f.p50_ms, [`${prefix}_p99_ms`]: f.p99_ms, [`${prefix}_recall_at_10`]: f.recall_at_10, [`${prefix}_true_copy_top10`]: f.true_copy_top10 } : {};
  const sweep = ours.map((r) => ({ ...r, ...pick(at(fRows, r), 'faiss'), ...(eRows ? pick(at(eRows, r), 'faiss_eigen') : {}) }));
  // FAISS's time at equal recall: its smallest nprobe (on its finer grid, same refine) whose recall@10 >= ours.
  const equal = (rows: FaissRow[] | undefined, r: SweepRow) => {
    const f = rows?.filter((x) => x.refine === r.refine && x.recall_at_10 >= r.recall_at_10).sort((a, b) => a.nprobe - b.nprobe)[0];
    return f ? { nprobe: f.nprobe, recall_at_10: f.recall_at_10, p50_ms: f.p50_ms, ratio: r.p50_ms / f.p50_ms } : null;
  };
  const equalRecall = ours.map((r) => ({
    nprobe: r.nprobe, refine: r.refine, recall_at_10: r.recall_at_10, p50_ms: r.p50_ms,
    faiss: equal(fRows, r), ...(eRows ? { faiss_eigen: equal(eRows, r) } : {}),
  }));
  // The nprobe that reaches recall@10 >= 0.95, per refine (null: not within the sweep).
  const reach = (rows: { nprobe: number; refine: number; recall_at_10: number }[] | undefined) =>
    rows ? Object.fromEntries(refines.map((rf) => [String(rf), rows.filter((x) => x.refine === rf && x.recall_at_10 >= 0.95).sort((a, b) => a.nprobe - b.nprobe)[0]?.nprobe ?? null])) : undefined;
  // The primary row: the fastest of ours reaching recall@10 >= 0.95 if any, else the first nprobe and refine.
  const primary = [...ours].filter((r) => r.recall_at_10 >= 0.95).sort((a, b) => a.p50_ms - b.p50_ms)[0] ?? ours[0];
  const fp = at(fRows, primary)!;
  const ep = at(eRows, primary);
  const { faiss_sweep: _f, faiss_eigen_sweep: _e, ...faissRest } = faiss;
  return {
    n: o.n, dim, description: (await ix.describe()).description, nprobe: primary.nprobe, refine: primary.refine, cell_scale: o.cellScale,
    p50_ms: primary.p50_ms, p99_ms: primary.p99_ms, recall_at_10: primary.recall_at_10,
    bytes_per_vector: ix.bytesPerVector, heap_bytes_per_vector: Math.round(heapPerVector),
    train_s: trainS, build_s: buildS,
    true_copy_top10_at_n: primary.true_copy_top10, true_copy_top10_at_refs: atRefs,
    ...faissRest,
    faiss_p50_ms: fp.p50_ms, faiss_p99_ms: fp.p99_ms, faiss_recall_at_10: fp.recall_at_10, faiss_true_copy_top10_at_n: fp.true_copy_top10,
    ...(ep ? { faiss_eigen_p50_ms: ep.p50_ms, faiss_eigen_recall_at_10: ep.recall_at_10, faiss_eigen_true_copy_top10_at_n: ep.true_copy_top10 } : {}),
    time_ratio_to_faiss: primary.p50_ms / fp.p50_ms,
    time_ratio_to_flat: primary.p50_ms / faiss.faiss_flat_p50_ms,
    nprobe_for_recall_95: { ours: reach(ours), faiss: reach(fRows), ...(eRows ? { faiss_eigen: reach(eRows) } : {}) },
    equal_recall_ratio: equalRecall,
    sweep,
    faiss_grid: fRows.map(({ requested: _r, ...x }) => x),
    ...(eRows ? { faiss_eigen_grid: eRows.map(({ requested: _r, ...x }) => x) } : {}),
  };
}

interface SweepRow { nprobe: number; refine: number; p50_ms: number; p99_ms: number; recall_at_10: number; true_copy_top10: number }
interface FaissRow { nprobe: number; refine: number; p50_ms: number; p99_ms: number; recall_at_10: number; true_copy_top10: number | null; requested: boolean }
interface FaissResult {
  faiss_version: string; faiss_build_s: number; faiss_flat_p50_ms: number; faiss_flat_p99_ms: number; faiss_flat_queries: number;
  faiss_description: string; exact_true_copy_top10_at_n: number | null; faiss_sweep: FaissRow[];
  faiss_eigen_build_s?: number; faiss_eigen_description?: string; faiss_eigen_sweep?: FaissRow[];
}
