/**
 * One catalog shard: a Durable Object with SQLite-backed storage (shards.ts routes to it). Every
 * write goes to SQLite first (the output gate holds the reply until it is durable), then into the
 * shortlist indexes, the only thing kept in memory; fingerprints stay in the rows and are read back
 * for exact re-scoring. On start the indexes are rebuilt from the rows. Fingerprints arrive
 * already extracted, so the object spends its single thread on index work only.
 */
import { DurableObject } from 'cloudflare:workers';
import { Catalog, type CatalogEntry, type EntryStore } from '../../core/index/catalog.ts';
import type { RankedId, ShardCandidate } from '../../core/index/shortlist-merge.ts';
import type { Metadata } from '../../core/index/vector-index.ts';
import { unpackFingerprint } from '../../core/signals/fingerprint.ts';
import type { Fingerprint } from '../../core/signals/signal.ts';
import { createEdgePipeline, type EdgePipeline } from './pipeline.ts';
import { shardIndexFactory } from './shard-index.ts';

export interface StoredImageInfo {
  id: string;
  namespace: string;
  metadata?: Metadata;
  width: number;
  height: number;
  createdAt: string;
  pdq?: string;
  pdqQuality?: number;
}

export interface UpsertInput {
  id: string;
  namespace: string;
  metadata?: Metadata;
  width: number;
  height: number;
  fingerprint: Uint8Array;
}

interface Env { [k: string]: unknown }

/** Most images one upsertMany call takes: keeps one call's SQLite transaction and reply small. */
export const MAX_BATCH = 500;

export class CatalogStore extends DurableObject<Env> {
  private pipeline: EdgePipeline;
  private catalog: Catalog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.pipeline = createEdgePipeline();
    this.catalog = new Catalog(this.pipeline.signals, this.pipeline.fusion, shardIndexFactory(env), new SqlEntries(() => this.sql, this.pipeline.signals));
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS images (
        ns TEXT NOT NULL, id TEXT NOT NULL, metadata TEXT, width INTEGER, height INTEGER,
        created_at TEXT NOT NULL, fp BLOB NOT NULL, PRIMARY KEY (ns, id))`);
      await this.load();
    });
  }

  private get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  private async load(): Promise<void> {
    for (const row of this.sql.exec('SELECT ns, id, metadata, fp FROM images')) {
      const fp = unpackFingerprint(this.pipeline.signals, new Uint8Array(row.fp as ArrayBuffer));
      if (!this.pipeline.signals.every((s) => fp[s.name] !== undefined)) continue;
      await this.catalog.add({
        id: row.id as string, namespace: row.ns as string, fingerprint: fp,
        metadata: row.metadata ? JSON.parse(row.metadata as string) : undefined,
      });
    }
  }

  /** Returns whether the id was new. The row is written before memory, so a failure leaves neither. */
  async upsert(input: UpsertInput): Promise<{ created: boolean }> {
    return (await this.upsertMany([input]))[0];
  }

  /**
   * A batch in one transaction: every row is durable before any reply, and a bad fingerprint
   * anywhere rejects the whole batch before anything is written.
   */
  async upsertMany(inputs: UpsertInput[]): Promise<{ created: boolean }[]> {
    if (inputs.length > MAX_BATCH) throw new RangeError(`at most ${MAX_BATCH} images per batch, got ${inputs.length}`);
    const fps = inputs.map((x) => this.decode(x.fingerprint));
    const created = inputs.map((x) => !this.catalog.has(x.namespace, x.id));
    const now = new Date().toISOString();
    this.ctx.storage.transactionSync(() => {
      for (const x of inputs) {
        this.sql.exec(
          `INSERT OR REPLACE INTO images (ns, id, metadata, width, height, created_at, fp) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          x.namespace, x.id, x.metadata ? JSON.stringify(x.metadata) : null, x.width, x.height, now, x.fingerprint,
        );
      }
    });
    for (const [j, x] of inputs.entries()) {
      await this.catalog.add({ id: x.id, namespace: x.namespace, metadata: x.metadata, fingerprint: fps[j] });
    }
    return created.map((c) => ({ created: c }));
  }

  /** This shard's raw shortlist for a query; the edge merges all shards' and fuses once. */
  async candidates(fingerprint: Uint8Array, namespace: string, shortlist: number): Promise<ShardCandidate[]> {
    return this.catalog.candidates(this.decode(fingerprint), { namespace, shortlist });
  }

  /** This shard's shortlist without re-scoring: the first half of a many-shard search. */
  async ranked(fingerprint: Uint8Array, namespace: string, shortlist: number): Promise<RankedId[]> {
    return this.catalog.ranked(this.decode(fingerprint), { namespace, shortlist });
  }

  /** Exact per-signal similarities to given references (merged shortlists, the origin's BoW shortlist). */
  async rescore(fingerprint: Uint8Array, namespace: string, ids: string[]): Promise<ShardCandidate[]> {
    return this.catalog.rescore(this.decode(fingerprint), namespace, ids);
  }

  async get(namespace: string, id: string): Promise<StoredImageInfo | null> {
    const rows = [...this.sql.exec('SELECT * FROM images WHERE ns = ? AND id = ?', namespace, id)];
    if (!rows.length) return null;
    const r = rows[0];
    const fp = unpackFingerprint(this.pipeline.signals, new Uint8Array(r.fp as ArrayBuffer));
    return {
      id, namespace, width: r.width as number, height: r.height as number, createdAt: r.created_at as string,
      metadata: r.metadata ? JSON.parse(r.metadata as string) : undefined,
      ...this.pipeline.describePdq(fp),
    };
  }

  async remove(namespace: string, id: string): Promise<boolean> {
    // Out of the indexes first (that needs the row), then the row; the reply waits for the delete.
    await this.catalog.remove(namespace, id);
    return this.sql.exec('DELETE FROM images WHERE ns = ? AND id = ?', namespace, id).rowsWritten > 0;
  }

  async list(namespace: string, limit: number, after: string): Promise<{ id: string; createdAt: string }[]> {
    const rows = this.sql.exec('SELECT id, created_at FROM images WHERE ns = ? AND id > ? ORDER BY id LIMIT ?', namespace, after, limit);
    return [...rows].map((r) => ({ id: r.id as string, createdAt: r.created_at as string }));
  }

  async stats(): Promise<{ images: number; namespaces: Record<string, number>; databaseBytes: number; pipeline: string }> {
    const namespaces: Record<string, number> = {};
    for (const r of this.sql.exec('SELECT ns, COUNT(*) AS n FROM images GROUP BY ns')) namespaces[r.ns as string] = r.n as number;
    return { images: this.catalog.size, namespaces, databaseBytes: this.sql.databaseSize, pipeline: await this.catalog.describe() };
  }

  private decode(bytes: Uint8Array): Fingerprint {
    const fp = unpackFingerprint(this.pipeline.signals, bytes);
    for (const s of this.pipeline.signals) {
      if (fp[s.name] === undefined) throw new Error(`fingerprint lacks signal ${s.name} v${s.version}`);
    }
    return fp;
  }
}

/**
 * The catalog's entries read from this object's rows: fingerprints stay in SQLite (cold), so an
 * object's memory holds only the shortlist indexes. Rows are written and deleted by CatalogStore
 * itself (with width, height and time), so set and delete here have nothing left to do.
 */
class SqlEntries implements EntryStore {
  constructor(private readonly sql: () => SqlStorage, private readonly signals: EdgePipeline['signals']) {}

  get(key: string): CatalogEntry | undefined {
    const [ns, id] = splitKey(key);
    const rows = [...this.sql().exec('SELECT metadata, fp FROM images WHERE ns = ? AND id = ?', ns, id)];
    if (!rows.length) return undefined;
    return toEntry(this.signals, ns, id, rows[0]);
  }

  has(key: string): boolean {
    const [ns, id] = splitKey(key);
    return [...this.sql().exec('SELECT 1 FROM images WHERE ns = ? AND id = ?', ns, id)].length > 0;
  }

  set(): void {}

  delete(): boolean {
    return true;
  }

  *values(): Iterable<CatalogEntry> {
    for (const r of this.sql().exec('SELECT ns, id, metadata, fp FROM images')) yield toEntry(this.signals, r.ns as string, r.id as string, r);
  }

  get size(): number {
    return [...this.sql().exec('SELECT COUNT(*) AS n FROM images')][0].n as number;
  }
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}

function toEntry(signals: EdgePipeline['signals'], ns: string, id: string, r: Record<string, SqlStorageValue>): CatalogEntry {
  return {
    id, namespace: ns, fingerprint: unpackFingerprint(signals, new Uint8Array(r.fp as ArrayBuffer)),
    metadata: r.metadata ? JSON.parse(r.metadata as string) : undefined,
  };
}
