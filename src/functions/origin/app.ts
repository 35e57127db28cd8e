/**
 * The origin function: the heavier half of copycat, which keeps every reference's local features
 * and checks (query, candidate) pairs geometrically. The edge sends it the candidates whose fused
 * score is in the verification band; it answers with inliers, overlap and the transform for each.
 * Runtime-free apart from what is injected (feature store, codec start-up), so the same app runs
 * on Node (src/functions/node/origin.ts) and as a Worker (./worker.ts).
 */
import { Hono, type Context } from 'hono';
import { DEFAULT_LIMITS, type DecodeLimits } from '../../core/image/decode.ts';
import { deserializeLocalFeatures, serializeLocalFeatures, type VerifyOptions } from '../../core/local/index.ts';
import { localFeaturesFromBytes } from '../../core/pipeline.ts';
import { checkPair, type Geometry, type QueryFeatures } from '../../core/verify/rerank.ts';
import { constantTimeEqual, sha256Hex } from '../../core/auth/keys.ts';
import { ApiError } from '../http/errors.ts';
import { checkedId, checkedNamespace, fileField, STORED_NAMESPACE_MAX, installErrorHandlers, namespaceOf, readForm, readUpload, textField, validId } from '../http/request.ts';
import type { BowShortlist } from './bow-shortlist.ts';
import { FeatureCache, type FeatureStore } from './feature-store.ts';

export interface OriginOptions {
  store: FeatureStore;
  /** Makes the image codecs ready (WASM modules differ between Node and Workers). */
  initCodecs: () => Promise<void>;
  limits?: DecodeLimits;
  /** Decoded features kept in memory, in serialized bytes (default 256 MiB). */
  cacheBytes?: number;
  /** Matcher and RANSAC settings, e.g. `{ match: { kernel } }` with the WASM SIMD kernel. */
  verify?: VerifyOptions;
  /** The BoW index that adds crop-proof candidates (rebuilt from the store on start when it can list). */
  shortlist?: BowShortlist;
  /** When set, /v1/* needs `Authorization: Bearer <token>` (the edge's ORIGIN_TOKEN): for an origin reachable beyond loopback. */
  token?: string;
}

/** Most candidates one verify call may name: a query's shortlist, not a scan. */
export const MAX_VERIFY_CANDIDATES = 50;
const MAX_FEATURE_BYTES = 2 * 1024 * 1024;

export type PairStatus = 'verified' | 'rejected' | 'missing';

export interface PairResult extends Partial<Geometry> {
  id: string;
  status: PairStatus;
  /** 'candidate': named by the caller; 'bow': added from the BoW shortlist (with its bowScore). */
  source: 'candidate' | 'bow';
  bowScore?: number;
  /** Milliseconds of matching + RANSAC for this pair (mirror retry included). */
  ms?: number;
}

/** Rolling record of per-pair verification times, for /v1/stats. */
class PairTimes {
  private readonly xs: number[] = [];
  add(ms: number): void {
    this.xs.push(ms);
    if (this.xs.length > 1000) this.xs.shift();
  }
  summary() {
    const s = [...this.xs].sort((a, b) => a - b);
    const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null);
    return { pairs: s.length, medianMs: q(0.5), p90Ms: q(0.9) };
  }
}

export function createOriginApp(o: OriginOptions): Hono {
  const limits = o.limits ?? DEFAULT_LIMITS;
  const cache = new FeatureCache(o.store, o.cacheBytes);
  const times = new PairTimes();
  const ready = rebuildShortlist(o.store, cache, o.shortlist);
  const app = new Hono();
  installErrorHandlers(app, 'origin', () => limits.maxBytes);
  app.use('/v1/*', async (c, next) => {
    if (o.token && !constantTimeEqual(await sha256Hex(c.req.header('authorization') ?? ''), await sha256Hex(`Bearer ${o.token}`))) {
      throw new ApiError(401, 'unauthorized', 'this origin needs "Authorization: Bearer <ORIGIN_TOKEN>"');
    }
    await ready;
    await next();
  });

  app.get('/health', (c) => c.json({ ok: true, service: 'copycat-origin' }));

  app.get('/v1/stats', async (c) =>
    c.json({
      store: await o.store.stats(),
      cache: { bytes: cache.cachedBytes, maxBytes: cache.maxBytes, hits: cache.hits, misses: cache.misses },
      verify: times.summary(),
      shortlist: o.shortlist ? { references: o.shortlist.size, vocabulary: o.shortlist.vocabulary.describe() } : null,
    }),
  );

  app.put('/v1/features/:id', async (c) => {
    const id = checkedId(c);
    const namespace = namespaceOf(c, STORED_NAMESPACE_MAX);
    const t0 = Date.now();
    const { bytes } = await readUpload(c, limits.maxBytes);
    await o.initCodecs();
    const q = await localFeaturesFromBytes(bytes, limits, 'ref');
    const packed = serializeLocalFeatures(q.features);
    await cache.put(namespace, id, packed, q.features);
    o.shortlist?.add(namespace, id, q.features);
    return c.json({ id, namespace, keypoints: q.features.count, bytes: packed.length, width: q.width, height: q.height, tookMs: Date.now() - t0 }, 201);
  });

  /** Features extracted by the caller (copycat upload via the edge's batch route): nothing to decode. */
  app.post('/v1/features/batch', async (c) => {
    const namespace = namespaceOf(c, STORED_NAMESPACE_MAX);
    const form = await readForm(c);
    const ids = parseIds(await textField(form, 'ids'));
    const parsed = [];
    for (const [i, id] of ids.entries()) {
      const bytes = await fileField(form, `features_${i}`, MAX_FEATURE_BYTES);
      if (!bytes) throw new ApiError(400, 'missing_features', `no file field features_${i} for ${id}`);
      parsed.push({ id, bytes, features: parseFeatures(bytes, `features_${i}`) });
    }
    for (const p of parsed) {
      await cache.put(namespace, p.id, p.bytes, p.features);
      o.shortlist?.add(namespace, p.id, p.features);
    }
    return c.json({ namespace, count: parsed.length });
  });

  app.get('/v1/features/:id', async (c) => {
    const id = checkedId(c);
    const namespace = namespaceOf(c, STORED_NAMESPACE_MAX);
    const f = await cache.get(namespace, id);
    if (!f) throw new ApiError(404, 'not_found', `no local features for ${namespace}/${id}`);
    return c.json({ id, namespace, keypoints: f.count, width: f.width, height: f.height });
  });

  app.delete('/v1/features/:id', async (c) => {
    const id = checkedId(c);
    const namespace = namespaceOf(c, STORED_NAMESPACE_MAX);
    o.shortlist?.remove(namespace, id);
    if (!(await cache.delete(namespace, id))) throw new ApiError(404, 'not_found', `no local features for ${namespace}/${id}`);
    return c.json({ id, namespace, deleted: true });
  });

  app.post('/v1/verify', async (c) => {
    const t0 = Date.now();
    const { namespace, candidates, query, extractMs, shortlist } = await readVerifyRequest(c, limits, o.initCodecs);
    const bow = o.shortlist?.search(namespace, query.features, shortlist, new Set(candidates)) ?? [];
    const results: PairResult[] = [];
    const check = async (id: string, source: PairResult['source'], bowScore?: number) => {
      const ref = await cache.get(namespace, id);
      if (!ref) {
        results.push({ id, source, status: 'missing' });
        return;
      }
      const t = performance.now();
      const g = checkPair(query, ref, o.verify);
      const ms = performance.now() - t;
      times.add(ms);
      results.push({ id, source, bowScore, status: g.verified ? 'verified' : 'rejected', ...g, ms: round(ms) });
    };
    for (const id of candidates) await check(id, 'candidate');
    for (const h of bow) await check(h.id, 'bow', h.score);
    return c.json({
      namespace,
      query: { keypoints: query.features.count, extractMs: round(extractMs) },
      results,
      tookMs: Date.now() - t0,
    });
  });

  return app;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * A verify request is multipart: `candidates` (a JSON array of ids), an optional `namespace`
 * field (or query parameter), and either the query `image` or its serialized local `features`
 * (plus `mirrored`, the features of its mirror image), for callers that extract them themselves.
 * `shortlist` (default 0) asks for that many extra candidates from the BoW index.
 */
async function readVerifyRequest(c: Context, limits: DecodeLimits, initCodecs: () => Promise<void>) {
  if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data')) {
    throw new ApiError(415, 'unsupported_type', 'POST /v1/verify takes multipart/form-data with "candidates" and "image" (or "features")');
  }
  const form = await readForm(c);
  const namespace = checkedNamespace((await textField(form, 'namespace')) ?? c.req.query('namespace') ?? 'default', STORED_NAMESPACE_MAX);
  const candidates = parseCandidates(await textField(form, 'candidates'));
  const shortlist = parseShortlist(await textField(form, 'shortlist'));
  const t = performance.now();
  let query: QueryFeatures;
  const image = await fileField(form, 'image', limits.maxBytes);
  if (image) {
    await initCodecs();
    query = await localFeaturesFromBytes(image, limits, 'query');
  } else {
    const features = await fileField(form, 'features', MAX_FEATURE_BYTES);
    if (!features) throw new ApiError(400, 'missing_image', 'multipart body needs a file field "image" or "features"');
    const mirrored = await fileField(form, 'mirrored', MAX_FEATURE_BYTES);
    query = { features: parseFeatures(features, 'features') };
    if (mirrored) query.mirrored = parseFeatures(mirrored, 'mirrored');
  }
  return { namespace, candidates, query, shortlist, extractMs: performance.now() - t };
}

function parseShortlist(text: string | null): number {
  if (text === null) return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > MAX_VERIFY_CANDIDATES) {
    throw new ApiError(400, 'bad_shortlist', `shortlist must be an integer from 0 to ${MAX_VERIFY_CANDIDATES}`);
  }
  return n;
}

/** Puts every stored reference into the BoW index (and so the cache) before the first request. */
async function rebuildShortlist(store: FeatureStore, cache: FeatureCache, shortlist?: BowShortlist): Promise<void> {
  if (!shortlist || !store.list) return;
  for await (const { namespace, id } of store.list()) {
    // One unreadable file must not keep the origin from serving the rest.
    try {
      const f = await cache.get(namespace, id);
      if (f) shortlist.add(namespace, id, f);
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', service: 'origin', msg: 'skipping unreadable features', namespace, id, error: String(err) }));
    }
  }
}

function parseCandidates(text: string | null): string[] {
  if (text === null) throw new ApiError(400, 'missing_candidates', 'multipart field "candidates" (a JSON array of ids) is required');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_candidates', 'candidates must be a JSON array of ids');
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && validId(x))) {
    throw new ApiError(400, 'bad_candidates', 'candidates must be a JSON array of valid ids');
  }
  if (v.length > MAX_VERIFY_CANDIDATES) throw new ApiError(400, 'bad_candidates', `at most ${MAX_VERIFY_CANDIDATES} candidates per call`);
  return [...new Set(v as string[])];
}

function parseIds(text: string | null): string[] {
  let v: unknown = null;
  try {
    v = text === null ? null : JSON.parse(text);
  } catch { /* reported below */ }
  if (!Array.isArray(v) || v.length < 1 || v.length > 1000 || !v.every((x) => typeof x === 'string' && validId(x))) {
    throw new ApiError(400, 'bad_ids', 'field "ids" must be a JSON array of 1 to 1000 valid ids');
  }
  return v as string[];
}

function parseFeatures(bytes: Uint8Array, field: string) {
  try {
    return deserializeLocalFeatures(bytes);
  } catch (err) {
    throw new ApiError(422, 'bad_features', `${field}: ${err instanceof Error ? err.message : 'not serialized local features'}`);
  }
}
