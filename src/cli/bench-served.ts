/**
 * `copycat bench --served`: the benchmark through the service itself. `copycat serve` (edge in
 * workerd + origin on Node, what `npm start` runs) indexes the references over HTTP and answers
 * every query with POST /v1/search, so the metrics describe what a platform calling the API gets,
 * verification and all, rather than the in-process CLI pipeline.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from './devserver.ts';
import { idOf, listImages } from './files.ts';
import { Progress } from './progress.ts';

export interface ServedRow { query: string; source: string; score: number }

export interface ServedResult {
  rows: ServedRow[];
  failures: { file: string; error: string }[];
  /** Round trip per search request, ms (queries sent `concurrency` at a time). */
  searchMs: number[];
  /** How often the search said verification was done / skipped / unavailable. */
  verification: Record<string, number>;
  copyThreshold: number;
}

async function pool<T>(items: T[], n: number, f: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await f(items[i++]);
  }));
}

export async function benchServed(o: { refs: string; queries: string; top: number; concurrency: number; quiet?: boolean }): Promise<ServedResult> {
  const srv = await startServe(mkdtempSync(join(tmpdir(), 'copycat-served-')), { LOG_REQUESTS: 'false' });
  const res: ServedResult = { rows: [], failures: [], searchMs: [], verification: {}, copyThreshold: NaN };
  try {
    const refs = listImages(o.refs);
    const bar = new Progress('index ', refs.length, o.quiet);
    await pool(refs, o.concurrency, async (f) => {
      const r = await fetch(`${srv.url}/v1/images/${idOf(f)}`, { method: 'PUT', body: readFileSync(f) });
      if (!r.ok) res.failures.push({ file: f, error: `PUT ${r.status}: ${await r.text()}` });
      else await r.arrayBuffer();
      bar.tick();
    });
    bar.end();
    const queries = listImages(o.queries);
    const qbar = new Progress('search', queries.length, o.quiet);
    await pool(queries, o.concurrency, async (f) => {
      const t0 = performance.now();
      const r = await fetch(`${srv.url}/v1/search?topK=${o.top}`, { method: 'POST', body: readFileSync(f) });
      const body = (await r.json()) as { matches?: { id: string; score: number }[]; verification?: { status: string }; threshold?: number; error?: unknown };
      res.searchMs.push(performance.now() - t0);
      if (!r.ok || !body.matches) res.failures.push({ file: f, error: `search ${r.status}: ${JSON.stringify(body.error)}` });
      else {
        for (const m of body.matches) res.rows.push({ query: idOf(f), source: m.id, score: m.score });
        const v = body.verification?.status ?? 'none';
        res.verification[v] = (res.verification[v] ?? 0) + 1;
        res.copyThreshold = body.threshold ?? res.copyThreshold;
      }
      qbar.tick();
    });
    qbar.end();
  } finally {
    srv.stop();
  }
  return res;
}
