/**
 * `copycat bench-shards`: the sharded catalog in `wrangler dev` at scale. One wrangler dev with
 * CATALOG_SHARDS shards; phase A indexes the s1 references (real fingerprints, copycat upload) and
 * runs the s1 queries; phase B fills the catalog to --n references with synthetic fingerprints and
 * runs the same queries again. Each query is POST /v1/search (verify=false: the origin is not what
 * is measured); the answer's timings.catalogMs is the fan-out (every shard, merge, fusion) seen by
 * the Worker. Same run, same machine: phase A is the baseline the 1M figures are a ratio to.
 *
 * Synthetic references follow real statistics: the descriptor is drawn from the mixture bench-index
 * uses (around the served vectors of ../shared/train photos), with that photo's background score;
 * PDQ and histograms are those of a ../shared/train photo, PDQ with 16 bits flipped. Nothing comes
 * from ../shared/bench but the s1 references and queries themselves.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate, parseCsv, type Prediction, type TruthRow } from '../core/eval/metrics.ts';
import { DEFAULT_FUSION } from '../core/fusion/defaults.ts';
import { Catalog, type CatalogEntry, type EntryStore } from '../core/index/catalog.ts';
import { DEFAULT_BINARY_RADIUS, plannedIndexFactory } from '../core/index/index-plan.ts';
import { kthBackgroundSimilarity, packFromBytes } from '../core/signals/descriptor.ts';
import { packFingerprint } from '../core/signals/fingerprint.ts';
import type { PdqValue } from '../core/signals/pdq.ts';
import type { Fingerprint } from '../core/signals/signal.ts';
import { Rng } from '../core/quant/rng.ts';
import { mixtureSpread, sampleMixture, trainingCentres } from './bench-index.ts';
import { ROOT, startDevServer } from './devserver.ts';
import { idOf, listImages, shuffledTrainingImages } from './files.ts';
import { Progress } from './progress.ts';
import { createPipeline } from './runtime.ts';
import { postBatch, upload, type BatchItem } from './upload.ts';

export interface ShardBenchOptions {
  n: number;
  shards: number;
  refs: string;
  queries: string;
  truth: string;
  limit: number;
  batch: number;
  inFlight: number;
  shortlistSignals: string;
  templates: number;
  out: string;
  /** References for the in-process memory measurement of one shard (0: skip). */
  memoryN: number;
  quiet?: boolean;
}

const NS = 'bench';

interface Phase { references: number; p50_catalog_ms: number; p99_catalog_ms: number; p50_search_ms: number; p50_fingerprint_ms: number; top1: number; hit_at_10: number; micro_ap: number; workerd_rss_mib: number }

export async function benchShards(o: ShardBenchOptions) {
  const state = mkdtempSync(join(tmpdir(), 'copycat-shards-'));
  const srv = await startDevServer(state, 120_000, {
    CATALOG_SHARDS: String(o.shards), CATALOG_SHORTLIST_SIGNALS: o.shortlistSignals, LOG_REQUESTS: 'false',
  });
  const truth = parseCsv(readFileSync(o.truth, 'utf8')) as unknown as TruthRow[];
  const queries = listImages(o.queries).slice(0, o.limit);
  try {
    const up = await upload({ dir: o.refs, url: srv.url, namespace: NS, local: false, quiet: o.quiet });
    if (up.failed) throw new Error(`${up.failed} s1 references failed to upload`);
    const a = await runQueries(srv.url, queries, truth, up.images, srv.workerdRssMiB(), o.quiet);
    const synth = await synthesizer(o);
    const memory = o.memoryN ? await shardMemory(o.memoryN, o.shortlistSignals, synth) : null;
    const t0 = performance.now();
    const filled = await fillSynthetic(srv.url, o, o.n - up.images, synth);
    const loadSecs = (performance.now() - t0) / 1000;
    const b = await runQueries(srv.url, queries, truth, up.images + filled, srv.workerdRssMiB(), o.quiet);
    const stats = (await (await fetch(`${srv.url}/v1/stats`)).json()) as { images: number; pipeline: string; databaseBytes: number };
    return {
      n: stats.images, shards: o.shards, shortlist_signals: o.shortlistSignals, pipeline: stats.pipeline,
      load_s: round(loadSecs), load_per_s: round(filled / loadSecs), database_bytes: stats.databaseBytes,
      // workerd's resident memory growth per reference added: every hot index, id table and cache.
      hot_bytes_per_reference: round(((b.workerd_rss_mib - a.workerd_rss_mib) * 1024 * 1024) / Math.max(1, filled)),
      small: a, large: b, shard_memory: memory,
      catalog_p50_ratio: round(b.p50_catalog_ms / Math.max(a.p50_catalog_ms, 0.5)),
    };
  } finally {
    await srv.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

async function runQueries(url: string, files: string[], truth: TruthRow[], refs: number, rss: number, quiet?: boolean): Promise<Phase> {
  const catalogMs: number[] = [], searchMs: number[] = [], fpMs: number[] = [];
  const preds: Prediction[] = [];
  const bar = new Progress(`search @${refs}`, files.length, quiet);
  for (const f of files) {
    const t0 = performance.now();
    const r = await fetch(`${url}/v1/search?namespace=${NS}&verify=false&topK=10`, { method: 'POST', body: readFileSync(f) });
    const body = (await r.json()) as { matches: { id: string; score: number }[]; timings: { catalogMs: number; fingerprintMs: number } };
    if (!r.ok) throw new Error(`search ${idOf(f)}: ${r.status} ${JSON.stringify(body)}`);
    searchMs.push(performance.now() - t0);
    catalogMs.push(body.timings.catalogMs);
    fpMs.push(body.timings.fingerprintMs);
    for (const m of body.matches) preds.push({ query: idOf(f), source: m.id, score: m.score });
    bar.tick();
  }
  bar.end();
  const asked = new Set(files.map(idOf));
  const rows = truth.filter((t) => asked.has(idOf(t.query)));
  const m = evaluate(rows, preds);
  const positives = rows.filter((t) => t.source);
  const hit10 = positives.filter((t) => preds.some((p) => p.query === idOf(t.query) && idOf(p.source) === idOf(t.source))).length;
  return {
    references: refs, p50_catalog_ms: pct(catalogMs, 0.5), p99_catalog_ms: pct(catalogMs, 0.99), p50_search_ms: round(pct(searchMs, 0.5)),
    p50_fingerprint_ms: pct(fpMs, 0.5), top1: round(m.top1, 4), hit_at_10: round(hit10 / Math.max(1, positives.length), 4), micro_ap: round(m.microAP, 4),
    workerd_rss_mib: round(rss),
  };
}

/** Real fingerprints of training photos: the templates synthetic references borrow PDQ and histograms from. */
async function templates(count: number): Promise<Fingerprint[]> {
  const p = await createPipeline();
  const { files } = shuffledTrainingImages(`${ROOT}../shared/train`, 1, 'benchmark statistics');
  const bar = new Progress('templates', count);
  const out: Fingerprint[] = [];
  for (const f of files.slice(0, count)) {
    out.push((await p.fingerprintFile(f)).fingerprint);
    bar.tick();
  }
  bar.end();
  return out;
}

/** Synthetic references with real statistics (see the header); `next(j)` is deterministic in call order. */
async function synthesizer(o: ShardBenchOptions) {
  const p = await createPipeline();
  const embed = p.signals.find((s) => s.name === 'embed')!;
  const dim = embed.index.dimensions;
  const centres = await trainingCentres(embed, 1500, join(o.out, 'train-1500.f32'));
  const { sigma } = mixtureSpread(centres, dim);
  const pack = packFromBytes(new Uint8Array(readFileSync(`${ROOT}models/copy-desc.pack.bin`)));
  const k = centres.length / dim;
  const bg = Array.from({ length: k }, (_, c) => kthBackgroundSimilarity(centres.subarray(c * dim, (c + 1) * dim), pack.background, pack.k));
  const tpl = await templates(o.templates);
  const rng = new Rng(7);
  return {
    signals: p.signals,
    next(): Fingerprint {
      const c = rng.int(k);
      const v = new Float32Array(dim);
      sampleMixture(centres.subarray(c * dim, (c + 1) * dim), 1, dim, sigma, 1, rng, v, 0);
      const t = tpl[c % tpl.length];
      return { ...t, embed: { v, bg: bg[c] }, pdq: flipBits(t.pdq as PdqValue, 16, rng) };
    },
  };
}

async function fillSynthetic(url: string, o: ShardBenchOptions, count: number, synth: Awaited<ReturnType<typeof synthesizer>>): Promise<number> {
  const bar = new Progress('fill', count, o.quiet);
  const inFlight = new Set<Promise<void>>();
  let done = 0;
  for (let start = 0; start < count; start += o.batch) {
    const items: BatchItem[] = [];
    for (let j = start; j < Math.min(count, start + o.batch); j++) {
      items.push({ id: `syn${j}`, width: 640, height: 480, fingerprint: packFingerprint(synth.signals, synth.next()) });
    }
    while (inFlight.size >= o.inFlight) await Promise.race(inFlight);
    const q: Promise<void> = postBatch({ url, namespace: NS }, items).then((r) => {
      if (!r.ok) throw new Error(`batch at ${start}: ${r.error}`);
      done += items.length;
      bar.tick(items.length);
    }).finally(() => inFlight.delete(q));
    inFlight.add(q);
  }
  await Promise.all(inFlight);
  bar.end();
  return done;
}

/**
 * Hot memory of one shard's catalog, measured in this process: the shard's index plan (descriptor
 * IVF-PQ, PDQ bits, histograms re-scored only), entries kept out of memory as the Durable Object
 * keeps them in SQLite. Heap plus typed-array growth per reference, ids and bookkeeping included.
 */
async function shardMemory(n: number, shortlistSignals: string, synth: Awaited<ReturnType<typeof synthesizer>>) {
  const cat = new Catalog(synth.signals, DEFAULT_FUSION, plannedIndexFactory({
    ivf: new Uint8Array(readFileSync(`${ROOT}models/copy-desc.ivf.bin`)), shortlistSignals: shortlistSignals.split(','), binaryRadius: DEFAULT_BINARY_RADIUS,
  }), new ColdEntries());
  const fps = Array.from({ length: 1000 }, () => synth.next());
  const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
  (globalThis as { gc?: () => void }).gc?.();
  const m0 = used();
  for (let j = 0; j < n; j++) await cat.add({ id: `syn${j}`, namespace: NS, fingerprint: fps[j % fps.length] });
  (globalThis as { gc?: () => void }).gc?.();
  return { references: n, bytes_per_reference: round((used() - m0) / n), pipeline: await cat.describe() };
}

/** An entry store that keeps nothing in memory (the Durable Object reads its SQLite rows). */
class ColdEntries implements EntryStore {
  private n = 0;
  get(): CatalogEntry | undefined { return undefined; }
  set(): void { this.n++; }
  delete(): boolean { return true; }
  has(): boolean { return false; }
  *values(): Iterable<CatalogEntry> { /* cold */ }
  get size(): number { return this.n; }
}

function flipBits(v: PdqValue, bits: number, rng: Rng): PdqValue {
  const h = v.hashes[0].slice();
  for (let i = 0; i < bits; i++) {
    const b = rng.int(h.length * 8);
    h[b >> 3] ^= 1 << (b & 7);
  }
  return { hashes: [h, ...v.hashes.slice(1)], quality: v.quality };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
