/**
 * Where the origin keeps each reference's local features (serialized, 38 bytes a keypoint), and the
 * in-memory cache of decoded ones that verification reads. The store is an interface because the
 * origin runs on Node (files, src/functions/node/feature-files.ts) and as a Worker (KV); the
 * cache is here because decoding 19 KB of features costs about as much as matching them, and the
 * <= 3 ms per pair budget holds only for cached references.
 */
import { deserializeLocalFeatures, type LocalFeatures } from '../../core/local/index.ts';

export interface FeatureStore {
  get(namespace: string, id: string): Promise<Uint8Array | null>;
  /** Durable when the promise resolves. */
  put(namespace: string, id: string, bytes: Uint8Array): Promise<void>;
  delete(namespace: string, id: string): Promise<boolean>;
  /** Counts, where the backend can give them cheaply. */
  stats(): Promise<{ images: number | null; bytes: number | null; backend: string }>;
  /** Every stored reference, where the backend can list them (to rebuild in-memory indexes on start). */
  list?(): AsyncIterable<{ namespace: string; id: string }>;
}

export class MemoryFeatureStore implements FeatureStore {
  private readonly rows = new Map<string, Uint8Array>();

  async get(namespace: string, id: string) {
    return this.rows.get(`${namespace}/${id}`) ?? null;
  }
  async put(namespace: string, id: string, bytes: Uint8Array) {
    this.rows.set(`${namespace}/${id}`, bytes.slice());
  }
  async delete(namespace: string, id: string) {
    return this.rows.delete(`${namespace}/${id}`);
  }
  async *list() {
    for (const key of [...this.rows.keys()]) {
      const cut = key.indexOf('/');
      yield { namespace: key.slice(0, cut), id: key.slice(cut + 1) };
    }
  }
  async stats() {
    let bytes = 0;
    for (const b of this.rows.values()) bytes += b.length;
    return { images: this.rows.size, bytes, backend: 'memory' };
  }
}

/** Least-recently-used cache of decoded features, bounded by their serialized size. */
export class FeatureCache {
  private readonly entries = new Map<string, { f: LocalFeatures; bytes: number }>();
  private used = 0;
  hits = 0;
  misses = 0;

  constructor(readonly store: FeatureStore, readonly maxBytes = 256 * 1024 * 1024) {}

  async get(namespace: string, id: string): Promise<LocalFeatures | null> {
    const key = `${namespace}/${id}`;
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
      this.hits++;
      return e.f;
    }
    this.misses++;
    const bytes = await this.store.get(namespace, id);
    if (!bytes) return null;
    const f = deserializeLocalFeatures(bytes);
    this.remember(key, f, bytes.length);
    return f;
  }

  async put(namespace: string, id: string, bytes: Uint8Array, f: LocalFeatures): Promise<void> {
    await this.store.put(namespace, id, bytes);
    this.forget(`${namespace}/${id}`);
    this.remember(`${namespace}/${id}`, f, bytes.length);
  }

  async delete(namespace: string, id: string): Promise<boolean> {
    this.forget(`${namespace}/${id}`);
    return this.store.delete(namespace, id);
  }

  get cachedBytes(): number {
    return this.used;
  }

  private remember(key: string, f: LocalFeatures, bytes: number): void {
    this.entries.set(key, { f, bytes });
    this.used += bytes;
    for (const [k, e] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(k);
      this.used -= e.bytes;
    }
  }

  private forget(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.used -= e.bytes;
  }
}
