/**
 * Candidates from many shards, merged so that fusion sees exactly the shortlist one store holding
 * every reference would have built. Fusion scores a candidate against statistics of the whole
 * shortlist (its mean and best-other similarity per signal), so merging per-shard *fused* scores
 * would change the answer; instead each shard returns its raw per-signal candidates with the score
 * each index ranked them by, and the merge keeps, per index lookup, the global top k, the way
 * FAISS's IndexShards merges per-shard result lists.
 */
import { fuse, shortlistStats, type Candidate, type FusionModel } from '../fusion/fusion.ts';
import type { Metadata } from './vector-index.ts';

/** A shortlisted reference before re-scoring. */
export interface RankedId {
  id: string;
  /** Per index lookup that shortlisted it ("signal/variant"): the score that index ranked it by. */
  ranks: Record<string, number>;
}

export interface ShardCandidate extends RankedId {
  /** Exact similarity per signal, against the stored fingerprint. */
  similarities: Record<string, number>;
  metadata?: Metadata;
}

export interface FusedHit {
  id: string;
  score: number;
  signals: Record<string, number>;
  metadata?: Metadata;
}

/** The union of, per lookup, the k best candidates over all shards (ties broken by id). */
export function mergeShortlists<T extends RankedId>(lists: readonly T[][], k: number): T[] {
  const byId = new Map<string, T>();
  const perLookup = new Map<string, T[]>();
  for (const list of lists) {
    for (const c of list) {
      const seen = byId.get(c.id);
      // An id lives on one shard; a repeat only happens when a caller merges a list with itself.
      byId.set(c.id, seen ? { ...seen, ranks: { ...seen.ranks, ...c.ranks } } : c);
      for (const lookup of Object.keys(c.ranks)) {
        const arr = perLookup.get(lookup) ?? [];
        arr.push(c);
        perLookup.set(lookup, arr);
      }
    }
  }
  const keep = new Set<string>();
  for (const [lookup, arr] of perLookup) {
    arr.sort((a, b) => b.ranks[lookup] - a.ranks[lookup] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const c of arr.slice(0, k)) keep.add(c.id);
  }
  return [...byId.values()].filter((c) => keep.has(c.id));
}

/** Fused hits for `cands`, measured against the shortlist `statCands`, best first. */
export function fuseCandidates(model: FusionModel, statCands: readonly ShardCandidate[], cands: readonly ShardCandidate[]): FusedHit[] {
  const asFusion = (cs: readonly ShardCandidate[]): Candidate[] => cs.map((c) => ({ key: c.id, similarities: c.similarities }));
  const stats = shortlistStats(model, asFusion(statCands));
  const hits = cands.map((c) => ({
    id: c.id, score: fuse(model, { key: c.id, similarities: c.similarities }, stats), signals: c.similarities, metadata: c.metadata,
  }));
  return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
