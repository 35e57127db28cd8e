/**
 * `copycat load` / `npm run bench:load`: `copycat serve` (edge + origin, what `npm start` runs)
 * on loopback, driven by autocannon with 50 concurrent clients for 60 s: four searches to one
 * index request, over real photos. Errors are transport errors, timeouts and any non-2xx. The last
 * line is a one-line JSON summary.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, ROOT } from './devserver.ts';
import { idOf, listImages } from './files.ts';

export interface LoadOptions {
  images: string;
  connections: number;
  seconds: number;
  /** References indexed before the run (the rest are uploaded as index traffic). */
  preload: number;
}

async function waitFor(url: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up`);
}

export async function load(o: LoadOptions) {
  const files = listImages(o.images);
  if (files.length < 10) throw new Error(`need at least 10 images in ${o.images}`);
  const [port, originPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [`${ROOT}bin/copycat.js`, 'serve', '--port', String(port), '--origin-port', String(originPort), '--persist-to', mkdtempSync(join(tmpdir(), 'copycat-load-'))], {
    cwd: ROOT, env: { ...process.env, LOG_REQUESTS: 'false', CI: 'true' }, stdio: ['ignore', 'ignore', 'inherit'], detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/health`);
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
    try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
  }
}
