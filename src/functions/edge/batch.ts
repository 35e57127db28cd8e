/**
 * POST /v1/batch/images: many references at once, fingerprinted by the caller (`copycat upload`
 * runs the same core in Node on every core it has), so bulk indexing is not bound by the Worker's
 * one thread per request. Multipart: `images` (JSON array of {id, width, height, metadata?}) and per
 * item i a file `fingerprint_<i>` (packed fingerprint), optionally `local_<i>` (serialized
 * local features, handed to the origin) and `thumb_<i>` (a JPEG thumbnail for the console). Everything is validated before anything is written; the
 * catalog writes each shard's part in one transaction. An overloaded shard answers 503 with
 * Retry-After, which the CLI honours: that is the back-pressure.
 */
import { Hono, type Context } from 'hono';
import type { Metadata } from '../../core/index/vector-index.ts';
import { unpackFingerprint } from '../../core/signals/fingerprint.ts';
import { ApiError } from '../http/errors.ts';
import { fileField, parseMetadata, readForm, textField, validId } from '../http/request.ts';
import { requestIdOf } from '../http/request-id.ts';
import { requireScope, storedNamespace } from './auth.ts';
import { catalog, type CatalogEnv } from './operations.ts';
import { OriginClient } from './origin-client.ts';
import { createEdgePipeline } from './pipeline.ts';
import { putThumbnail } from './thumbnails.ts';
import { MAX_BATCH, type UpsertInput } from './store.ts';

const MAX_FINGERPRINT_BYTES = 64 * 1024;
const MAX_LOCAL_BYTES = 2 * 1024 * 1024;
const MAX_THUMB_BYTES = 256 * 1024;

type BatchEnv = { Bindings: CatalogEnv };

interface Item { id: string; width: number; height: number; metadata?: Metadata }

export const batchRoutes = new Hono<BatchEnv>();

batchRoutes.post('/images', requireScope('write'), async (c) => {
  const namespace = storedNamespace(c);
  const form = await readForm(c);
  const items = parseItems(await textField(form, 'images'));
  const inputs: UpsertInput[] = [];
  const local: { id: string; features: Uint8Array }[] = [];
  const thumbs: { id: string; jpeg: Uint8Array }[] = [];
  for (const [i, it] of items.entries()) {
    const fingerprint = await fileField(form, `fingerprint_${i}`, MAX_FINGERPRINT_BYTES);
    if (!fingerprint) throw new ApiError(400, 'missing_fingerprint', `images[${i}] (${it.id}) has no file field fingerprint_${i}`);
    checkFingerprint(fingerprint, i);
    inputs.push({ ...it, namespace, fingerprint });
    const f = await fileField(form, `local_${i}`, MAX_LOCAL_BYTES);
    if (f) local.push({ id: it.id, features: f });
    const t = await fileField(form, `thumb_${i}`, MAX_THUMB_BYTES);
    if (t && !(t[0] === 0xff && t[1] === 0xd8)) throw new ApiError(415, 'unsupported_type', `thumb_${i} must be a JPEG`);
    if (t) thumbs.push({ id: it.id, jpeg: t });
  }
  const res = await upsertWithBackPressure(c, inputs);
  const created = res.filter((r) => r.created).length;
  const bucket = c.env.THUMBS;
  if (bucket) await Promise.all(thumbs.map((t) => putThumbnail(bucket, namespace, t.id, t.jpeg)));
  const origin = local.length ? await new OriginClient(c.env, requestIdOf(c)).storeFeaturesBatch(namespace, local) : null;
  return c.json({
    count: inputs.length, created, updated: inputs.length - created, thumbnails: bucket ? thumbs.length : 0,
    localFeatures: origin === null ? { status: 'none_sent' }
      : origin.status === 'ok' ? { status: 'stored', count: origin.value.count } : { status: origin.status, reason: origin.reason },
  });
});

async function upsertWithBackPressure(c: Context<BatchEnv>, inputs: UpsertInput[]) {
  try {
    return await catalog(c.env).upsertMany(inputs);
  } catch (err) {
    // Durable Objects mark a shed request `overloaded`: nothing of it was written; try again later.
    if ((err as { overloaded?: boolean })?.overloaded) {
      c.header('retry-after', '1');
      throw new ApiError(503, 'overloaded', 'a catalog shard is overloaded; retry after the Retry-After delay');
    }
    throw err;
  }
}

function parseItems(text: string | null): Item[] {
  if (text === null) throw new ApiError(400, 'missing_images', 'multipart body needs a field "images": a JSON array of {id, width, height, metadata?}');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_images', '"images" must be a JSON array');
  }
  if (!Array.isArray(v) || v.length < 1 || v.length > MAX_BATCH) throw new ApiError(400, 'bad_images', `"images" must be an array of 1 to ${MAX_BATCH} items`);
  const seen = new Set<string>();
  return v.map((x, i) => {
    const it = x as Partial<Item> | null;
    if (!it || typeof it.id !== 'string' || !validId(it.id)) throw new ApiError(400, 'bad_id', `images[${i}].id must be 1-128 characters of A-Z a-z 0-9 . _ - and start with a letter or digit`);
    if (seen.has(it.id)) throw new ApiError(400, 'duplicate_id', `images[${i}].id "${it.id}" appears twice in the batch`);
    seen.add(it.id);
    for (const k of ['width', 'height'] as const) {
      if (!Number.isInteger(it[k]) || (it[k] as number) < 1) throw new ApiError(400, 'bad_size', `images[${i}].${k} must be a positive integer`);
    }
    const metadata = it.metadata === undefined ? undefined : parseMetadata(JSON.stringify(it.metadata));
    return { id: it.id, width: it.width as number, height: it.height as number, metadata };
  });
}

/** The whole batch is refused if one fingerprint is not this deployment's (signals and versions). */
function checkFingerprint(bytes: Uint8Array, i: number): void {
  const signals = createEdgePipeline().signals;
  let fp;
  try {
    fp = unpackFingerprint(signals, bytes);
  } catch (err) {
    throw new ApiError(422, 'bad_fingerprint', `fingerprint_${i}: ${err instanceof Error ? err.message : 'not a packed fingerprint'}`);
  }
  const missing = signals.filter((s) => fp[s.name] === undefined).map((s) => `${s.name} v${s.version}`);
  if (missing.length) throw new ApiError(422, 'bad_fingerprint', `fingerprint_${i} lacks ${missing.join(', ')} (made by another pipeline version?)`);
}
