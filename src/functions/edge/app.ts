/**
 * The edge API as a hono app: decode and fingerprint in the Worker, then one call to the catalog
 * Durable Object. Routes are documented in openapi.ts and README.md.
 */
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { DEFAULT_LIMITS, type DecodeLimits } from '../../core/image/decode.ts';
import { verdictFor } from '../../core/fusion/fusion.ts';
import { describePdq, fingerprintBytes } from '../../core/pipeline.ts';
import { packFingerprint } from '../../core/signals/fingerprint.ts';
import type { SearchHit } from '../../core/index/catalog.ts';
import type { Metadata } from '../../core/index/vector-index.ts';
import { initEdgeCodecs } from './codecs.ts';
import { ApiError, errorResponse, toApiError } from './errors.ts';
import { OPENAPI } from './openapi.ts';
import { createEdgePipeline } from './pipeline.ts';
import type { CatalogStore } from './store.ts';

export interface Env {
  CATALOG: DurableObjectNamespace<CatalogStore>;
  MAX_IMAGE_BYTES?: string;
  MAX_IMAGE_PIXELS?: string;
}

type AppEnv = { Bindings: Env };

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const NS_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_METADATA_BYTES = 10_240;

export const app = new Hono<AppEnv>();

app.onError((err, c) => {
  if (err instanceof HTTPException && err.status < 500) {
    return errorResponse(c, new ApiError(err.status as 400, 'bad_request', err.message || 'bad request'));
  }
  const api = toApiError(err);
  if (api.status >= 500) console.error(JSON.stringify({ level: 'error', path: c.req.path, error: String(err) }));
  return errorResponse(c, api);
});
app.notFound((c) => errorResponse(c, new ApiError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)));

function limitsOf(env: Env): DecodeLimits {
  return {
    maxBytes: Number(env.MAX_IMAGE_BYTES) || DEFAULT_LIMITS.maxBytes,
    maxPixels: Number(env.MAX_IMAGE_PIXELS) || DEFAULT_LIMITS.maxPixels,
  };
}

function store(env: Env): DurableObjectStub<CatalogStore> {
  return env.CATALOG.get(env.CATALOG.idFromName('catalog'));
}

function checkedId(c: Context<AppEnv>): string {
  const id = c.req.param('id') ?? '';
  if (!ID_RE.test(id)) throw new ApiError(400, 'bad_id', 'id must be 1-128 characters of A-Z a-z 0-9 . _ - and start with a letter or digit');
  return id;
}

function namespaceOf(c: Context<AppEnv>): string {
  const ns = c.req.query('namespace') ?? 'default';
  if (!NS_RE.test(ns)) throw new ApiError(400, 'bad_namespace', 'namespace must be 1-64 characters of A-Z a-z 0-9 . _ -');
  return ns;
}

/** Reads the image (raw body or multipart `image` + `metadata`), refusing oversize bodies early. */
async function readUpload(c: Context<AppEnv>): Promise<{ bytes: Uint8Array; metadata?: Metadata }> {
  const max = limitsOf(c.env).maxBytes;
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > max) throw new ApiError(413, 'too_large', `body is ${declared} bytes; the limit is ${max}`);
  const type = c.req.header('content-type') ?? '';
  if (type.startsWith('multipart/form-data')) return readMultipart(c, max);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length > max) throw new ApiError(413, 'too_large', `body is ${bytes.length} bytes; the limit is ${max}`);
  return { bytes };
}

async function readMultipart(c: Context<AppEnv>, max: number): Promise<{ bytes: Uint8Array; metadata?: Metadata }> {
  let form: FormData;
  try {
    form = await c.req.raw.formData();
  } catch {
    throw new ApiError(400, 'bad_multipart', 'the multipart body could not be parsed');
  }
  const image = form.get('image') as File | string | null;
  if (!image || typeof image === 'string') throw new ApiError(400, 'missing_image', 'multipart body needs a file field named "image"');
  const bytes = new Uint8Array(await image.arrayBuffer());
  if (bytes.length > max) throw new ApiError(413, 'too_large', `image is ${bytes.length} bytes; the limit is ${max}`);
  const raw = form.get('metadata') as File | string | null;
  return { bytes, metadata: raw === null ? undefined : parseMetadata(typeof raw === 'string' ? raw : await raw.text()) };
}

function parseMetadata(text: string): Metadata {
  if (text.length > MAX_METADATA_BYTES) throw new ApiError(400, 'bad_metadata', `metadata is over ${MAX_METADATA_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_metadata', 'metadata must be a JSON object');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, 'bad_metadata', 'metadata must be a JSON object');
  return v as Metadata;
}

async function fingerprintUpload(c: Context<AppEnv>, bytes: Uint8Array) {
  await initEdgeCodecs();
  const p = createEdgePipeline();
  const res = await fingerprintBytes(p.signals, bytes, limitsOf(c.env));
  return { ...res, packed: packFingerprint(p.signals, res.fingerprint) };
}

app.get('/health', (c) => c.json({ ok: true, service: 'copycat' }));
app.get('/openapi.json', (c) => c.json(OPENAPI));

app.put('/v1/images/:id', async (c) => {
  const id = checkedId(c);
  const namespace = namespaceOf(c);
  const { bytes, metadata } = await readUpload(c);
  const fp = await fingerprintUpload(c, bytes);
  const { created } = await store(c.env).upsert({ id, namespace, metadata, width: fp.width, height: fp.height, fingerprint: fp.packed });
  return c.json({ id, namespace, created, width: fp.width, height: fp.height, ...describePdq(fp.fingerprint), metadata }, created ? 201 : 200);
});

app.post('/v1/search', async (c) => {
  const namespace = namespaceOf(c);
  const topK = Number(c.req.query('topK') ?? 10);
  if (!Number.isInteger(topK) || topK < 1 || topK > 100) throw new ApiError(400, 'bad_topK', 'topK must be an integer from 1 to 100');
  const t0 = Date.now();
  const { bytes } = await readUpload(c);
  const fp = await fingerprintUpload(c, bytes);
  // The RPC stub types `unknown` metadata as unserializable; the values are plain JSON.
  const hits = (await store(c.env).search(fp.packed, namespace, topK)) as unknown as SearchHit[];
  const fusion = createEdgePipeline().fusion;
  const best = hits[0]?.score ?? 0;
  return c.json({
    matches: hits.map((h) => ({ id: h.id, score: h.score, signals: h.signals, metadata: h.metadata })),
    verdict: verdictFor(fusion, best),
    threshold: fusion.copyThreshold,
    reviewThreshold: fusion.reviewThreshold,
    query: { width: fp.width, height: fp.height, ...describePdq(fp.fingerprint) },
    tookMs: Date.now() - t0,
  });
});

/** Fingerprint without indexing: PDQ interoperates with existing hash banks (HMA, ThreatExchange). */
app.post('/v1/fingerprint', async (c) => {
  const t0 = Date.now();
  const { bytes } = await readUpload(c);
  const fp = await fingerprintUpload(c, bytes);
  return c.json({
    width: fp.width, height: fp.height, ...describePdq(fp.fingerprint),
    signals: createEdgePipeline().signals.map((s) => s.name), bytes: fp.packed.length, tookMs: Date.now() - t0,
  });
});

app.get('/v1/images', async (c) => {
  const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 100) || 100, 1), 1000);
  const items = await store(c.env).list(namespaceOf(c), limit, c.req.query('after') ?? '');
  return c.json({ images: items, next: items.length === limit ? items[items.length - 1].id : null });
});

app.get('/v1/images/:id', async (c) => {
  const id = checkedId(c);
  const info = await store(c.env).get(namespaceOf(c), id);
  if (!info) throw new ApiError(404, 'not_found', `no image with id ${id}`);
  return c.json(info);
});

app.delete('/v1/images/:id', async (c) => {
  const id = checkedId(c);
  const deleted = await store(c.env).remove(namespaceOf(c), id);
  if (!deleted) throw new ApiError(404, 'not_found', `no image with id ${id}`);
  return c.json({ id, deleted: true });
});

app.get('/v1/stats', async (c) => {
  const p = createEdgePipeline();
  const s = await store(c.env).stats();
  return c.json({
    ...s,
    signals: p.signals.map((x) => ({ name: x.name, version: x.version, dimensions: x.index.dimensions })),
    fusion: { signals: p.fusion.signals, copyThreshold: p.fusion.copyThreshold, reviewThreshold: p.fusion.reviewThreshold, fittedOn: p.fusion.fittedOn },
    store: 'durable-object-sqlite',
  });
});
