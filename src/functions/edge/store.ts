/**
 * The embedded store: one Durable Object with SQLite-backed storage. Every write goes to SQLite
 * first (the output gate holds the reply until it is durable), then into the in-memory Catalog that
 * serves queries; on start the Catalog is rebuilt from the rows. Fingerprints arrive already
 * extracted by the Worker, so the object spends its single thread on index work only.
 */
import { DurableObject } from 'cloudflare:workers';
import { Catalog, defaultIndexFactory, type IndexFactory, type SearchHit } from '../../core/index/catalog.ts';
import type { Metadata } from '../../core/index/vector-index.ts';
import { unpackFingerprint } from '../../core/signals/fingerprint.ts';
import type { Fingerprint } from '../../core/signals/signal.ts';
import { createEdgePipeline, type EdgePipeline } from './pipeline.ts';
import { VectorizeIndexAdapter } from './vectorize.ts';

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

/**
 * A signal's shortlist comes from Cloudflare Vectorize when a binding named VECTORIZE_<SIGNAL>
 * (e.g. VECTORIZE_PDQ) is configured, else from memory. Fingerprints stay in SQLite either way, so
 * exact re-scoring and fusion are unchanged.
 */
function vectorizeOrFlat(env: Env): IndexFactory {
  return (signal) => {
    const binding = env[`VECTORIZE_${signal.name.toUpperCase()}`] as Vectorize | undefined;
    return binding ? new VectorizeIndexAdapter(binding, signal.index.metric) : defaultIndexFactory(signal);
  };
}

export class CatalogStore extends DurableObject<Env> {
  private pipeline: EdgePipeline;
  private catalog: Catalog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.pipeline = createEdgePipeline();
    this.catalog = new Catalog(this.pipeline.signals, this.pipeline.fusion, vectorizeOrFlat(env));
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
    const fp = this.decode(input.fingerprint);
    const created = this.catalog.get(input.namespace, input.id) === undefined;
    this.sql.exec(
      `INSERT OR REPLACE INTO images (ns, id, metadata, width, height, created_at, fp) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      input.namespace, input.id, input.metadata ? JSON.stringify(input.metadata) : null,
      input.width, input.height, new Date().toISOString(), input.fingerprint,
    );
    await this.catalog.add({ id: input.id, namespace: input.namespace, metadata: input.metadata, fingerprint: fp });
    return { created };
  }

  async search(fingerprint: Uint8Array, namespace: string, topK: number): Promise<SearchHit[]> {
    return this.catalog.search(this.decode(fingerprint), { namespace, topK });
  }

  /** Fused hits for given ids (references the origin's BoW shortlist found), best first. */
  async scoreIds(fingerprint: Uint8Array, namespace: string, ids: string[]): Promise<SearchHit[]> {
    return this.catalog.scoreIds(this.decode(fingerprint), ids, { namespace });
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
    const cursor = this.sql.exec('DELETE FROM images WHERE ns = ? AND id = ?', namespace, id);
    const deleted = cursor.rowsWritten > 0;
    await this.catalog.remove(namespace, id);
    return deleted;
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
