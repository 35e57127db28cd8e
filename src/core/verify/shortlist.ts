/**
 * The verification shortlist merged from two retrievers. Global signals rank whole-image
 * likeness, so a tight crop or a picture pasted into another often leaves its source outside
 * their top candidates, or inside with too low a fused score for rerank() to check it. The BoW
 * shortlist over local features (src/core/local/bow.ts) still finds such sources, but its score is
 * not a copy probability, so it only decides which references get a geometric check: each BoW
 * candidate that the global re-rank left unchecked is scored by fusion (the caller's, through the
 * catalog) and checked, whatever that score; the geometry then decides, with the same merge rule
 * as for global candidates.
 *
 * Global candidates that rerank() checked keep exactly its result.
 */
import type { LocalFeatures, VerifyOptions } from '../local/index.ts';
import { checkPair, combine, DEFAULT_RERANK, type Geometry, type QueryFeatures, type Rerankable, type RerankOptions } from './rerank.ts';

export interface BowCandidate {
  id: string;
  score: number;
}

/**
 * BoW candidates worth an extra check: among the BoW top `n`, best first, those without geometry
 * in the re-ranked global list (absent from it, or present but not checked).
 */
export function extraCandidates(reranked: readonly (Rerankable & { geometry?: Geometry })[], bow: readonly BowCandidate[], n: number): string[] {
  const checked = new Set(reranked.filter((h) => h.geometry).map((h) => h.id));
  return bow.slice(0, n).map((b) => b.id).filter((id) => !checked.has(id));
}

/**
 * Checks each extra candidate (fused-scored by the caller) and merges it into the re-ranked list,
 * replacing an unchecked entry of the same id; returns the list sorted by score. An extra whose
 * reference features are unknown is added unchecked, as a global candidate would be.
 */
export function mergeChecked<T extends Rerankable>(
  reranked: readonly (T & { geometry?: Geometry })[],
  extras: readonly T[],
  query: QueryFeatures,
  refFeatures: (id: string) => LocalFeatures | undefined,
  o: RerankOptions = DEFAULT_RERANK,
  verify?: VerifyOptions,
): (T & { geometry?: Geometry })[] {
  const byId = new Map<string, T & { geometry?: Geometry }>(reranked.map((h) => [h.id, h]));
  for (const e of extras) {
    if (byId.get(e.id)?.geometry) continue;
    const ref = refFeatures(e.id);
    if (!ref) {
      if (!byId.has(e.id)) byId.set(e.id, { ...e });
      continue;
    }
    const geometry = checkPair(query, ref, verify);
    byId.set(e.id, { ...e, geometry, score: combine(e.score, geometry, o) });
  }
  return [...byId.values()].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

/**
 * BoW candidates per query: as many as rerank() checks from the global list (so verification at
 * most doubles); the Hamming-embedding threshold is the one chosen on held-out training images
 * (models/README.md, "orb-vocab"). Neither was tuned on a benchmark.
 */
export const DEFAULT_BOW_SHORTLIST = { candidates: 10, maxSignatureDistance: null as number | null };
