/**
 * Search-time verification at the edge: pick the candidates in the configured score band, ask the
 * origin to check them, merge the geometry into the fused scores (core/verify/rerank.ts, the same
 * merge the CLI uses) and describe, per match and overall, what was verified and what was not.
 */
import type { SearchHit } from '../../core/index/catalog.ts';
import { applyGeometry, selectForVerification, type Geometry } from '../../core/verify/rerank.ts';
import { bowCandidates, OriginClient, verifyBand, type OriginEnv, type PairOutcome } from './origin-client.ts';

export type MatchVerification =
  | { status: 'verified' | 'rejected'; inliers: number; inlierRatio: number; overlap: { query: number; reference: number }; mirrored: boolean; transform: number[] | null; ms?: number; inlierPairs?: number[] }
  | { status: 'no_reference_features' | 'not_checked' | 'unavailable' };

export interface VerificationSummary {
  /** done: the origin checked the candidates; skipped: nothing to check or the caller said so;
   *  disabled: no origin configured; unavailable: the origin was down, slow or failing. */
  status: 'done' | 'skipped' | 'disabled' | 'unavailable';
  reason?: string;
  band: { minScore: number; maxScore: number; maxCandidates: number };
  checked: number;
  verified: number;
  /** Of those checked, how many the origin's BoW shortlist added. */
  fromShortlist: number;
  ms: number;
}

export interface VerifiedHit extends SearchHit {
  geometry?: Geometry;
  verification: MatchVerification;
}

function describePair(p: PairOutcome): MatchVerification {
  if (p.status === 'missing' || !p.geometry) return { status: 'no_reference_features' };
  const g = p.geometry;
  return {
    status: p.status, inliers: g.inliers, inlierRatio: g.inlierRatio, overlap: { query: g.overlapQuery, reference: g.overlapRef },
    mirrored: g.mirrored, transform: g.transform, ms: p.ms, inlierPairs: g.inlierPairs,
  };
}

/** Fused scores for references the origin added (its BoW shortlist), from the catalog. */
export type ScoreIds = (ids: string[]) => Promise<SearchHit[]>;

export async function verifyHits(
  env: OriginEnv,
  namespace: string,
  image: Uint8Array,
  hits: SearchHit[],
  wanted: boolean,
  scoreIds: ScoreIds,
  requestId?: string,
): Promise<{ hits: VerifiedHit[]; verification: VerificationSummary }> {
  const band = verifyBand(env);
  const shortlist = bowCandidates(env);
  const summary: VerificationSummary = {
    status: 'skipped', band: { minScore: band.minScore, maxScore: band.maxScore, maxCandidates: band.maxCandidates }, checked: 0, verified: 0, fromShortlist: 0, ms: 0,
  };
  const ids = selectForVerification(hits, band);
  const unchecked = (status: MatchVerification['status']) =>
    hits.map((h) => ({ ...h, verification: { status: ids.includes(h.id) ? status : 'not_checked' } as MatchVerification }));
  if (!wanted) return { hits: unchecked('not_checked'), verification: { ...summary, reason: 'verify=false' } };
  if (!ids.length && !shortlist) return { hits: unchecked('not_checked'), verification: { ...summary, reason: 'no candidate in the verification band' } };
  const origin = new OriginClient(env, requestId);
  const r = await origin.verify(namespace, image, ids, shortlist);
  if (r.status !== 'ok') {
    return { hits: unchecked(r.status === 'disabled' ? 'not_checked' : 'unavailable'), verification: { ...summary, status: r.status, reason: r.reason, ms: r.ms } };
  }
  const pairs = new Map(r.value.map((p) => [p.id, p]));
  const geometry = new Map<string, Geometry>();
  for (const p of r.value) if (p.geometry) geometry.set(p.id, p.geometry);
  // References only the BoW shortlist found: fused-score them, then the geometry decides.
  const known = new Set(hits.map((h) => h.id));
  const added = r.value.filter((p) => p.source === 'bow' && !known.has(p.id)).map((p) => p.id);
  const extras = added.length ? await scoreIds(added) : [];
  const merged = applyGeometry([...hits, ...extras], geometry, band).map((h) => {
    const p = pairs.get(h.id);
    return { ...h, verification: p ? describePair(p) : ({ status: 'not_checked' } as MatchVerification) };
  });
  return {
    hits: merged,
    verification: {
      ...summary, status: 'done', checked: geometry.size, verified: r.value.filter((p) => p.status === 'verified').length,
      fromShortlist: r.value.filter((p) => p.source === 'bow').length, ms: r.ms,
    },
  };
}
