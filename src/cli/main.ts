/**
 * `copycat` command line: the same core as the Worker, run in Node for bulk indexing, the
 * dataset/query -> submit.csv job, fingerprints and benchmarks. Exit code 2 on usage errors.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { evaluate, parseCsv, type TruthRow } from '../core/eval/metrics.ts';
import { pdqToHex } from '../core/signals/pdq.ts';
import { LocalDb } from './db.ts';
import { idOf, listImages } from './files.ts';
import { median, runPredict } from './predict.ts';
import { Progress } from './progress.ts';
import { createPipeline, DEFAULT_SIGNALS, type PipelineOptions } from './runtime.ts';
import { timeRuntimes } from './timing.ts';
import { buildPack } from './build-pack.ts';
import { buildVocab } from './build-vocab.ts';
import { formatMetrics } from './report.ts';
import { Vocabulary } from '../core/local/vocab.ts';
import { ROOT } from './devserver.ts';
import { serve } from './serve.ts';
import { fuzz } from './fuzz/run.ts';
import { durability } from './durability.ts';
import { load } from './load.ts';
import { benchServed } from './bench-served.ts';
import { benchIndex } from './bench-index.ts';
import { upload } from './upload.ts';
import { benchShards } from './bench-shards.ts';
import { buildIvf, buildIvfOptions } from './build-ivf.ts';
import { benchVerify } from './bench-verify.ts';

const USAGE = `copycat <command> [options]

  index <refs-dir> --db <path> [--signals a,b]      add images to a persistent local index (resumable)
  predict --refs <dir> --queries <dir> --out <csv> [--top 10] [--signals a,b] [--no-verify] [--no-bow]
                                                    write query,source,score (top-K rows per query)
  match --dataset <dir> --query <dir> --out submit.csv
                                                    write source,query: the best source per query
  fingerprint --json <files...>                     one JSON object per line per file
  build-pack <train-images-dir> --model <config.json> --out <pack.bin> [--limit 6000] [--pca-dim 256] [--m 32]
             [--background 2000] [--k 10] [--beta 1] [--seed 1]
                                                    learn PCA-whitening, PQ and the background set for a model
  build-vocab <train-images-dir> --out <vocab.bin> [--limit 2000] [--max-descriptors 500000] [--branching 32]
              [--depth 3] [--check 400] [--seed 1]
                                                    learn the ORB visual vocabulary of the --verify BoW shortlist
  build-ivf [--out models/copy-desc.ivf.bin] [--model <config.json>] [--n 65536] [--limit 1500] [--nlist 1024] [--m 32] [--seed 1]
                                                    train the IVF-PQ shard quantizer of the embed descriptor (../shared/train only)
  bench-shards [--n 1000000] [--shards 8] [--limit 300] [--batch 500] [--shortlist-signals embed,pdq] [--templates 300] [--memory-n 200000]
                                                    sharded catalog in wrangler dev: s1 refs, then filled to n; fan-out latency
                                                    and accuracy at both sizes, memory per reference; JSON summary last
  upload <images-dir> [--url http://127.0.0.1:8787] [--key K] [--namespace ns] [--workers N] [--batch 50]
         [--in-flight 2] [--no-local] [--limit N]
                                                    bulk indexing into a running service: fingerprints and ORB
                                                    features made here on every core, sent in batches; JSON summary
  serve [--port 8787] [--origin-port 8788] [--persist-to .wrangler/state]
                                                    the edge (wrangler dev) and the origin (Node), on loopback
  bench-verify --refs <dir> --queries <dir> --truth <truth.csv> [--limit 100]
                                                    time per geometric check (JS vs WASM matcher) and per query
  fuzz [--cases 10000] [--server-sample 200] [--seed 1] [--timeout-ms 10000] [seed images...]
                                                    mutated images through decode/fingerprint and the server; JSON summary last
  durability [images-dir] [--runs 5] [--limit 40]    SIGKILL mid-ingest, restart: acknowledged writes lost (JSON last)
  load [images-dir] [--connections 50] [--seconds 60] [--limit 200]
                                                    npm start under mixed search/index load; JSON summary last
  bench-index [--n 1000000] [--queries 500] [--nlist 1024] [--m 32] [--nprobe 16[,64,...]] [--refine 10[,20]] [--cell-scale eigen|none]
                                                    IVF-PQ at scale vs FAISS (python3-faiss); JSON summary last
  timing <dir...> [--limit N]                       fingerprint time per image, Node vs workerd (wrangler dev)
  bench --refs <dir> --queries <dir> --truth <truth.csv> [--top 10] [--signals a,b] [--out preds.csv] [--served]
                                                    predict + metrics (same as bench/score.py) + timing

signals: pdq, hist_hsv, hist_gray, embed (default: ${DEFAULT_SIGNALS.join(',')}, fused)
--model <config.json>: the ONNX encoder behind "embed" (default models/copy-desc.json)
--shortlist-signals a,b: the signals that add candidates (default embed,pdq, as the service's
CATALOG_SHORTLIST_SIGNALS; the others are re-scored only); --flat-index: exact float shortlists instead of PQ codes; --beta <b>: override the descriptor's
score normalisation (0 = whitening only). Both exist to measure what each piece is worth.
predict, match and bench verify the close candidates geometrically (ORB + RANSAC, the origin's
check), including the best references of a BoW shortlist over ORB features (vocabulary --vocab,
default models/orb-vocab.bin); --no-bow checks the global candidates only, --no-verify none.`;

class UsageError extends Error {}

function need(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`missing ${flag}`);
  return v;
}

function pipelineOptions(o: Record<string, unknown>): PipelineOptions {
  return {
    model: o.model as string | undefined,
    flatIndex: Boolean(o['flat-index']),
    beta: o.beta === undefined ? undefined : Number(o.beta),
    shortlistSignals: o['shortlist-signals'] === undefined ? undefined : signalsOf(o['shortlist-signals'] as string),
  };
}

/** An optional numeric flag; a value that is not a number is a usage error, not a silent NaN. */
function optNum(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number`);
  return n;
}

function signalsOf(v: string | undefined): string[] {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : DEFAULT_SIGNALS;
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  const { values: o, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      db: { type: 'string' }, refs: { type: 'string' }, queries: { type: 'string' }, out: { type: 'string' },
      top: { type: 'string' }, signals: { type: 'string' }, dataset: { type: 'string' }, query: { type: 'string' },
      truth: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' },
      'dump-candidates': { type: 'string' }, threshold: { type: 'string' }, model: { type: 'string' }, limit: { type: 'string' }, 'flat-index': { type: 'boolean' }, verify: { type: 'boolean' }, 'no-verify': { type: 'boolean' }, 'pca-dim': { type: 'string' }, m: { type: 'string' },
      background: { type: 'string' }, k: { type: 'string' }, beta: { type: 'string' }, seed: { type: 'string' },
      n: { type: 'string' }, 'cell-scale': { type: 'string' }, nlist: { type: 'string' }, nprobe: { type: 'string' }, refine: { type: 'string' }, dim: { type: 'string' },
      served: { type: 'boolean' }, runs: { type: 'string' }, connections: { type: 'string' }, seconds: { type: 'string' }, cases: { type: 'string' }, 'server-sample': { type: 'string' }, 'timeout-ms': { type: 'string' },
      port: { type: 'string' }, url: { type: 'string' }, key: { type: 'string' }, namespace: { type: 'string' }, workers: { type: 'string' }, batch: { type: 'string' }, 'in-flight': { type: 'string' }, 'no-local': { type: 'boolean' }, 'shortlist-signals': { type: 'string' }, shards: { type: 'string' }, templates: { type: 'string' }, 'memory-n': { type: 'string' }, 'origin-port': { type: 'string' }, 'persist-to': { type: 'string' },
      'max-descriptors': { type: 'string' }, vocab: { type: 'string' }, 'no-bow': { type: 'boolean' }, branching: { type: 'string' }, depth: { type: 'string' }, check: { type: 'string' },
    },
  });
  const top = o.top ? Number(o.top) : 10;
  if (!Number.isInteger(top) || top < 1) throw new UsageError('--top must be a positive integer');
  switch (cmd) {
    case 'index': return cmdIndex(need(positionals[0], '<refs-dir>'), need(o.db, '--db'), signalsOf(o.signals), pipelineOptions(o));
    case 'predict': {
      const p = await createPipeline(signalsOf(o.signals), pipelineOptions(o));
      const r = await runPredict(p, { refs: need(o.refs, '--refs'), queries: need(o.queries, '--queries'), top, dumpCandidates: o['dump-candidates'], verify: verifyWanted(o), vocabulary: vocabularyFor(o) });
      writeFileSync(need(o.out, '--out'), 'query,source,score\n' + r.rows.map((x) => `${x.query},${x.source},${x.score.toFixed(6)}`).join('\n') + '\n');
      reportFailures(r.failures);
      console.error(`wrote ${r.rows.length} rows to ${o.out}`);
      return;
    }
    case 'match': {
      const p = await createPipeline(signalsOf(o.signals), pipelineOptions(o));
      const r = await runPredict(p, { refs: need(o.dataset, '--dataset'), queries: need(o.query, '--query'), top: 1, verify: verifyWanted(o), vocabulary: vocabularyFor(o) });
      writeFileSync(need(o.out, '--out'), 'source,query\n' + r.rows.map((x) => `${basename(x.sourceFile)},${basename(x.queryFile)}`).join('\n') + '\n');
      reportFailures(r.failures);
      console.error(`wrote ${r.rows.length} rows to ${o.out}`);
      return;
    }
    case 'fingerprint': return cmdFingerprint(positionals, signalsOf(o.signals), pipelineOptions(o));
    case 'build-pack': {
      const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
      const r = await buildPack({
        model: need(o.model, '--model'), images: need(positionals[0], '<train-images-dir>'), out: need(o.out, '--out'),
        limit: num(o.limit, 6000), pcaDim: num(o['pca-dim'], 256), pqM: num(o.m, 32), background: num(o.background, 2000),
        k: num(o.k, 10), beta: num(o.beta, 1), seed: num(o.seed, 1),
      });
      console.log(JSON.stringify(r));
      return;
    }
    case 'build-vocab': {
      const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
      const r = await buildVocab({
        images: need(positionals[0], '<train-images-dir>'), out: need(o.out, '--out'), limit: num(o.limit, 2000),
        maxDescriptors: num(o['max-descriptors'], 500_000), branching: num(o.branching, 32), depth: num(o.depth, 3),
        seed: num(o.seed, 1), check: num(o.check, 400),
      });
      console.log(JSON.stringify(r));
      return;
    }
    case 'bench-verify': {
      const r = await benchVerify({ refs: need(o.refs, '--refs'), queries: need(o.queries, '--queries'), truth: need(o.truth, '--truth'), limit: Number(o.limit ?? 100) });
      console.log(JSON.stringify(r, null, 2));
      return;
    }
    case 'fuzz': {
      const seeds = positionals.length ? positionals : defaultFuzzSeeds();
      const r = await fuzz({
        seeds, cases: Number(o.cases ?? 10000), serverSample: Number(o['server-sample'] ?? 200), seed: Number(o.seed ?? 1),
        caseTimeoutMs: Number(o['timeout-ms'] ?? 10000), concurrency: availableParallelism(),
      });
      for (const f of r.failures.slice(0, 50)) console.error(`FAIL ${f.kind} ${f.case} ${f.detail ?? ''}`);
      const { failures: _, ...counts } = r;
      console.log(JSON.stringify(counts));
      if (r.crashes || r.hangs || r.http5xx) process.exitCode = 1;
      return;
    }
    case 'durability': {
      const images = positionals[0] ?? `${ROOT}../shared/bench/s1/refs`;
      const r = await durability({ images, runs: Number(o.runs ?? 5), count: Number(o.limit ?? 40), concurrency: 8, log: (l) => console.error(l) });
      console.log(JSON.stringify({ runs: r.runs.length, acknowledged: r.acknowledged, lost: r.lost, halfThere: r.halfThere }));
      if (r.lost || r.halfThere) process.exitCode = 1;
      return;
    }
    case 'load': {
      const r = await load({
        images: positionals[0] ?? `${ROOT}../shared/bench/s1/refs`, connections: Number(o.connections ?? 50), seconds: Number(o.seconds ?? 60),
        preload: Number(o.limit ?? 200),
      });
      console.log(JSON.stringify(r));
      if (r.errors) process.exitCode = 1;
      return;
    }
    case 'bench-index': {
      const r = await benchIndex({
        n: Number(o.n ?? 1_000_000), queries: Number(o.queries ?? 500), nlist: Number(o.nlist ?? 1024), m: Number(o.m ?? 32),
        nprobe: (o.nprobe ?? '16').split(',').map(Number), refine: (o.refine ?? '10').split(',').map(Number), trainN: 20_000, trainImages: 1500, out: `${ROOT}out/bench-index`,
        dim: o.dim === undefined ? undefined : Number(o.dim), cellScale: o['cell-scale'] === 'eigen' ? 'eigen' : 'none',
      });
      console.log(JSON.stringify(r));
      return;
    }
    case 'build-ivf': console.log(JSON.stringify(await buildIvf(buildIvfOptions(o)))); return;
    case 'bench-shards': {
      const s1 = `${ROOT}../shared/bench/s1`;
      const summary = await benchShards({
        n: optNum(o.n, '--n') ?? 1_000_000, shards: optNum(o.shards, '--shards') ?? 8,
        refs: o.refs ?? `${s1}/refs`, queries: o.queries ?? `${s1}/queries`, truth: o.truth ?? `${s1}/truth.csv`,
        limit: optNum(o.limit, '--limit') ?? 300, batch: optNum(o.batch, '--batch') ?? 500, inFlight: optNum(o['in-flight'], '--in-flight') ?? 2,
        shortlistSignals: o['shortlist-signals'] ?? 'embed,pdq', templates: optNum(o.templates, '--templates') ?? 300,
        out: o.out ?? 'out/bench-index', memoryN: o['memory-n'] === '0' ? 0 : optNum(o['memory-n'], '--memory-n') ?? 200_000, quiet: Boolean(o.quiet),
      });
      console.log(JSON.stringify(summary));
      return;
    }
    case 'upload': {
      const summary = await upload({
        dir: need(positionals[0], '<images-dir>'), url: o.url ?? process.env.COPYCAT_URL ?? 'http://127.0.0.1:8787',
        key: o.key ?? process.env.COPYCAT_KEY, namespace: o.namespace, workers: optNum(o.workers, '--workers'), batch: optNum(o.batch, '--batch'),
        inFlight: optNum(o['in-flight'], '--in-flight'), local: !o['no-local'], limit: optNum(o.limit, '--limit'), quiet: Boolean(o.quiet),
      });
      console.log(JSON.stringify(summary));
      if (summary.failed) process.exitCode = 1;
      return;
    }
    case 'serve': {
      process.exitCode = await serve({
        port: Number(o.port ?? process.env.PORT ?? 8787), originPort: Number(o['origin-port'] ?? process.env.ORIGIN_PORT ?? 8788),
        host: '127.0.0.1', persistTo: o['persist-to'] ?? '.wrangler/state',
      });
      return;
    }
    case 'timing': {
      if (!positionals.length) throw new UsageError('timing needs at least one image directory');
      const r = await timeRuntimes(await createPipeline(signalsOf(o.signals), pipelineOptions(o)), positionals, o.limit ? Number(o.limit) : 1000);
      console.log(`fingerprint median per image over ${r.images} images: Node ${r.nodeMedianMs.toFixed(1)} ms, workerd ${r.workerdMedianMs.toFixed(1)} ms (round trip minus ${r.requestOverheadMs.toFixed(2)} ms request overhead); workerd/Node ${r.ratioWorkerdToNode.toFixed(2)}; workerd RSS ${r.workerdRssMiB.idle.toFixed(0)} MiB idle, ${r.workerdRssMiB.after.toFixed(0)} MiB after`);
      console.log(JSON.stringify(r));
      return;
    }
    case 'bench': return cmdBench(o as Record<string, string | undefined> & { 'no-verify'?: boolean; 'no-bow'?: boolean }, top);
    case undefined: case 'help': case '--help': console.log(USAGE); return;
    default: throw new UsageError(`unknown command "${cmd}"`);
  }
}

async function cmdIndex(dir: string, dbPath: string, names: string[], po: PipelineOptions): Promise<void> {
  const p = await createPipeline(names, po);
  const db = await LocalDb.open(dbPath, p.signals, p.fusion);
  const files = listImages(dir);
  const bar = new Progress('index', files.length);
  let added = 0, skipped = 0;
  const failures: { file: string; error: string }[] = [];
  for (const f of files) {
    if (db.has(idOf(f))) skipped++;
    else {
      try {
        const { fingerprint } = await p.fingerprintFile(f);
        await db.add(idOf(f), fingerprint, { file: basename(f) });
        added++;
      } catch (err) {
        failures.push({ file: f, error: err instanceof Error ? err.message : String(err) });
      }
    }
    bar.tick();
  }
  bar.end();
  db.close();
  reportFailures(failures);
  console.log(JSON.stringify({ db: dbPath, added, skipped, failed: failures.length, total: db.catalog.size }));
}

async function cmdFingerprint(files: string[], names: string[], po: PipelineOptions): Promise<void> {
  if (!files.length) throw new UsageError('fingerprint needs at least one file');
  const p = await createPipeline(names.includes('pdq') ? names : ['pdq', ...names], po);
  let failed = 0;
  for (const f of files) {
    try {
      const { fingerprint, ms } = await p.fingerprintFile(f);
      const pdq = fingerprint.pdq as { hashes: Uint8Array[]; quality: number };
      const out: Record<string, unknown> = { file: f, pdq: pdqToHex(pdq.hashes[0]), pdqQuality: pdq.quality, ms: Number(ms.toFixed(2)) };
      for (const s of p.signals) if (s.name !== 'pdq') out[s.name] = Array.from(s.toVector(fingerprint[s.name]), (x) => Number(x.toFixed(5)));
      console.log(JSON.stringify(out));
    } catch (err) {
      failed++;
      console.log(JSON.stringify({ file: f, error: err instanceof Error ? err.message : String(err) }));
    }
  }
  if (failed) process.exitCode = 1;
}

async function cmdBench(o: Record<string, string | undefined> & { 'no-verify'?: boolean; 'no-bow'?: boolean }, top: number): Promise<void> {
  const truth = parseCsv(readFileSync(need(o.truth, '--truth'), 'utf8')) as unknown as TruthRow[];
  if (o.served) return cmdBenchServed(o, truth, top);
  const p = await createPipeline(signalsOf(o.signals), pipelineOptions(o));
  const r = await runPredict(p, { refs: need(o.refs, '--refs'), queries: need(o.queries, '--queries'), top, dumpCandidates: o['dump-candidates'], verify: verifyWanted(o), vocabulary: vocabularyFor(o) });
  if (o.out) writeFileSync(o.out, 'query,source,score\n' + r.rows.map((x) => `${x.query},${x.source},${x.score.toFixed(6)}`).join('\n') + '\n');
  const preds = r.rows.map((x) => ({ query: x.query, source: x.source, score: Number(x.score.toFixed(6)) }));
  const m = evaluate(truth, preds, o.threshold !== undefined ? Number(o.threshold) : p.fusion.copyThreshold);
  reportFailures(r.failures);
  console.log(formatMetrics(m));
  const timing = {
    fingerprint_ms_median: median(r.fingerprintMs), search_ms_median: median(r.searchMs), images: r.fingerprintMs.length,
    ...(r.bowMs.length ? { bow_ms_per_query_median: median(r.bowMs) } : {}),
    ...(verifyWanted(o) ? { verify_ms_per_query_median: median(r.verifyMs), verify_pairs: r.pairsChecked, verify_ms_per_pair: r.verifyMs.reduce((a, b) => a + b, 0) / Math.max(1, r.pairsChecked) } : {}),
  };
  console.log(`time per image: fingerprint (decode + signals) median ${timing.fingerprint_ms_median.toFixed(1)} ms, search median ${timing.search_ms_median.toFixed(2)} ms over ${timing.images} images`);
  console.log(JSON.stringify({
    signals: p.signals.map((s) => s.name), top1: m.top1, top1_by_tier: Object.fromEntries(Object.entries(m.top1ByTier).map(([k, v]) => [k, v.accuracy])),
    uAP: m.microAP, recall_at_p90: m.recallAtP90, threshold_at_p90: Number.isFinite(m.thresholdAtP90) ? m.thresholdAtP90 : null,
    distractor_fpr_at_p90: m.distractorFprAtP90, at_threshold: m.atThreshold, ...timing,
  }));
}

/** The benchmark through `copycat serve` over HTTP: the service's own answers, scored the same way. */
async function cmdBenchServed(o: Record<string, string | undefined>, truth: TruthRow[], top: number): Promise<void> {
  const r = await benchServed({ refs: need(o.refs, '--refs'), queries: need(o.queries, '--queries'), top, concurrency: 2 });
  if (o.out) writeFileSync(o.out, 'query,source,score\n' + r.rows.map((x) => `${x.query},${x.source},${x.score.toFixed(6)}`).join('\n') + '\n');
  const preds = r.rows.map((x) => ({ query: x.query, source: x.source, score: Number(x.score.toFixed(6)) }));
  const m = evaluate(truth, preds, o.threshold !== undefined ? Number(o.threshold) : r.copyThreshold);
  reportFailures(r.failures);
  console.log(formatMetrics(m));
  console.log(`search round trip (2 in flight): median ${median(r.searchMs).toFixed(0)} ms; verification ${JSON.stringify(r.verification)}`);
  console.log(JSON.stringify({
    served: true, top1: m.top1, top1_by_tier: Object.fromEntries(Object.entries(m.top1ByTier).map(([k, v]) => [k, v.accuracy])),
    uAP: m.microAP, recall_at_p90: m.recallAtP90, at_threshold: m.atThreshold, search_ms_median: median(r.searchMs), verification: r.verification,
  }));
  if (r.failures.length) process.exitCode = 1;
}

/** Real JPEG, PNG and WebP files from the s1 benchmark (fuzzing needs valid files to mutate). */
function defaultFuzzSeeds(): string[] {
  const pick = (dir: string, ext: string, n: number) => listImages(dir).filter((f) => f.endsWith(ext)).slice(0, n);
  const s1 = `${ROOT}../shared/bench/s1/`;
  const seeds = [...pick(`${s1}refs`, '.jpg', 4), ...pick(`${s1}queries`, '.png', 4), ...pick(`${s1}queries`, '.webp', 4)];
  if (!seeds.length) throw new UsageError('no seed images: pass JPEG/PNG/WebP files, or provide ../shared/bench/s1');
  return seeds;
}

/** Geometric verification is the default pipeline; --no-verify leaves global signals alone (--verify is accepted, a no-op). */
function verifyWanted(o: { 'no-verify'?: boolean }): boolean {
  return !o['no-verify'];
}

/** The BoW shortlist's vocabulary when --verify wants it; without the file, --verify checks global candidates only. */
function vocabularyFor(o: { 'no-verify'?: boolean; vocab?: string; 'no-bow'?: boolean }): Vocabulary | undefined {
  if (!verifyWanted(o) || o['no-bow']) return undefined;
  const path = o.vocab ?? `${ROOT}models/orb-vocab.bin`;
  if (!existsSync(path)) {
    console.error(`copycat: warning: no vocabulary at ${path}; --verify checks the global candidates only`);
    return undefined;
  }
  return Vocabulary.fromBytes(new Uint8Array(readFileSync(path)));
}

function reportFailures(failures: { file: string; error: string }[]): void {
  for (const f of failures) console.error(`skipped ${f.file}: ${f.error}`);
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`copycat: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`copycat: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.COPYCAT_DEBUG && err instanceof Error) console.error(err.stack);
  process.exit(1);
});
