/**
 * The two things the edge does with an image, independent of how it arrived: index it, or search
 * for its source. The HTTP routes (app.ts) and the webhook queue consumer (webhooks/) both call
 * these, so an image checked through a webhook gets exactly the answer the API would give.
 * Namespaces here are stored ones (tenant-prefixed when auth is on).
 */
import { DEFAULT_LIMITS, type DecodeLimits } from '../../core/image/decode.ts';
import { verdictFor } from '../../core/fusion/fusion.ts';
import type { Metadata } from '../../core/index/vector-index.ts';
import { describePdq, fingerprintBytes } from '../../core/pipeline.ts';
import { packFingerprint } from '../../core/signals/fingerprint.ts';
import { initEdgeCodecs } from './codecs.ts';
import { OriginClient, type OriginEnv } from './origin-client.ts';
import { createEdgePipeline } from './pipeline.ts';
import { ShardedCatalog, type ShardEnv } from './shards.ts';
import { storeThumbnail, type ThumbnailEnv } from './thumbnails.ts';
import { verifyHits, type MatchVerification } from './verification.ts';

export interface CatalogEnv extends OriginEnv, ShardEnv, ThumbnailEnv {
  MAX_IMAGE_BYTES?: string;
  MAX_IMAGE_PIXELS?: string;
}

export function limitsOf(env: CatalogEnv): DecodeLimits {
  return {
    maxBytes: Number(env.MAX_IMAGE_BYTES) || DEFAULT_LIMITS.maxBytes,
    maxPixels: Number(env.MAX_IMAGE_PIXELS) || DEFAULT_LIMITS.maxPixels,
  };
}

export function catalog(env: CatalogEnv): ShardedCatalog {
  return new ShardedCatalog(env);
}

export async function fingerprintImage(env: CatalogEnv, bytes: Uint8Array) {
  await initEdgeCodecs();
  const p = createEdgePipeline();
  const res = await fingerprintBytes(p.signals, bytes, limitsOf(env));
  return { ...res, packed: packFingerprint(p.signals, res.fingerprint) };
}

export async function indexImage(env: CatalogEnv, namespace: string, id: string, bytes: Uint8Array, metadata: Metadata | undefined, requestId?: string) {
  const fp = await fingerprintImage(env, bytes);
  const { created } = await catalog(env).upsert({ id, namespace, metadata, width: fp.width, height: fp.height, fingerprint: fp.packed });
  // The global fingerprint is durable before the origin is asked; if the origin fails, the image is
  // still searchable, only unverifiable, and a repeated PUT of the same image repairs it.
  const [r, thumbnail] = await Promise.all([
    new OriginClient(env, requestId).storeFeatures(namespace, id, bytes),
    storeThumbnail(env, namespace, id, fp.image),
  ]);
  const localFeatures = r.status === 'ok' ? { status: 'stored', ...r.value } : { status: r.status, reason: r.reason };
  return { created, width: fp.width, height: fp.height, ...describePdq(fp.fingerprint), localFeatures, thumbnail };
}

export interface SearchOptions {
  topK: number;
  verify: boolean;
  /** Keep the inlier correspondences of verified matches (the review console draws them). */
  explain?: boolean;
  requestId?: string;
}

function withoutPairs(v: MatchVerification): MatchVerification {
  if (!('inlierPairs' in v)) return v;
  const { inlierPairs: _, ...rest } = v;
  return rest;
}

export async function searchImage(env: CatalogEnv, namespace: string, bytes: Uint8Array, o: SearchOptions) {
  const t0 = Date.now();
  const fp = await fingerprintImage(env, bytes);
  const t1 = Date.now();
  // Ask for enough candidates to fill the verification band whatever topK the caller wants.
  const depth = Math.max(o.topK, Number(env.VERIFY_MAX_CANDIDATES) || 10);
  // The RPC stub types `unknown` metadata as unserializable; the values are plain JSON.
  const shards = catalog(env);
  const hits = await shards.search(fp.packed, namespace, depth);
  const t2 = Date.now();
  const scoreIds = (ids: string[]) => shards.scoreIds(fp.packed, namespace, ids);
  const checked = await verifyHits(env, namespace, bytes, hits, o.verify, scoreIds, o.requestId);
  const t3 = Date.now();
  const fusion = createEdgePipeline().fusion;
  const best = checked.hits[0]?.score ?? 0;
  return {
    matches: checked.hits.slice(0, o.topK).map((h) => ({
      id: h.id, score: h.score, signals: h.signals, verification: o.explain ? h.verification : withoutPairs(h.verification), metadata: h.metadata,
    })),
    verdict: verdictFor(fusion, best),
    threshold: fusion.copyThreshold,
    reviewThreshold: fusion.reviewThreshold,
    verification: checked.verification,
    query: { width: fp.width, height: fp.height, ...describePdq(fp.fingerprint) },
    tookMs: Date.now() - t0,
    // Where the time went: the catalog part is the shard fan-out (all shards, merge, fusion).
    timings: { fingerprintMs: t1 - t0, catalogMs: t2 - t1, verificationMs: t3 - t2, shards: shards.count },
  };
}
