/**
 * `copycat load` / `npm run bench:load`: `copycat serve` (edge + origin, what `npm start` runs)
 * on loopback, driven by autocannon with 50 concurrent clients for 60 s: four searches to one
 * index request, over real photos. Errors are transport errors, timeouts and any non-2xx. The last
 * line is a one-line JSON summary.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startServe } from './devserver.ts';
import { idOf, listImages } from './files.ts';

export interface LoadOptions {
  images: string;
  connections: number;
  seconds: number;
  /** References indexed before the run (the rest are uploaded as index traffic). */
  preload: number;
}

export async function load(o: LoadOptions) {
  const files = listImages(o.images);
  if (files.length < 10) throw new Error(`need at least 10 images in ${o.images}`);
  const srv = await startServe(mkdtempSync(join(tmpdir(), 'copycat-load-')), { LOG_REQUESTS: 'false' });
  const url = srv.url;
  try {
    const refs = files.slice(0, o.preload);
    for (const f of refs) await fetch(`${url}/v1/images/${idOf(f)}`, { method: 'PUT', body: readFileSync(f) });
    const bodies = files.map((f) => readFileSync(f));
    let n = 0;
    const result = await autocannon({
      url, connections: o.connections, duration: o.seconds, timeout: 30,
      requests: [{
        setupRequest: (req) => {
          const k = n++;
          const body = bodies[k % bodies.length];
          return k % 5 === 4
            ? { ...req, method: 'PUT', path: `/v1/images/load-${k}`, body }
            : { ...req, method: 'POST', path: '/v1/search?topK=5', body };
        },
      }],
    });
    const errors = result.errors + result.timeouts + result.non2xx;
    return {
      requests: result.requests.total, errors, rps: Math.round(result.requests.average * 10) / 10,
      breakdown: { transport: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, status: result.statusCodeStats },
      p50_ms: result.latency.p50, p99_ms: result.latency.p99, connections: o.connections, seconds: o.seconds, preloaded: refs.length,
    };
  } finally {
    srv.stop();
  }
}
