/**
 * The catalog of known references: each image's fingerprint and metadata, one VectorIndex per
 * signal for the shortlist, and exact per-signal re-scoring of the shortlist before fusion. It is
 * the one search path: the Durable Object, the CLI and the benchmarks all hold a Catalog.
 */
import { shortlistStats, fuse, type Candidate, type FusionModel } from '../fusion/fusion.ts';
import type { Fingerprint, Signal } from '../signals/signal.ts';
import { FlatIndex } from './flat.ts';
import { PQIndex } from './pq-index.ts';
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

export interface SearchHit {
  id: string;
  score: number;
  signals: Record<string, number>;
  metadata?: Metadata;
}

export type IndexFactory = (signal: Signal) => VectorIndex;

export const flatIndexFactory: IndexFactory = (s) => new FlatIndex(s.index.dimensions, s.index.metric);

/**
 * The default: PQ codes for signals that ship a quantizer (refine 0: the catalog re-scores the
 * shortlist exactly from the stored fingerprints anyway), exact float vectors for the rest.
 */
export const defaultIndexFactory: IndexFactory = (s) =>
  s.index.quantizer ? new PQIndex(s.index.quantizer, { refine: 0 }) : flatIndexFactory(s);

const keyOf = (namespace: string, id: string) => `${namespace}\u0000${id}`;

export class Catalog {
  private entries = new Map<string, CatalogEntry>();
  private indexes: Map<string, VectorIndex>;

  constructor(
    readonly signals: Signal[],
    readonly fusion: FusionModel,
    makeIndex: IndexFactory = defaultIndexFactory,
  ) {
    this.indexes = new Map(signals.map((s) => [s.name, makeIndex(s)]));
  }

  /** One line saying what was built, FAISS-factory style: "pdq:Flat256 + hist_hsv:Flat256 -> logistic". */
  async describe(): Promise<string> {
    const parts: string[] = [];
    for (const s of this.signals) {
      const info = await this.indexes.get(s.name)!.describe();
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

  *list(namespace?: string): Iterable<CatalogEntry> {
    for (const e of this.entries.values()) if (namespace === undefined || e.namespace === namespace) yield e;
  }

  async add(entry: CatalogEntry): Promise<void> {
    const key = keyOf(entry.namespace, entry.id);
    for (const s of this.signals) {
      const value = entry.fingerprint[s.name];
      if (value === undefined) throw new Error(`fingerprint of ${entry.id} lacks signal ${s.name}`);
      await this.indexes.get(s.name)!.upsert([{ id: key, values: s.toVector(value), namespace: entry.namespace }]);
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
    const namespace = opts.namespace ?? 'default';
    const keys = await this.shortlist(fp, namespace, opts.shortlist ?? 100);
    return this.fuseKeys(fp, keys, keys).slice(0, opts.topK ?? 10);
  }

  /**
   * Fused hits for the given ids, wherever they came from (e.g. a local-feature shortlist),
   * measured against the statistics of the query's own global shortlist, so that their scores are
   * on the same footing as search()'s. Ids not in the catalog are left out.
   */
  async scoreIds(fp: Fingerprint, ids: readonly string[], opts: Omit<SearchOptions, 'topK'> = {}): Promise<SearchHit[]> {
    const namespace = opts.namespace ?? 'default';
    const keys = await this.shortlist(fp, namespace, opts.shortlist ?? 100);
    return this.fuseKeys(fp, keys, ids.map((id) => keyOf(namespace, id)));
  }

  similarities(query: Fingerprint, ref: Fingerprint): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.signals) {
      const q = query[s.name], r = ref[s.name];
      if (q !== undefined && r !== undefined) out[s.name] = s.similarity(q, r);
    }
    return out;
  }

  /** Hits for `keys`, fused against the shortlist statistics of `statKeys`, best first. */
  private fuseKeys(fp: Fingerprint, statKeys: Iterable<string>, keys: Iterable<string>): SearchHit[] {
    const candidates = (ks: Iterable<string>) => {
      const out: Candidate[] = [];
      for (const key of ks) {
        const e = this.entries.get(key);
        if (e) out.push({ key, similarities: this.similarities(fp, e.fingerprint) });
      }
      return out;
    };
    const cands = candidates(keys);
    const stats = shortlistStats(this.fusion, statKeys === keys ? cands : candidates(statKeys));
    const hits = cands.map((c) => {
      const e = this.entries.get(c.key)!;
      return { id: e.id, score: fuse(this.fusion, c, stats), signals: c.similarities, metadata: e.metadata };
    });
    return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  }

  private async shortlist(fp: Fingerprint, namespace: string, k: number): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const s of this.signals) {
      const v = fp[s.name];
      if (v === undefined) continue;
      // queryVectors, when a signal has them, already include its own vector (PDQ's 8 dihedral variants).
      const vectors = s.queryVectors?.(v) ?? [s.toVector(v)];
      for (const vec of vectors) {
        const res = await this.indexes.get(s.name)!.query(vec, { topK: k, namespace });
        for (const m of res.matches) keys.add(m.id);
      }
    }
    return keys;
  }
}
