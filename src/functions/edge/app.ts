/**
 * The edge API as a hono app: decode and fingerprint in the Worker, then one call to the catalog
 * Durable Object. Routes are documented in openapi.ts and README.md.
 */
import { Hono, type Context } from 'hono';
import { DEFAULT_LIMITS, type DecodeLimits } from '../../core/image/decode.ts';
import { verdictFor } from '../../core/fusion/fusion.ts';
import { describePdq, fingerprintBytes } from '../../core/pipeline.ts';
import { packFingerprint } from '../../core/signals/fingerprint.ts';
import type { SearchHit } from '../../core/index/catalog.ts';
import { ApiError } from '../http/errors.ts';
import { checkedId, installErrorHandlers, namespaceOf, readUpload } from '../http/request.ts';
import { requestIdOf } from '../http/request-id.ts';
import { initEdgeCodecs } from './codecs.ts';
import { OPENAPI } from './openapi.ts';
import { createEdgePipeline } from './pipeline.ts';
import { OriginClient, verifyBand, type OriginEnv, type OriginOutcome } from './origin-client.ts';
import type { CatalogStore, StoredImageInfo } from './store.ts';
import { verifyHits } from './verification.ts';
import { authenticate, requireScope, storedNamespace, visibleNamespace, type AuthEnv } from './auth.ts';
import { keyRoutes } from './key-routes.ts';

export interface Env extends OriginEnv, AuthEnv {
  CATALOG: DurableObjectNamespace<CatalogStore>;
  MAX_IMAGE_BYTES?: string;
  MAX_IMAGE_PIXELS?: string;
}

type AppEnv = { Bindings: Env };

export const app = new Hono<AppEnv>();
installErrorHandlers(app, 'edge', (c) => limitsOf(c.env).maxBytes);
app.use('*', authenticate(['/health', '/openapi.json']));
app.route('/v1/keys', keyRoutes);

function limitsOf(env: Env): DecodeLimits {
  return {
    maxBytes: Number(env.MAX_IMAGE_BYTES) || DEFAULT_LIMITS.maxBytes,
    maxPixels: Number(env.MAX_IMAGE_PIXELS) || DEFAULT_LIMITS.maxPixels,
  };
}

function store(env: Env): DurableObjectStub<CatalogStore> {
  return env.CATALOG.get(env.CATALOG.idFromName('catalog'));
}

function readImage(c: Context<AppEnv>) {
  return readUpload(c, limitsOf(c.env).maxBytes);
}

/** An origin call's outcome as the API reports it. */
function originReport<T extends object>(r: OriginOutcome<T>): object {
  return r.status === 'ok' ? { status: 'stored', ...r.value } : { status: r.status, reason: r.reason };
}

async function fingerprintUpload(c: Context<AppEnv>, bytes: Uint8Array) {
  await initEdgeCodecs();
  const p = createEdgePipeline();
  const res = await fingerprintBytes(p.signals, bytes, limitsOf(c.env));
  return { ...res, packed: packFingerprint(p.signals, res.fingerprint) };
}

app.get('/health', (c) => c.json({ ok: true, service: 'copycat' }));
app.get('/openapi.json', (c) => c.json(OPENAPI));

app.put('/v1/images/:id', requireScope('write'), async (c) => {
  const id = checkedId(c);
  const namespace = storedNamespace(c);
  const { bytes, metadata } = await readImage(c);
  const fp = await fingerprintUpload(c, bytes);
  const { created } = await store(c.env).upsert({ id, namespace, metadata, width: fp.width, height: fp.height, fingerprint: fp.packed });
  // The global fingerprint is durable before the origin is asked; if the origin fails, the image is
  // still searchable, only unverifiable, and a repeated PUT of the same image repairs it.
  const local = originReport(await new OriginClient(c.env, requestIdOf(c)).storeFeatures(namespace, id, bytes));
  return c.json({ id, namespace: namespaceOf(c), created, width: fp.width, height: fp.height, ...describePdq(fp.fingerprint), metadata, localFeatures: local }, created ? 201 : 200);
});

app.post('/v1/search', requireScope('read'), async (c) => {
  const namespace = storedNamespace(c);
  const topK = Number(c.req.query('topK') ?? 10);
  if (!Number.isInteger(topK) || topK < 1 || topK > 100) throw new ApiError(400, 'bad_topK', 'topK must be an integer from 1 to 100');
  const verify = c.req.query('verify') ?? 'true';
  if (verify !== 'true' && verify !== 'false') throw new ApiError(400, 'bad_verify', 'verify must be true or false');
  const t0 = Date.now();
  const { bytes } = await readImage(c);
  const fp = await fingerprintUpload(c, bytes);
  // Ask for enough candidates to fill the verification band whatever topK the caller wants.
  const depth = Math.max(topK, Number(c.env.VERIFY_MAX_CANDIDATES) || 10);
  // The RPC stub types `unknown` metadata as unserializable; the values are plain JSON.
  const hits = (await store(c.env).search(fp.packed, namespace, depth)) as unknown as SearchHit[];
  const scoreIds = async (ids: string[]) => (await store(c.env).scoreIds(fp.packed, namespace, ids)) as unknown as SearchHit[];
  const checked = await verifyHits(c.env, namespace, bytes, hits, verify === 'true', scoreIds, requestIdOf(c));
  const fusion = createEdgePipeline().fusion;
  const best = checked.hits[0]?.score ?? 0;
  return c.json({
    matches: checked.hits.slice(0, topK).map((h) => ({ id: h.id, score: h.score, signals: h.signals, verification: h.verification, metadata: h.metadata })),
    verdict: verdictFor(fusion, best),
    threshold: fusion.copyThreshold,
    reviewThreshold: fusion.reviewThreshold,
    verification: checked.verification,
    query: { width: fp.width, height: fp.height, ...describePdq(fp.fingerprint) },
    tookMs: Date.now() - t0,
  });
});

/** Fingerprint without indexing: PDQ interoperates with existing hash banks (HMA, ThreatExchange). */
app.post('/v1/fingerprint', requireScope('read'), async (c) => {
  const t0 = Date.now();
  const { bytes } = await readImage(c);
  const fp = await fingerprintUpload(c, bytes);
  return c.json({
    width: fp.width, height: fp.height, ...describePdq(fp.fingerprint),
    signals: createEdgePipeline().signals.map((s) => s.name), bytes: fp.packed.length, tookMs: Date.now() - t0,
  });
});

app.get('/v1/images', requireScope('read'), async (c) => {
  const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 100) || 100, 1), 1000);
  const items = await store(c.env).list(storedNamespace(c), limit, c.req.query('after') ?? '');
  return c.json({ images: items, next: items.length === limit ? items[items.length - 1].id : null });
});

app.get('/v1/images/:id', requireScope('read'), async (c) => {
  const id = checkedId(c);
  // The RPC stub types `unknown` metadata as unserializable; the values are plain JSON.
  const info = (await store(c.env).get(storedNamespace(c), id)) as unknown as StoredImageInfo | null;
  if (!info) throw new ApiError(404, 'not_found', `no image with id ${id}`);
  return c.json({ ...info, namespace: namespaceOf(c) });
});

app.delete('/v1/images/:id', requireScope('write'), async (c) => {
  const id = checkedId(c);
  const namespace = storedNamespace(c);
  const deleted = await store(c.env).remove(namespace, id);
  if (!deleted) throw new ApiError(404, 'not_found', `no image with id ${id}`);
  const local = await new OriginClient(c.env, requestIdOf(c)).deleteFeatures(namespace, id);
  return c.json({ id, deleted: true, localFeatures: local.status === 'ok' ? { status: 'deleted' } : { status: local.status, reason: local.reason } });
});

app.get('/v1/stats', requireScope('read'), async (c) => {
  const p = createEdgePipeline();
  const s = await store(c.env).stats();
  // A tenant sees its own namespaces and counts only.
  const namespaces: Record<string, number> = {};
  for (const [stored, n] of Object.entries(s.namespaces)) {
    const ns = visibleNamespace(c, stored);
    if (ns !== null) namespaces[ns] = n;
  }
  return c.json({
    ...s,
    images: Object.values(namespaces).reduce((a, b) => a + b, 0),
    namespaces,
    signals: p.signals.map((x) => ({ name: x.name, version: x.version, dimensions: x.index.dimensions })),
    fusion: { signals: p.fusion.signals, copyThreshold: p.fusion.copyThreshold, reviewThreshold: p.fusion.reviewThreshold, fittedOn: p.fusion.fittedOn },
    store: 'durable-object-sqlite',
    origin: { configured: new OriginClient(c.env).configured, band: verifyBand(c.env) },
  });
});
