/**
 * Cloudflare Vectorize behind our VectorIndex interface, for users who outgrow one Durable Object.
 * Vectorize's mutations are asynchronous (visible after a few seconds) and it cannot run locally,
 * so it is only wired when a `VECTORIZE` binding is configured (see README, "Deploying").
 * Vectorize ids are at most 64 bytes; ours carry the namespace, so they are URI-encoded on the way
 * in (our catalog keys contain a NUL separator) and refused with a clear error when too long.
 */
import type { IndexInfo, Metric, QueryOptions, VectorIndex, VectorMatch, VectorRecord } from '../../core/index/vector-index.ts';

const MAX_ID_BYTES = 64;

export class VectorizeIndexAdapter implements VectorIndex {
  constructor(private readonly binding: Vectorize, private readonly metric: Metric = 'cosine') {}

  private static wireId(id: string): string {
    const wire = encodeURIComponent(id);
    if (new TextEncoder().encode(wire).length > MAX_ID_BYTES) {
      throw new RangeError(`id "${id}" is over Vectorize's ${MAX_ID_BYTES}-byte limit once encoded`);
    }
    return wire;
  }

  async describe(): Promise<IndexInfo> {
    const info = await this.binding.describe();
    return { dimensions: info.dimensions, metric: this.metric, vectorCount: info.vectorCount, description: 'Vectorize' };
  }

  async upsert(vectors: VectorRecord[]): Promise<{ count: number; ids: string[] }> {
    await this.binding.upsert(vectors.map((v) => ({
      id: VectorizeIndexAdapter.wireId(v.id),
      values: Array.from(v.values),
      namespace: v.namespace,
      metadata: v.metadata as Record<string, VectorizeVectorMetadata> | undefined,
    })));
    return { count: vectors.length, ids: vectors.map((v) => v.id) };
  }

  async query(vector: Float32Array | number[], o: QueryOptions = {}): Promise<{ count: number; matches: VectorMatch[] }> {
    const res = await this.binding.query(Array.from(vector), {
      topK: o.topK ?? 5,
      namespace: o.namespace,
      returnValues: o.returnValues ?? false,
      returnMetadata: o.returnMetadata === true || o.returnMetadata === 'all' ? 'all' : 'none',
      filter: o.filter as VectorizeVectorMetadataFilter | undefined,
    });
    const matches = res.matches.map((m) => ({
      id: decodeURIComponent(m.id),
      score: m.score,
      namespace: m.namespace,
      values: m.values ? Float32Array.from(m.values as ArrayLike<number>) : undefined,
      metadata: m.metadata as Record<string, unknown> | undefined,
    }));
    return { count: matches.length, matches };
  }

  async getByIds(ids: string[]): Promise<VectorRecord[]> {
    const rows = await this.binding.getByIds(ids.map(VectorizeIndexAdapter.wireId));
    return rows.map((r) => ({
      id: decodeURIComponent(r.id),
      values: Float32Array.from(r.values as ArrayLike<number>),
      namespace: r.namespace,
      metadata: r.metadata as Record<string, unknown> | undefined,
    }));
  }

  async deleteByIds(ids: string[]): Promise<{ count: number; ids: string[] }> {
    await this.binding.deleteByIds(ids.map(VectorizeIndexAdapter.wireId));
    return { count: ids.length, ids };
  }
}
