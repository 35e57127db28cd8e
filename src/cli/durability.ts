/**
 * `copycat durability`: what an acknowledged write survives. Each run starts the edge
 * (`wrangler dev`, embedded store), indexes images with several requests in flight, SIGKILLs the
 * server half-way through, restarts it on the same state and checks that every acknowledged id is
 * present and searchable, and that no unacknowledged id is half there (present but unsearchable).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type DevServer } from './devserver.ts';
import { idOf, listImages } from './files.ts';

export interface DurabilityOptions {
  images: string;
  runs: number;
  /** Images per run (default 40), concurrent requests (default 8), kill after this many acks (default half). */
  count: number;
  concurrency: number;
  log?: (line: string) => void;
}

export interface RunResult {
  acknowledged: number;
  lost: number;
  unacknowledgedPresent: number;
  halfThere: number;
}

async function ingest(srv: DevServer, files: string[], concurrency: number, killAfter: number): Promise<Set<string>> {
  const acked = new Set<string>();
  let next = 0;
  let killed = false;
  const lane = async () => {
    while (next < files.length && !killed) {
      const f = files[next++];
      try {
        const res = await fetch(`${srv.url}/v1/images/${idOf(f)}?namespace=durability`, { method: 'PUT', body: readFileSync(f) });
        if (res.status === 200 || res.status === 201) acked.add(idOf(f));
      } catch { /* the server died under this request: not acknowledged */ }
      if (acked.size >= killAfter && !killed) {
        killed = true;
        await srv.stop('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  if (!killed) await srv.stop('SIGKILL');
  return acked;
}

/** Present and found first by a search with its own image. */
async function check(srv: DevServer, f: string): Promise<'searchable' | 'absent' | 'unsearchable'> {
  const id = idOf(f);
  const get = await fetch(`${srv.url}/v1/images/${id}?namespace=durability`);
  await get.arrayBuffer();
  if (get.status === 404) return 'absent';
  const res = await fetch(`${srv.url}/v1/search?namespace=durability&topK=1&verify=false`, { method: 'POST', body: readFileSync(f) });
  const body = (await res.json()) as { matches?: { id: string }[] };
  return get.ok && body.matches?.[0]?.id === id ? 'searchable' : 'unsearchable';
}

export async function durabilityRun(o: DurabilityOptions, files: string[]): Promise<RunResult> {
  const state = mkdtempSync(join(tmpdir(), 'copycat-durability-'));
  const acked = await ingest(await startDevServer(state), files, o.concurrency, Math.floor(files.length / 2));
  const srv = await startDevServer(state);
  const r: RunResult = { acknowledged: acked.size, lost: 0, unacknowledgedPresent: 0, halfThere: 0 };
  try {
    for (const f of files) {
      const state = await check(srv, f);
      if (acked.has(idOf(f))) {
        if (state !== 'searchable') r.lost++;
      } else if (state === 'searchable') r.unacknowledgedPresent++;
      else if (state === 'unsearchable') r.halfThere++;
    }
  } finally {
    await srv.stop();
  }
  return r;
}

export async function durability(o: DurabilityOptions): Promise<{ runs: RunResult[]; acknowledged: number; lost: number; halfThere: number }> {
  const files = listImages(o.images).slice(0, o.count);
  if (files.length < 4) throw new Error(`need at least 4 images in ${o.images}`);
  const runs: RunResult[] = [];
  for (let i = 0; i < o.runs; i++) {
    const r = await durabilityRun(o, files);
    runs.push(r);
    o.log?.(`run ${i + 1}/${o.runs}: ${JSON.stringify(r)}`);
  }
  return {
    runs,
    acknowledged: runs.reduce((a, r) => a + r.acknowledged, 0),
    lost: runs.reduce((a, r) => a + r.lost, 0),
    halfThere: runs.reduce((a, r) => a + r.halfThere, 0),
  };
}
