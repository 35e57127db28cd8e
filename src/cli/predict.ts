/**
 * The batch job every benchmark depends on: index a directory of references, search each query,
 * keep the top-K (query, source, score) rows. `predict`, `match` and `bench` are thin views of it.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Catalog } from '../core/index/catalog.ts';
import type { Fingerprint } from '../core/signals/signal.ts';
import { idOf, listImages } from './files.ts';
import { Progress } from './progress.ts';
import type { Pipeline } from './runtime.ts';

export interface PredictRow { query: string; queryFile: string; source: string; sourceFile: string; score: number; signals: Record<string, number> }

export interface PredictResult {
  rows: PredictRow[];
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
}

export async function runPredict(p: Pipeline, o: PredictOptions): Promise<PredictResult> {
  const refFiles = listImages(o.refs);
  const queryFiles = listImages(o.queries);
  if (!refFiles.length) throw new Error(`no JPEG, PNG or WebP images in ${o.refs}`);
  const catalog = new Catalog(p.signals, p.fusion, p.indexFactory);
  const res: PredictResult = { rows: [], fingerprintMs: [], searchMs: [], failures: [] };
  const fileOf = new Map<string, string>();
  const bar = new Progress('index ', refFiles.length, o.quiet);
  for (const f of refFiles) {
    const fp = await fingerprintOrReport(p, f, res);
    if (fp) {
      await catalog.add({ id: idOf(f), namespace: 'default', fingerprint: fp });
      fileOf.set(idOf(f), f);
    }
    bar.tick();
  }
  bar.end();
  if (o.dumpCandidates) writeFileSync(o.dumpCandidates, '');
  const qbar = new Progress('search', queryFiles.length, o.quiet);
  for (const f of queryFiles) {
    const fp = await fingerprintOrReport(p, f, res);
    if (fp) {
      const t0 = performance.now();
      const hits = await catalog.search(fp, { topK: o.dumpCandidates ? 1000 : o.top });
      res.searchMs.push(performance.now() - t0);
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

async function fingerprintOrReport(p: Pipeline, file: string, res: PredictResult): Promise<Fingerprint | null> {
  try {
    const { fingerprint, ms } = await p.fingerprintFile(file);
    res.fingerprintMs.push(ms);
    return fingerprint;
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
