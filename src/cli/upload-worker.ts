/**
 * One `copycat upload` worker thread: decode a file once, then every signal and the ORB features,
 * each timed, so the summary can say where bulk indexing spends its time.
 */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { decodeImage } from '../core/image/decode.ts';
import { serializeLocalFeatures } from '../core/local/index.ts';
import { localFeaturesOf } from '../core/pipeline.ts';
import { packFingerprint } from '../core/signals/fingerprint.ts';
import type { Fingerprint } from '../core/signals/signal.ts';
import { thumbnailJpeg } from '../core/image/thumbnail.ts';
import { nodeJpegEncoder } from '../functions/node/codecs.ts';
import { createPipeline } from './runtime.ts';

export interface UploadJob { seq: number; path: string; local: boolean }
export type UploadResult =
  | { seq: number; ok: true; width: number; height: number; fingerprint: Uint8Array; local?: Uint8Array; thumbnail?: Uint8Array; ms: Record<string, number> }
  | { seq: number; ok: false; error: string };

const ready = createPipeline();

parentPort!.on('message', async (job: UploadJob) => {
  const p = await ready;
  try {
    const ms: Record<string, number> = {};
    let t = performance.now();
    const lap = (name: string) => {
      const now = performance.now();
      ms[name] = now - t;
      t = now;
    };
    const bytes = new Uint8Array(readFileSync(job.path));
    lap('read');
    const img = await decodeImage(bytes);
    lap('decode');
    const fp: Fingerprint = {};
    for (const s of p.signals) {
      fp[s.name] = await s.extract(img);
      lap(s.name);
    }
    const fingerprint = packFingerprint(p.signals, fp);
    const local = job.local ? serializeLocalFeatures(localFeaturesOf(img, 'ref').features) : undefined;
    lap('orb');
    const thumbnail = (await thumbnailJpeg(img, await nodeJpegEncoder())).bytes;
    lap('thumbnail');
    const reply: UploadResult = { seq: job.seq, ok: true, width: img.width, height: img.height, fingerprint, local, thumbnail, ms };
    parentPort!.postMessage(reply, [fingerprint.buffer, thumbnail.buffer, ...(local ? [local.buffer] : [])] as ArrayBuffer[]);
  } catch (err) {
    parentPort!.postMessage({ seq: job.seq, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies UploadResult);
  }
});
