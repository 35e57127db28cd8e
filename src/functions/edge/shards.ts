/**
 * The catalog as N Durable Object shards (CATALOG_SHARDS, default 1). An image lives on the shard
 * its (namespace, id) hashes to, so writes, gets and deletes touch one object; a search asks every
 * shard in parallel for its raw candidates and fuses once here (shortlist-merge.ts), which gives
 * exactly the answer of one object holding everything, while each object's memory and single
 * thread carry only 1/N of the references. Tenants span all shards; their namespaces keep them apart.
 *
 * Changing CATALOG_SHARDS moves most ids to another shard: re-index (copycat upload) after changing it.
 */
import { fuseCandidates, mergeShortlists, type FusedHit, type RankedId, type ShardCandidate } from '../../core/index/shortlist-merge.ts';
import { createEdgePipeline } from './pipeline.ts';
import type { CatalogStore, StoredImageInfo, UpsertInput } from './store.ts';

export interface ShardEnv {
  CATALOG: DurableObjectNamespace<CatalogStore>;
  CATALOG_SHARDS?: string;
  /** Candidates per index lookup (and per shard) before fusion; default 100. */
  CATALOG_SHORTLIST?: string;
}

export const MAX_SHARDS = 256;

export function shardCount(env: ShardEnv): number {
  const n = env.CATALOG_SHARDS === undefined || env.CATALOG_SHARDS === '' ? 1 : Number(env.CATALOG_SHARDS);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS) throw new Error(`CATALOG_SHARDS must be an integer in 1..${MAX_SHARDS}, not "${env.CATALOG_SHARDS}"`);
  return n;
}

/** FNV-1a over the UTF-16 code units: stable across runtimes and releases, which routing needs. */
export function shardIndex(namespace: string, id: string, count: number): number {
  const key = `${namespace}\u0000${id}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

/** One shard keeps the original object name, so a single-shard deployment keeps its data. */
export function shardName(i: number, count: number): string {
  return count === 1 ? 'catalog' : `catalog-${i}-of-${count}`;
}

export class ShardedCatalog {
  readonly count: number;
  private readonly shortlist: number;
  private stubs = new Map<number, DurableObjectStub<CatalogStore>>();
  private memo?: { fingerprint: Uint8Array; namespace: string; result: Promise<ShardCandidate[]> };

  constructor(private readonly env: ShardEnv) {
    this.count = shardCount(env);
    this.shortlist = Number(env.CATALOG_SHORTLIST) || 100;
  }

  shard(i: number): DurableObjectStub<CatalogStore> {
    let s = this.stubs.get(i);
    if (!s) {
      s = this.env.CATALOG.get(this.env.CATALOG.idFromName(shardName(i, this.count)));
      this.stubs.set(i, s);
    }
    return s;
  }

  shardFor(namespace: string, id: string): DurableObjectStub<CatalogStore> {
    return this.shard(shardIndex(namespace, id, this.count));
  }

  /** Items grouped by the shard `shardOf` names, each group in input order. */
  private byShard<T>(items: readonly T[], shardOf: (x: T) => number): Map<number, T[]> {
    const groups = new Map<number, T[]>();
    for (const x of items) {
      const i = shardOf(x);
      const g = groups.get(i);
      if (g) g.push(x);
      else groups.set(i, [x]);
    }
    return groups;
  }

  private all<T>(fn: (s: DurableObjectStub<CatalogStore>) => Promise<T>): Promise<T[]> {
    return Promise.all(Array.from({ length: this.count }, (_, i) => fn(this.shard(i))));
  }

  upsert(input: UpsertInput) {
    return this.shardFor(input.namespace, input.id).upsert(input);
  }

  /** Many images at once: one RPC per shard, shards written in parallel. */
  async upsertMany(inputs: UpsertInput[]): Promise<{ created: boolean }[]> {
    const groups = this.byShard(inputs.map((_, j) => j), (j) => shardIndex(inputs[j].namespace, inputs[j].id, this.count));
    const out: { created: boolean }[] = new Array(inputs.length);
    await Promise.all([...groups].map(async ([i, js]) => {
      const res = await this.shard(i).upsertMany(js.map((j) => inputs[j]));
      js.forEach((j, t) => { out[j] = res[t]; });
    }));
    return out;
  }

  async get(namespace: string, id: string): Promise<StoredImageInfo | null> {
    return (await this.shardFor(namespace, id).get(namespace, id)) as unknown as StoredImageInfo | null;
  }

  remove(namespace: string, id: string): Promise<boolean> {
    return this.shardFor(namespace, id).remove(namespace, id);
  }

  /** Every shard's page after `after`, merged in id order. */
  async list(namespace: string, limit: number, after: string) {
    const pages = await this.all((s) => s.list(namespace, limit, after));
    return pages.flat().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, limit);
  }

  async stats() {
    const parts = await this.all((s) => s.stats());
    const namespaces: Record<string, number> = {};
    for (const p of parts) for (const [ns, n] of Object.entries(p.namespaces)) namespaces[ns] = (namespaces[ns] ?? 0) + n;
    return {
      images: parts.reduce((a, p) => a + p.images, 0),
      namespaces,
      databaseBytes: parts.reduce((a, p) => a + p.databaseBytes, 0),
      shards: this.count,
      pipeline: parts[0].pipeline,
    };
  }

  /**
   * One shard: its candidates in one call. Many: each shard's shortlist (ids and index scores,
   * no stored fingerprint read), merged; then only the survivors are re-scored, by their shards.
   * Re-scoring every shard's whole shortlist would cost N times the reads and transfer for
   * candidates the merge throws away.
   */
  private candidates(fingerprint: Uint8Array, namespace: string): Promise<ShardCandidate[]> {
    // search() then scoreIds() for the same query (BoW additions) share one fan-out.
    if (this.memo?.fingerprint !== fingerprint || this.memo.namespace !== namespace) {
      this.memo = { fingerprint, namespace, result: this.fanOut(fingerprint, namespace) };
    }
    return this.memo.result;
  }

  private async fanOut(fingerprint: Uint8Array, namespace: string): Promise<ShardCandidate[]> {
    if (this.count === 1) return (await this.shard(0).candidates(fingerprint, namespace, this.shortlist)) as ShardCandidate[];
    const lists = await this.all((s) => s.ranked(fingerprint, namespace, this.shortlist));
    const kept = mergeShortlists(lists as RankedId[][], this.shortlist);
    const ranks = new Map(kept.map((r) => [r.id, r.ranks]));
    const rescored = await this.rescoreIds(fingerprint, namespace, kept.map((r) => r.id));
    return rescored.map((c) => ({ ...c, ranks: ranks.get(c.id)! }));
  }

  /** Exact similarities for ids, asked of the shards that hold them, in parallel. */
  private async rescoreIds(fingerprint: Uint8Array, namespace: string, ids: string[]): Promise<ShardCandidate[]> {
    const groups = this.byShard(ids, (id) => shardIndex(namespace, id, this.count));
    const parts = await Promise.all([...groups].map(([i, g]) => this.shard(i).rescore(fingerprint, namespace, g)));
    return (parts as ShardCandidate[][]).flat();
  }

  async search(fingerprint: Uint8Array, namespace: string, topK: number): Promise<FusedHit[]> {
    const cands = await this.candidates(fingerprint, namespace);
    return fuseCandidates(createEdgePipeline().fusion, cands, cands).slice(0, topK);
  }

  /** Fused hits for given ids (the origin's BoW shortlist), on the footing of the query's shortlist. */
  async scoreIds(fingerprint: Uint8Array, namespace: string, ids: string[]): Promise<FusedHit[]> {
    const [cands, rescored] = await Promise.all([this.candidates(fingerprint, namespace), this.rescoreIds(fingerprint, namespace, ids)]);
    return fuseCandidates(createEdgePipeline().fusion, cands, rescored);
  }
}
