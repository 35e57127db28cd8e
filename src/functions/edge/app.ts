/**
 * The edge API as a hono app: decode and fingerprint in the Worker, then one call to the catalog
 * Durable Object. Routes are documented in openapi.ts and README.md.
 */
import { Hono, type Context } from 'hono';
import { describePdq } from '../../core/pipeline.ts';
import { ApiError } from '../http/errors.ts';
import { checkedId, installErrorHandlers, namespaceOf, readUpload } from '../http/request.ts';
import { requestIdOf } from '../http/request-id.ts';
import { OPENAPI } from './openapi.ts';
import { createEdgePipeline } from './pipeline.ts';
import { OriginClient, verifyBand } from './origin-client.ts';
import { catalog, fingerprintImage, indexImage, limitsOf, searchImage } from './operations.ts';
import type { StoredImageInfo } from './store.ts';
import { authenticate, requireScope, storedNamespace, visibleNamespace } from './auth.ts';
import consoleHtml from './console/index.html';
import { batchRoutes } from './batch.ts';
import { deleteThumbnail, getThumbnail } from './thumbnails.ts';
import { keyRoutes } from './key-routes.ts';
import type { ConsumerEnv } from './webhooks/consumer.ts';
import { webhookRoutes } from './webhooks/routes.ts';

export interface Env extends ConsumerEnv {}

type AppEnv = { Bindings: Env };

export const app = new Hono<AppEnv>();
installErrorHandlers(app, 'edge', (c) => limitsOf(c.env).maxBytes);
app.use('*', authenticate(['/health', '/openapi.json', '/console', '/']));
app.route('/v1/keys', keyRoutes);
app.route('/v1/webhooks', webhookRoutes);
app.route('/v1/batch', batchRoutes);

function readImage(c: Context<AppEnv>) {
  return readUpload(c, limitsOf(c.env).maxBytes);
}

app.get('/health', (c) => c.json({ ok: true, service: 'copycat' }));
// The review console: a static page that calls the API above from the browser.
app.get('/console', (c) => c.html(consoleHtml));
app.get('/', (c) => c.redirect('/console'));
app.get('/openapi.json', (c) => c.json(OPENAPI));

app.put('/v1/images/:id', requireScope('write'), async (c) => {
  const id = checkedId(c);
  const { bytes, metadata } = await readImage(c);
  const r = await indexImage(c.env, storedNamespace(c), id, bytes, metadata, requestIdOf(c));
  return c.json({ id, namespace: namespaceOf(c), ...r, metadata }, r.created ? 201 : 200);
});

app.post('/v1/search', requireScope('read'), async (c) => {
  const namespace = storedNamespace(c);
  const topK = Number(c.req.query('topK') ?? 10);
  if (!Number.isInteger(topK) || topK < 1 || topK > 100) throw new ApiError(400, 'bad_topK', 'topK must be an integer from 1 to 100');
  const verify = c.req.query('verify') ?? 'true';
  if (verify !== 'true' && verify !== 'false') throw new ApiError(400, 'bad_verify', 'verify must be true or false');
  const explain = c.req.query('explain') === 'true';
  const { bytes } = await readImage(c);
  return c.json(await searchImage(c.env, namespace, bytes, { topK, verify: verify === 'true', explain, requestId: requestIdOf(c) }));
});

/** Fingerprint without indexing: PDQ interoperates with existing hash banks (HMA, ThreatExchange). */
app.post('/v1/fingerprint', requireScope('read'), async (c) => {
  const t0 = Date.now();
  const { bytes } = await readImage(c);
  const fp = await fingerprintImage(c.env, bytes);
  return c.json({
    width: fp.width, height: fp.height, ...describePdq(fp.fingerprint),
    signals: createEdgePipeline().signals.map((s) => s.name), bytes: fp.packed.length, tookMs: Date.now() - t0,
  });
});

app.get('/v1/images', requireScope('read'), async (c) => {
  const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 100) || 100, 1), 1000);
  const items = await catalog(c.env).list(storedNamespace(c), limit, c.req.query('after') ?? '');
  return c.json({ images: items, next: items.length === limit ? items[items.length - 1].id : null });
});

app.get('/v1/images/:id', requireScope('read'), async (c) => {
  const id = checkedId(c);
  // The RPC stub types `unknown` metadata as unserializable; the values are plain JSON.
  const info = (await catalog(c.env).get(storedNamespace(c), id)) as unknown as StoredImageInfo | null;
  if (!info) throw new ApiError(404, 'not_found', `no image with id ${id}`);
  return c.json({ ...info, namespace: namespaceOf(c) });
});

app.get('/v1/images/:id/thumbnail', requireScope('read'), async (c) => {
  const id = checkedId(c);
  const obj = await getThumbnail(c.env, storedNamespace(c), id);
  if (!obj) throw new ApiError(404, 'not_found', `no thumbnail for ${id}${c.env.THUMBS ? '' : ' (no THUMBS bucket bound)'}`);
  return c.body(obj.body, 200, { 'content-type': 'image/jpeg', 'cache-control': 'private, max-age=300' });
});

app.delete('/v1/images/:id', requireScope('write'), async (c) => {
  const id = checkedId(c);
  const namespace = storedNamespace(c);
  const deleted = await catalog(c.env).remove(namespace, id);
  if (!deleted) throw new ApiError(404, 'not_found', `no image with id ${id}`);
  await deleteThumbnail(c.env, namespace, id);
  const local = await new OriginClient(c.env, requestIdOf(c)).deleteFeatures(namespace, id);
  return c.json({ id, deleted: true, localFeatures: local.status === 'ok' ? { status: 'deleted' } : { status: local.status, reason: local.reason } });
});

app.get('/v1/stats', requireScope('read'), async (c) => {
  const p = createEdgePipeline();
  const s = await catalog(c.env).stats();
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
