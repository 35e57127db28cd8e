/**
 * Geometric re-ranking: the close candidates of a query are checked pairwise with local features
 * and RANSAC, and the evidence is merged into the fused score. A verified pair is strong,
 * independent evidence, so it is combined by noisy-or; a candidate that was checked and failed
 * (few consistent inliers) loses part of its score, because a true copy that global signals liked
 * almost always shows some geometry. Mirrored copies defeat ORB's descriptors, so a candidate
 * without a confident direct match is retried against the query's mirror image.
 */
import { verifyPair, type LocalFeatures, type VerifyResult } from '../local/index.ts';

export interface Geometry {
  verified: boolean;
  inliers: number;
  inlierRatio: number;
  overlapQuery: number;
  overlapRef: number;
  mirrored: boolean;
  /** 3x3 row-major, query -> reference pixels, when verified. */
  transform: number[] | null;
}

export interface RerankOptions {
  /** Candidates whose fused score is at least this are checked (below: left as they are). */
  minScore: number;
  /** At most this many candidates per query are checked, best first. */
  maxCandidates: number;
  /** Multiplier for a checked candidate that failed verification. */
  failedPenalty: number;
  /** Inliers at which the geometric evidence counts one half. */
  halfInliers: number;
}

export const DEFAULT_RERANK: RerankOptions = { minScore: 0.02, maxCandidates: 10, failedPenalty: 0.5, halfInliers: 15 };

export interface Rerankable {
  id: string;
  score: number;
  geometry?: Geometry;
}

export interface QueryFeatures {
  features: LocalFeatures;
  /** Features of the horizontally mirrored query. */
  mirrored?: LocalFeatures;
}

function toGeometry(r: VerifyResult, mirrored: boolean): Geometry {
  return {
    verified: r.verified, inliers: r.inliers, inlierRatio: r.inlierRatio, overlapQuery: r.overlapQuery,
    overlapRef: r.overlapRef, mirrored, transform: r.transform ? Array.from(r.transform) : null,
  };
}

/** Below this many inliers a direct match is weak enough that the mirror is worth a try. */
const CONFIDENT_INLIERS = 50;

export function checkPair(q: QueryFeatures, ref: LocalFeatures): Geometry {
  const direct = verifyPair(q.features, ref);
  if ((direct.verified && direct.inliers >= CONFIDENT_INLIERS) || !q.mirrored) return toGeometry(direct, false);
  const flipped = verifyPair(q.mirrored, ref);
  return flipped.inliers > direct.inliers ? toGeometry(flipped, true) : toGeometry(direct, false);
}

export function combine(score: number, g: Geometry, o: RerankOptions): number {
  if (!g.verified) return score * o.failedPenalty;
  const evidence = g.inliers / (g.inliers + o.halfInliers);
  return 1 - (1 - score) * (1 - evidence);
}

/** Re-scores the best candidates with geometry; returns a new list sorted by the new score. */
export function rerank<T extends Rerankable>(
  hits: T[],
  query: QueryFeatures,
  refFeatures: (id: string) => LocalFeatures | undefined,
  o: RerankOptions = DEFAULT_RERANK,
): (T & { geometry?: Geometry })[] {
  const out: (T & { geometry?: Geometry })[] = hits.map((h) => ({ ...h }));
  let checked = 0;
  for (const h of out) {
    if (checked >= o.maxCandidates || h.score < o.minScore) break;
    const ref = refFeatures(h.id);
    if (!ref) continue;
    h.geometry = checkPair(query, ref);
    h.score = combine(h.score, h.geometry, o);
    checked++;
  }
  return out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}
