/**
 * The catalog of known references: each image's fingerprint and metadata, one VectorIndex per
 * signal for the shortlist, and exact per-signal re-scoring of the shortlist before fusion. It is
 * the one search path: the Durable Object, the CLI and the benchmarks all hold a Catalog.
 */
import type { FusionModel } from '../fusion/fusion.ts';
import type { Fingerprint, Signal } from '../signals/signal.ts';
import { FlatIndex } from './flat.ts';
import { HammingIndex } from './hamming-index.ts';
import { PQIndex } from './pq-index.ts';
import { fuseCandidates, type FusedHit, type RankedId, type ShardCandidate } from './shortlist-merge.ts';
import type { Metadata, VectorIndex } from './vector-index.ts';

export interface CatalogEntry {
  id: string;
  namespace: string;
  metadata?: Metadata;
  fingerprint: Fingerprint;
}

export interface SearchOptions {
  topK?: number;
  namespace?: string;
  /** Candidates taken from each signal's index (and each query variant) before exact re-scoring. */
  shortlist?: number;
}

export type SearchHit = FusedHit;

/** A signal's hot shortlist index; null: the signal has none and is only re-scored (a compact shard). */
export type IndexFactory = (signal: Signal) => VectorIndex | null;

/**
 * Where entries live. A Map keeps them in memory (the CLI); a Durable Object shard passes one that
 * reads its SQLite rows, so fingerprints stay cold and only the shortlist indexes are hot.
 */
export interface EntryStore {
  get(key: string): CatalogEntry | undefined;
  set(key: string, entry: CatalogEntry): unknown;
  delete(key: string): boolean;
  has(key: string): boolean;
  values(): Iterable<CatalogEntry>;
  readonly size: number;
}

export const flatIndexFactory: IndexFactory = (s) => new FlatIndex(s.index.dimensions, s.index.metric);

/**
 * The default: PQ codes for signals that ship a quantizer (refine 0: the catalog re-scores the
 * shortlist exactly from the stored fingerprints anyway), bits for binary codes (same scores as
 * the float vectors, 32x smaller), exact float vectors for the rest.
 */
export const defaultIndexFactory: IndexFactory = (s) =>
  s.index.quantizer ? new PQIndex(s.index.quantizer, { refine: 0 })
    : s.index.binary ? new HammingIndex(s.index.dimensions)
      : flatIndexFactory(s);

/**
 * Hot indexes for the named signals only ("all" or none named: every signal); the others are still re-scored exactly for every
 * shortlisted reference, but do not add candidates. What a shard at scale trades for memory.
 */
export function shortlistingOnly(names: readonly string[] | undefined, base: IndexFactory): IndexFactory {
  if (!names || names.includes('all')) return base;
  return (s) => (names.includes(s.name) ? base(s) : null);
}

const keyOf = (namespace: string, id: string) => `${namespace}\u0000${id}`;

export class Catalog {
  private indexes: Map<string, VectorIndex>;

  constructor(
    readonly signals: Signal[],
    readonly fusion: FusionModel,
    makeIndex: IndexFactory = defaultIndexFactory,
    private readonly entries: EntryStore = new Map<string, CatalogEntry>(),
  ) {
    this.indexes = new Map();
    for (const s of signals) {
      const idx = makeIndex(s);
      if (idx) this.indexes.set(s.name, idx);
    }
    if (!this.indexes.size) throw new Error('a catalog needs at least one signal with a shortlist index');
  }

  /** One line saying what was built, FAISS-factory style: "pdq:BinaryFlat256 + hist_hsv:Flat256 -> logistic". */
  async describe(): Promise<string> {
    const parts: string[] = [];
    for (const s of this.signals) {
      const idx = this.indexes.get(s.name);
      const info = idx ? await idx.describe() : { description: 'rescore-only', dimensions: '' };
      parts.push(`${s.name}:${info.description}${info.dimensions}`);
    }
    return `${parts.join(' + ')} -> ${this.fusion.kind ?? 'logistic'} fusion`;
  }

  get size(): number {
    return this.entries.size;
  }

  get(namespace: string, id: string): CatalogEntry | undefined {
    return this.entries.get(keyOf(namespace, id));
  }

  has(namespace: string, id: string): boolean {
    return this.entries.has(keyOf(namespace, id));
  }

  *list(namespace?: string): Iterable<CatalogEntry> {
    for (const e of this.entries.values()) if (namespace === undefined || e.namespace === namespace) yield e;
  }

  async add(entry: CatalogEntry): Promise<void> {
    const key = keyOf(entry.namespace, entry.id);
    for (const s of this.signals) {
      const value = entry.fingerprint[s.name];
      if (value === undefined) throw new Error(`fingerprint of ${entry.id} lacks signal ${s.name}`);
      await this.indexes.get(s.name)?.upsert([{ id: key, values: s.toVector(value), namespace: entry.namespace }]);
    }
    this.entries.set(key, entry);
  }

  async remove(namespace: string, id: string): Promise<boolean> {
    const key = keyOf(namespace, id);
    if (!this.entries.has(key)) return false;
    for (const idx of this.indexes.values()) await idx.deleteByIds([key]);
    this.entries.delete(key);
    return true;
  }

  async search(fp: Fingerprint, opts: SearchOptions = {}): Promise<SearchHit[]> {
    const cands = await this.candidates(fp, opts);
    return fuseCandidates(this.fusion, cands, cands).slice(0, opts.topK ?? 10);
  }

  /**
   * Fused hits for the given ids, wherever they came from (e.g. a local-feature shortlist),
   * measured against the statistics of the query's own global shortlist, so that their scores are
   * on the same footing as search()'s. Ids not in the catalog are left out.
   */
  async scoreIds(fp: Fingerprint, ids: readonly string[], opts: Omit<SearchOptions, 'topK'> = {}): Promise<SearchHit[]> {
    const cands = await this.candidates(fp, opts);
    return fuseCandidates(this.fusion, cands, this.rescore(fp, opts.namespace ?? 'default', ids));
  }

  /**
   * The query's shortlist, unfused: per index lookup its best `shortlist` references, each with
   * exact per-signal similarities. A shard answers with this; mergeShortlists + fuseCandidates
   * over all shards give what one catalog holding everything would have answered.
   */
  async candidates(fp: Fingerprint, opts: Omit<SearchOptions, 'topK'> = {}): Promise<ShardCandidate[]> {
    const ranked = await this.ranked(fp, opts);
    const rescored = this.rescore(fp, opts.namespace ?? 'default', ranked.map((r) => r.id));
    const ranks = new Map(ranked.map((r) => [r.id, r.ranks]));
    return rescored.map((c) => ({ ...c, ranks: ranks.get(c.id)! }));
  }

  /**
   * The shortlist alone, from the hot indexes, without reading a single stored fingerprint. Many
   * shards answer this first; only the references that survive the merge are re-scored.
   */
  async ranked(fp: Fingerprint, opts: Omit<SearchOptions, 'topK'> = {}): Promise<RankedId[]> {
    const namespace = opts.namespace ?? 'default';
    const ranks = await this.shortlist(fp, namespace, opts.shortlist ?? 100);
    const prefix = keyOf(namespace, '');
    return [...ranks].map(([key, r]) => ({ id: key.slice(prefix.length), ranks: r }));
  }

  /** Exact similarities of the query to the given references (no ranks: they were not shortlisted). */
  rescore(fp: Fingerprint, namespace: string, ids: readonly string[]): ShardCandidate[] {
    const out: ShardCandidate[] = [];
    for (const id of ids) {
      const e = this.entries.get(keyOf(namespace, id));
      if (e) out.push({ id, similarities: this.similarities(fp, e.fingerprint), metadata: e.metadata, ranks: {} });
    }
    return out;
  }

  similarities(query: Fingerprint, ref: Fingerprint): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.signals) {
      const q = query[s.name], r = ref[s.name];
      if (q !== undefined && r !== undefined) out[s.name] = s.similarity(q, r);
    }
    return out;
  }

  /** Per shortlisted key, the score each lookup ("signal/variant") ranked it by. */
  private async shortlist(fp: Fingerprint, namespace: string, k: number): Promise<Map<string, Record<string, number>>> {
    const ranks = new Map<string, Record<string, number>>();
    for (const s of this.signals) {
      const v = fp[s.name];
      const idx = this.indexes.get(s.name);
      if (v === undefined || !idx) continue;
      // queryVectors, when a signal has them, already include its own vector (PDQ's 8 dihedral variants).
      const vectors = s.queryVectors?.(v) ?? [s.toVector(v)];
      // Merging across shards sorts by "higher is closer"; Vectorize's euclidean score is a distance.
      const sign = s.index.metric === 'euclidean' ? -1 : 1;
      for (let variant = 0; variant < vectors.length; variant++) {
        const res = await idx.query(vectors[variant], { topK: k, namespace });
        for (const m of res.matches) {
          const r = ranks.get(m.id) ?? {};
          r[`${s.name}/${variant}`] = sign * m.score;
          ranks.set(m.id, r);
        }
      }
    }
    return ranks;
  }
}
