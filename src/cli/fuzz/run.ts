/**
 * `copycat fuzz` / `npm run fuzz`: mutated JPEG, PNG and WebP files derived from real images, fed
 * to the core decode + fingerprint path in a watched worker thread, then a sample of them to the
 * running edge (`wrangler dev`) with right and wrong content types. A crash is any failure other
 * than a typed ImageInputError (or the worker dying), a hang is a case past its deadline, and any
 * 5xx from the server fails the run. The last line is a one-line JSON summary.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Rng } from '../../core/quant/rng.ts';
import { startDevServer } from '../devserver.ts';
import { Progress } from '../progress.ts';
import { CONTENT_TYPES, MUTATIONS } from './mutate.ts';
import type { FuzzReply } from './worker.ts';

export interface FuzzOptions {
  seeds: string[];
  cases: number;
  serverSample: number;
  seed: number;
  caseTimeoutMs: number;
  /** Worker threads decoding in parallel (default: one per core). */
  concurrency: number;
  quiet?: boolean;
}

export interface FuzzSummary {
  cases: number;
  crashes: number;
  hangs: number;
  http5xx: number;
  serverCases: number;
  decoded: number;
  rejected: number;
  failures: { case: string; kind: string; detail?: string }[];
}

interface Case {
  name: string;
  bytes: Uint8Array;
}

function* cases(seeds: Uint8Array[], names: string[], n: number, seed: number): Generator<Case> {
  const rng = new Rng(seed);
  const kinds = Object.keys(MUTATIONS);
  for (let i = 0; i < n; i++) {
    const s = rng.int(seeds.length);
    const kind = kinds[rng.int(kinds.length)];
    const caseSeed = rng.int(0x7fffffff);
    yield { name: `${names[s]}:${kind}:${caseSeed}`, bytes: MUTATIONS[kind](seeds[s], new Rng(caseSeed)) };
  }
}

/** One worker thread at a time; replaced after a hang or a crash of the thread itself. */
class Target {
  private worker: Worker | null = null;

  private spawn(): Worker {
    return new Worker(new URL('../ts-worker.mjs', import.meta.url), { workerData: { module: new URL('./worker.ts', import.meta.url).href } });
  }

  run(c: Case, timeoutMs: number): Promise<FuzzReply | { outcome: 'hang' } | { outcome: 'crash'; detail: string }> {
    const w = (this.worker ??= this.spawn());
    return new Promise((resolve) => {
      const done = (r: FuzzReply | { outcome: 'hang' } | { outcome: 'crash'; detail: string }, restart: boolean) => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
        if (restart) {
          void w.terminate();
          this.worker = null;
        }
        resolve(r);
      };
      const onMessage = (r: FuzzReply) => done(r, false);
      const onExit = (code: number) => done({ outcome: 'crash', detail: `worker exited with ${code}` }, true);
      const timer = setTimeout(() => done({ outcome: 'hang' }, true), timeoutMs);
      w.on('message', onMessage);
      w.once('exit', onExit);
      w.postMessage({ id: 0, bytes: c.bytes });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}

export async function fuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const seeds = o.seeds.map((f) => new Uint8Array(readFileSync(f)));
  const summary: FuzzSummary = { cases: 0, crashes: 0, hangs: 0, http5xx: 0, serverCases: 0, decoded: 0, rejected: 0, failures: [] };
  const bar = new Progress('fuzz core', o.cases, o.quiet);
  const sample: Case[] = [];
  const every = Math.max(1, Math.floor(o.cases / Math.max(1, o.serverSample)));
  const gen = cases(seeds, o.seeds.map((f) => f.split('/').pop()!), o.cases, o.seed);
  let k = 0;
  // One worker per core; each case has its own deadline, the first few (WASM compile, JIT) a longer one.
  const lane = async () => {
    const target = new Target();
    let warm = 0;
    for (let next = gen.next(); !next.done; next = gen.next()) {
      const c = next.value;
      if (++k % every === 0 && sample.length < o.serverSample) sample.push(c);
      const r = await target.run(c, warm++ < 3 ? o.caseTimeoutMs * 10 : o.caseTimeoutMs);
      summary.cases++;
      if (r.outcome === 'ok') summary.decoded++;
      else if (r.outcome === 'rejected') summary.rejected++;
      else {
        if (r.outcome === 'hang') summary.hangs++;
        else summary.crashes++;
        summary.failures.push({ case: c.name, kind: r.outcome, detail: 'detail' in r ? r.detail : undefined });
      }
      bar.tick();
    }
    await target.close();
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, lane));
  bar.end();
  if (sample.length) await fuzzServer(sample, o, summary);
  return summary;
}

async function fuzzServer(sample: Case[], o: FuzzOptions, summary: FuzzSummary): Promise<void> {
  const srv = await startDevServer(mkdtempSync(join(tmpdir(), 'copycat-fuzz-')));
  const rng = new Rng(o.seed + 1);
  const bar = new Progress('fuzz http', sample.length, o.quiet);
  try {
    for (const c of sample) {
      const type = CONTENT_TYPES[rng.int(CONTENT_TYPES.length)];
      const path = rng.int(2) ? '/v1/fingerprint' : `/v1/images/fuzz-${summary.serverCases}?namespace=fuzz`;
      try {
        const res = await fetch(`${srv.url}${path}`, {
          method: path.startsWith('/v1/images') ? 'PUT' : 'POST', body: c.bytes, headers: type ? { 'content-type': type } : {},
          signal: AbortSignal.timeout(o.caseTimeoutMs * 6),
        });
        await res.arrayBuffer();
        if (res.status >= 500) {
          summary.http5xx++;
          summary.failures.push({ case: c.name, kind: 'http5xx', detail: `${res.status} ${type}` });
        }
      } catch (err) {
        summary.hangs++;
        summary.failures.push({ case: c.name, kind: 'http-hang', detail: String(err) });
      }
      summary.serverCases++;
      bar.tick();
    }
  } finally {
    bar.end();
    await srv.stop();
  }
}
