/**
 * Geometric re-ranking: the close candidates of a query are checked pairwise with local features
 * and RANSAC, and the evidence is merged into the fused score. A verified pair is strong,
 * independent evidence, so it is combined by noisy-or; a candidate that was checked and failed
 * (few consistent inliers) loses part of its score, because a true copy that global signals liked
 * almost always shows some geometry. Mirrored copies defeat ORB's descriptors, so a candidate
 * without a confident direct match is retried against the query's mirror image.
 *
 * Selecting, checking and merging are separate steps because they run in different places: the
 * edge selects and merges, the origin (or the CLI, in process) checks.
 */
import { verifyPair, type LocalFeatures, type VerifyOptions, type VerifyResult } from '../local/index.ts';

export interface Geometry {
  verified: boolean;
  inliers: number;
  inlierRatio: number;
  overlapQuery: number;
  overlapRef: number;
  mirrored: boolean;
  /** 3x3 row-major, query -> reference pixels, when verified. */
  transform: number[] | null;
  /**
   * Up to MAX_SHOWN_PAIRS inlier correspondences, flat [qx, qy, rx, ry, ...] in original pixels of
   * the query as uploaded (un-mirrored) and of the reference: what a reviewer sees drawn as lines.
   */
  inlierPairs?: number[];
}

export const MAX_SHOWN_PAIRS = 60;

export interface RerankOptions {
  /** Candidates whose fused score is in [minScore, maxScore] are checked; others keep their score. */
  minScore: number;
  maxScore: number;
  /** At most this many candidates per query are checked, best first. */
  maxCandidates: number;
  /** Multiplier for a checked candidate that failed verification. */
  failedPenalty: number;
  /** Inliers at which the geometric evidence counts one half. */
  halfInliers: number;
}

export const DEFAULT_RERANK: RerankOptions = { minScore: 0.02, maxScore: 1, maxCandidates: 10, failedPenalty: 0.5, halfInliers: 15 };

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

function toGeometry(r: VerifyResult, mirrored: boolean, q: LocalFeatures, ref: LocalFeatures): Geometry {
  return {
    verified: r.verified, inliers: r.inliers, inlierRatio: r.inlierRatio, overlapQuery: r.overlapQuery,
    overlapRef: r.overlapRef, mirrored, transform: r.transform ? Array.from(r.transform) : null,
    inlierPairs: r.verified ? shownPairs(r, mirrored, q, ref) : undefined,
  };
}

/** An even sample of the inliers, query points mapped back to the image as uploaded. */
function shownPairs(r: VerifyResult, mirrored: boolean, q: LocalFeatures, ref: LocalFeatures): number[] {
  const idx: number[] = [];
  for (let k = 0; k < r.matchList.count; k++) if (r.inlierMask[k]) idx.push(k);
  const step = Math.max(1, idx.length / MAX_SHOWN_PAIRS);
  const out: number[] = [];
  const r1 = (v: number) => Math.round(v * 10) / 10;
  for (let t = 0; t < idx.length && out.length < 4 * MAX_SHOWN_PAIRS; t += step) {
    const k = idx[Math.floor(t)];
    const qi = r.matchList.queryIdx[k], ri = r.matchList.trainIdx[k];
    const qx = mirrored ? q.width - 1 - q.x[qi] : q.x[qi];
    out.push(r1(qx), r1(q.y[qi]), r1(ref.x[ri]), r1(ref.y[ri]));
  }
  return out;
}

/** Below this many inliers a direct match is weak enough that the mirror is worth a try. */
const CONFIDENT_INLIERS = 50;

/** `opts` picks the matcher (e.g. the WASM SIMD kernel) and RANSAC settings. */
export function checkPair(q: QueryFeatures, ref: LocalFeatures, opts?: VerifyOptions): Geometry {
  const direct = verifyPair(q.features, ref, opts);
  if ((direct.verified && direct.inliers >= CONFIDENT_INLIERS) || !q.mirrored) return toGeometry(direct, false, q.features, ref);
  const flipped = verifyPair(q.mirrored, ref, opts);
  return flipped.inliers > direct.inliers ? toGeometry(flipped, true, q.mirrored, ref) : toGeometry(direct, false, q.features, ref);
}

export function combine(score: number, g: Geometry, o: RerankOptions): number {
  if (!g.verified) return score * o.failedPenalty;
  const evidence = g.inliers / (g.inliers + o.halfInliers);
  return 1 - (1 - score) * (1 - evidence);
}

/** The ids worth a geometric check: best first, inside the score band, at most maxCandidates. */
export function selectForVerification(hits: readonly Rerankable[], o: RerankOptions = DEFAULT_RERANK): string[] {
  return hits
    .filter((h) => h.score >= o.minScore && h.score <= o.maxScore)
    .sort((a, b) => b.score - a.score)
    .slice(0, o.maxCandidates)
    .map((h) => h.id);
}

/** Merges checked geometry into the scores; returns a new list sorted by the new score. */
export function applyGeometry<T extends Rerankable>(
  hits: readonly T[],
  geometry: ReadonlyMap<string, Geometry>,
  o: RerankOptions = DEFAULT_RERANK,
): (T & { geometry?: Geometry })[] {
  return hits
    .map((h) => {
      const g = geometry.get(h.id);
      return g ? { ...h, geometry: g, score: combine(h.score, g, o) } : { ...h };
    })
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

/** In-process re-rank (CLI): select, check each candidate whose features are known, merge. */
export function rerank<T extends Rerankable>(
  hits: T[],
  query: QueryFeatures,
  refFeatures: (id: string) => LocalFeatures | undefined,
  o: RerankOptions = DEFAULT_RERANK,
  verify?: VerifyOptions,
): (T & { geometry?: Geometry })[] {
  const geometry = new Map<string, Geometry>();
  for (const id of selectForVerification(hits, { ...o, maxCandidates: Infinity })) {
    if (geometry.size >= o.maxCandidates) break;
    const ref = refFeatures(id);
    if (ref) geometry.set(id, checkPair(query, ref, verify));
  }
  return applyGeometry(hits, geometry, o);
}
