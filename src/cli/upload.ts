/**
 * `copycat upload <dir> --url <edge>`: bulk indexing into a running service. Fingerprints and ORB
 * features are made here, one worker thread per core, and sent in batches to POST
 * /v1/batch/images, so the service only stores. Back-pressure both ways: at most `inFlight` batches
 * are on the wire and extraction stops while that many are waiting; 429/503 answers (and dropped
 * connections) are retried after Retry-After or an exponential backoff. A batch refused for its
 * content (other 4xx) is reported and skipped: nothing is silently lost, the summary counts it.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { idOf, listImages } from './files.ts';
import { Progress } from './progress.ts';
import type { UploadJob, UploadResult } from './upload-worker.ts';

export interface UploadOptions {
  dir: string;
  url: string;
  key?: string;
  namespace?: string;
  workers?: number;
  batch?: number;
  inFlight?: number;
  local?: boolean;
  limit?: number;
  quiet?: boolean;
}

interface Ready { id: string; r: Extract<UploadResult, { ok: true }> }

const MAX_TRIES = 8;

export async function upload(o: UploadOptions) {
  const files = listImages(o.dir).slice(0, o.limit ?? Infinity);
  const workers = Math.max(1, o.workers ?? availableParallelism());
  const batchSize = Math.min(Math.max(1, o.batch ?? 50), 500);
  const inFlight = Math.max(1, o.inFlight ?? 2);
  const progress = new Progress('upload', files.length, o.quiet);
  const stages: Record<string, number> = {};
  const failures: { id: string; error: string }[] = [];
  let created = 0, updated = 0, retries = 0, uploadMs = 0;
  const t0 = performance.now();

  const pending: Ready[] = [];
  const sending = new Set<Promise<void>>();
  const send = (batch: Ready[]) => {
    const p = postBatch(o, batch.map(({ id, r }) => ({ id, ...r }))).then((r) => {
      retries += r.retries;
      uploadMs += r.ms;
      if (r.ok) {
        created += r.created;
        updated += r.updated;
      } else {
        for (const b of batch) failures.push({ id: b.id, error: r.error });
      }
      progress.tick(batch.length);
    }).finally(() => sending.delete(p));
    sending.add(p);
  };
  const flush = async (all: boolean) => {
    const enough = () => pending.length >= (all ? 1 : batchSize);
    while (enough()) {
      while (sending.size >= inFlight) await Promise.race(sending);
      // Another worker's loop may have taken the batch while this one waited.
      if (enough()) send(pending.splice(0, batchSize));
    }
  };

  const pool = Array.from({ length: Math.min(workers, files.length || 1) }, () =>
    new Worker(new URL('./ts-worker.mjs', import.meta.url), { workerData: { module: new URL('./upload-worker.ts', import.meta.url).href } }));
  try {
    let next = 0;
    await Promise.all(pool.map(async (w) => {
      while (next < files.length) {
        const seq = next++;
        const r = await extract(w, { seq, path: files[seq], local: o.local !== false });
        if (!r.ok) {
          failures.push({ id: idOf(files[seq]), error: r.error });
          progress.tick();
          continue;
        }
        for (const [k, v] of Object.entries(r.ms)) stages[k] = (stages[k] ?? 0) + v;
        pending.push({ id: idOf(files[seq]), r });
        // Extraction waits here while the uploads are behind: memory stays bounded.
        await flush(false);
      }
    }));
    await flush(true);
    await Promise.all(sending);
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
    progress.end();
  }
  const secs = (performance.now() - t0) / 1000;
  const extracted = files.length - failures.length;
  const perImage = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(v / Math.max(extracted, 1))]));
  for (const f of failures.slice(0, 20)) process.stderr.write(`copycat upload: ${f.id}: ${f.error}\n`);
  return {
    images: files.length, created, updated, failed: failures.length, retries, seconds: round(secs),
    images_per_s: round(files.length / secs), workers, batch: batchSize,
    // CPU time per image in each stage, summed over worker threads; upload: wall time per batch call.
    stage_ms_per_image: perImage, upload_ms_per_batch: round(uploadMs / Math.max(1, Math.ceil(files.length / batchSize))),
  };
}

function extract(w: Worker, job: UploadJob): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (r: UploadResult) => {
      if (r.seq !== job.seq) return;
      w.off('message', onMessage);
      w.off('error', reject);
      resolve(r);
    };
    w.on('message', onMessage);
    w.once('error', reject);
    w.postMessage(job);
  });
}

type BatchOutcome = { ok: true; created: number; updated: number; retries: number; ms: number } | { ok: false; error: string; retries: number; ms: number };

export interface BatchItem { id: string; width: number; height: number; fingerprint: Uint8Array; local?: Uint8Array; thumbnail?: Uint8Array }
export interface BatchTarget { url: string; key?: string; namespace?: string }

/** One POST /v1/batch/images, retried on 429/503/5xx and dropped connections. */
export async function postBatch(o: BatchTarget, batch: BatchItem[]): Promise<BatchOutcome> {
  const form = new FormData();
  form.set('images', JSON.stringify(batch.map(({ id, width, height }) => ({ id, width, height }))));
  batch.forEach((r, i) => {
    form.set(`fingerprint_${i}`, new Blob([r.fingerprint]), `fingerprint_${i}`);
    if (r.local) form.set(`local_${i}`, new Blob([r.local]), `local_${i}`);
    if (r.thumbnail) form.set(`thumb_${i}`, new Blob([r.thumbnail], { type: 'image/jpeg' }), `thumb_${i}`);
  });
  const url = `${o.url.replace(/\/$/, '')}/v1/batch/images?namespace=${encodeURIComponent(o.namespace ?? 'default')}`;
  const t0 = performance.now();
  let lastError = '';
  let retryAfterMs = 0;
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    if (attempt > 0) await sleep(retryAfterMs || backoff(attempt));
    try {
      const res = await fetch(url, { method: 'POST', body: form, headers: o.key ? { authorization: `Bearer ${o.key}` } : {} });
      const body = (await res.json().catch(() => null)) as { created?: number; updated?: number; error?: { code: string; message: string } } | null;
      if (res.ok) return { ok: true, created: body?.created ?? 0, updated: body?.updated ?? 0, retries: attempt, ms: performance.now() - t0 };
      const after = Number(res.headers.get('retry-after'));
      if (res.status === 429 || res.status >= 500) {
        lastError = `${res.status} ${body?.error?.message ?? ''}`;
        retryAfterMs = after > 0 ? after * 1000 : 0;
        continue;
      }
      return { ok: false, error: `${res.status} ${body?.error?.code}: ${body?.error?.message}`, retries: attempt, ms: performance.now() - t0 };
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      retryAfterMs = 0;
    }
  }
  return { ok: false, error: `gave up after ${MAX_TRIES} tries: ${lastError}`, retries: MAX_TRIES - 1, ms: performance.now() - t0 };
}

const backoff = (attempt: number) => Math.min(30_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number) => Math.round(x * 100) / 100;
