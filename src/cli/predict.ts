/**
 * The batch job every benchmark depends on: index a directory of references, search each query,
 * keep the top-K (query, source, score) rows. `predict`, `match` and `bench` are thin views of it.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Catalog } from '../core/index/catalog.ts';
import type { LocalFeatures } from '../core/local/index.ts';
import { bagOf, InvertedIndex } from '../core/local/bow.ts';
import type { Vocabulary } from '../core/local/vocab.ts';
import type { LocalMode } from '../core/pipeline.ts';
import { DEFAULT_RERANK, rerank } from '../core/verify/rerank.ts';
import { DEFAULT_BOW_SHORTLIST, extraCandidates, mergeChecked } from '../core/verify/shortlist.ts';
import { idOf, listImages } from './files.ts';
import { Progress } from './progress.ts';
import type { Pipeline } from './runtime.ts';

export interface PredictRow { query: string; queryFile: string; source: string; sourceFile: string; score: number; signals: Record<string, number> }

export interface PredictResult {
  rows: PredictRow[];
  /** Milliseconds of geometric verification per query (all its checked candidates). */
  verifyMs: number[];
  /** Candidate pairs checked. */
  pairsChecked: number;
  /** With a vocabulary: milliseconds per query to quantise its features and search the BoW index. */
  bowMs: number[];
  /** Decode + fingerprint milliseconds per image, refs and queries together. */
  fingerprintMs: number[];
  searchMs: number[];
  failures: { file: string; error: string }[];
}

export interface PredictOptions {
  refs: string;
  queries: string;
  top: number;
  quiet?: boolean;
  /** JSONL of every shortlisted candidate with its per-signal similarities (for fitting fusion). */
  dumpCandidates?: string;
  /** Re-rank the close candidates with local features and RANSAC (the origin's check). */
  verify?: boolean;
  /** With verify: also check the best references of a BoW shortlist over the ORB features. */
  vocabulary?: Vocabulary;
}

export async function runPredict(p: Pipeline, o: PredictOptions): Promise<PredictResult> {
  const refFiles = listImages(o.refs);
  const queryFiles = listImages(o.queries);
  if (!refFiles.length) throw new Error(`no JPEG, PNG or WebP images in ${o.refs}`);
  const catalog = new Catalog(p.signals, p.fusion, p.indexFactory);
  const res: PredictResult = { rows: [], fingerprintMs: [], searchMs: [], failures: [], verifyMs: [], pairsChecked: 0, bowMs: [] };
  const vocab = o.verify ? o.vocabulary : undefined;
  const bow = vocab && new InvertedIndex(vocab.size);
  const fileOf = new Map<string, string>();
  const refLocal = new Map<string, LocalFeatures>();
  const bar = new Progress('index ', refFiles.length, o.quiet);
  for (const f of refFiles) {
    const r = await fingerprintOrReport(p, f, res, o.verify ? 'ref' : 'none');
    if (r) {
      const fp = r.fingerprint;
      if (r.local) refLocal.set(idOf(f), r.local.features);
      if (r.local && bow) bow.add(idOf(f), bagOf(vocab.quantize(r.local.features.descriptors), r.local.features.descriptors));
      await catalog.add({ id: idOf(f), namespace: 'default', fingerprint: fp });
      fileOf.set(idOf(f), f);
    }
    bar.tick();
  }
  bar.end();
  if (o.dumpCandidates) writeFileSync(o.dumpCandidates, '');
  const qbar = new Progress('search', queryFiles.length, o.quiet);
  for (const f of queryFiles) {
    const r = await fingerprintOrReport(p, f, res, o.verify ? 'query' : 'none');
    if (r) {
      const t0 = performance.now();
      let hits = await catalog.search(r.fingerprint, { topK: o.dumpCandidates ? 1000 : o.top });
      res.searchMs.push(performance.now() - t0);
      if (r.local) {
        const t1 = performance.now();
        let checked = rerank(hits, r.local, (id) => refLocal.get(id), DEFAULT_RERANK, p.verify);
        if (bow) {
          const t2 = performance.now();
          const d = r.local.features.descriptors;
          const bowHits = bow.search(bagOf(vocab.quantize(d), d), { topK: DEFAULT_BOW_SHORTLIST.candidates, maxSignatureDistance: DEFAULT_BOW_SHORTLIST.maxSignatureDistance });
          res.bowMs.push(performance.now() - t2);
          const extras = await catalog.scoreIds(r.fingerprint, extraCandidates(checked, bowHits, DEFAULT_BOW_SHORTLIST.candidates));
          checked = mergeChecked(checked, extras, r.local, (id) => refLocal.get(id), DEFAULT_RERANK, p.verify);
        }
        res.verifyMs.push(performance.now() - t1);
        res.pairsChecked += checked.filter((h) => h.geometry).length;
        hits = checked;
      }
      if (o.dumpCandidates) {
        appendFileSync(o.dumpCandidates, JSON.stringify({ query: idOf(f), cands: hits.map((h) => [h.id, h.signals]) }) + '\n');
      }
      for (const h of hits.slice(0, o.top)) {
        res.rows.push({ query: idOf(f), queryFile: f, source: h.id, sourceFile: fileOf.get(h.id)!, score: h.score, signals: h.signals });
      }
    }
    qbar.tick();
  }
  qbar.end();
  return res;
}

async function fingerprintOrReport(p: Pipeline, file: string, res: PredictResult, local: LocalMode) {
  try {
    const r = await p.fingerprintFile(file, local);
    res.fingerprintMs.push(r.ms);
    return r;
  } catch (err) {
    res.failures.push({ file, error: err instanceof Error ? err.message : String(err) });
    return null;
  }
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
