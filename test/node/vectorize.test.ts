// The Vectorize adapter against an in-memory stand-in for the binding (Vectorize has no local mode).
import { describe, expect, it } from 'vitest';
import { VectorizeIndexAdapter } from '../../src/functions/edge/vectorize.ts';

/** Mimics the binding's observable contract: string ids <= 64 bytes, number[] values, cosine scores. */
function fakeBinding() {
  const rows = new Map<string, { id: string; values: number[]; namespace?: string; metadata?: Record<string, unknown> }>();
  const cos = (a: number[], b: number[]) => {
    let d = 0, na = 0, nb = 0;
    for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
    return d / Math.sqrt(na * nb);
  };
  return {
    rows,
    async describe() { return { vectorCount: rows.size, dimensions: 3, processedUpToDatetime: 0, processedUpToMutation: 0 }; },
    async upsert(vs: { id: string; values: number[] }[]) {
      for (const v of vs) {
        if (v.id.length > 64 || /\0/.test(v.id)) throw new Error('VECTOR_UPSERT_ERROR: bad id');
        if (!Array.isArray(v.values)) throw new Error('values must be an array');
        rows.set(v.id, v);
      }
      return { mutationId: 'm' };
    },
    async query(q: number[], o: { topK: number; namespace?: string; returnMetadata?: string }) {
      const matches = [...rows.values()].filter((r) => o.namespace === undefined || r.namespace === o.namespace)
        .map((r) => ({ id: r.id, score: cos(q, r.values), namespace: r.namespace, metadata: o.returnMetadata === 'all' ? r.metadata : undefined }))
        .sort((a, b) => b.score - a.score).slice(0, o.topK);
      return { count: matches.length, matches };
    },
    async getByIds(ids: string[]) { return ids.flatMap((id) => (rows.has(id) ? [rows.get(id)!] : [])); },
    async deleteByIds(ids: string[]) { for (const id of ids) rows.delete(id); return { mutationId: 'd' }; },
  };
}

describe('VectorizeIndexAdapter', () => {
  it('round-trips catalog keys (with their NUL separator) through Vectorize ids', async () => {
    const binding = fakeBinding();
    const idx = new VectorizeIndexAdapter(binding as unknown as Vectorize);
    await idx.upsert([
      { id: 'tenant\u0000img-1', values: new Float32Array([1, 0, 0]), namespace: 'tenant', metadata: { a: 1 } },
      { id: 'tenant\u0000img-2', values: [0, 1, 0], namespace: 'tenant' },
    ]);
    const r = await idx.query(new Float32Array([0.9, 0.1, 0]), { topK: 2, namespace: 'tenant', returnMetadata: true });
    expect(r.matches.map((m) => m.id)).toEqual(['tenant\u0000img-1', 'tenant\u0000img-2']);
    expect(r.matches[0].metadata).toEqual({ a: 1 });
    expect((await idx.getByIds(['tenant\u0000img-2']))[0].values).toEqual(new Float32Array([0, 1, 0]));
    await idx.deleteByIds(['tenant\u0000img-1']);
    expect((await idx.describe()).vectorCount).toBe(1);
  });

  it('refuses ids over the 64-byte limit with a clear error', async () => {
    const idx = new VectorizeIndexAdapter(fakeBinding() as unknown as Vectorize);
    await expect(idx.upsert([{ id: 'x'.repeat(80), values: [1, 0, 0] }])).rejects.toThrow(/64-byte/);
  });
});
