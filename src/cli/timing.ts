/**
 * Fingerprint time per image in Node and in workerd over the same files, in one run, so the two
 * are compared as a ratio on the same (noisy) machine. workerd's clock does not advance during
 * compute, so its figure is the loopback round trip of POST /v1/fingerprint minus the median round
 * trip of GET /health (the fixed cost of a request).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer } from './devserver.ts';
import { listImages } from './files.ts';
import { median } from './predict.ts';
import { Progress } from './progress.ts';
import type { Pipeline } from './runtime.ts';

export interface TimingResult {
  images: number;
  nodeMedianMs: number;
  workerdMedianMs: number;
  requestOverheadMs: number;
  ratioWorkerdToNode: number;
  /** workerd's resident memory before the first request and after the run (all its isolates). */
  workerdRssMiB: { idle: number; after: number };
}

export async function timeRuntimes(p: Pipeline, dirs: string[], limit: number): Promise<TimingResult> {
  const files = dirs.flatMap(listImages).slice(0, limit);
  const nodeMs: number[] = [];
  const bar = new Progress('node   ', files.length);
  for (const f of files) {
    nodeMs.push((await p.fingerprintFile(f)).ms);
    bar.tick();
  }
  bar.end();
  const srv = await startDevServer(mkdtempSync(join(tmpdir(), 'copycat-timing-')));
  try {
    const rtt = async (init: () => Promise<Response>) => {
      const t0 = performance.now();
      const res = await init();
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`workerd answered ${res.status}`);
      return performance.now() - t0;
    };
    const idleRss = srv.workerdRssMiB();
    for (let i = 0; i < 5; i++) await rtt(() => fetch(`${srv.url}/v1/fingerprint`, { method: 'POST', body: readFileSync(files[0]) }));
    const health: number[] = [];
    for (let i = 0; i < 50; i++) health.push(await rtt(() => fetch(`${srv.url}/health`)));
    const edgeMs: number[] = [];
    const wbar = new Progress('workerd', files.length);
    for (const f of files) {
      const body = readFileSync(f);
      edgeMs.push(await rtt(() => fetch(`${srv.url}/v1/fingerprint`, { method: 'POST', body })));
      wbar.tick();
    }
    wbar.end();
    const overhead = median(health);
    const workerd = median(edgeMs) - overhead;
    const node = median(nodeMs);
    return {
      images: files.length, nodeMedianMs: node, workerdMedianMs: workerd, requestOverheadMs: overhead,
      ratioWorkerdToNode: workerd / node, workerdRssMiB: { idle: idleRss, after: srv.workerdRssMiB() },
    };
  } finally {
    await srv.stop();
  }
}
