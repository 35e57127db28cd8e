// The catalog split over Durable Object shards answers exactly as one object does.
import { env } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { app } from '../../src/functions/edge/app.ts';
import { ShardedCatalog, shardIndex, type ShardEnv } from '../../src/functions/edge/shards.ts';

const fx = inject('fixtures');
const bytes = (name: string) => Uint8Array.from(atob(fx[name]), (c) => c.charCodeAt(0));
const refs = ['a_jpg', 'b_jpg', 'c_png', 'a_webp'];

interface SearchBody { matches: { id: string; score: number; signals: Record<string, number> }[]; verdict: string }

function edge(vars: Record<string, string>, ns: string) {
  const e = { ...env, ...vars } as unknown as ShardEnv;
  const call = (path: string, init?: RequestInit) => app.request(`http://copycat.test${path}${path.includes('?') ? '&' : '?'}namespace=${ns}`, init, e);
  return {
    e,
    put: (id: string, body: Uint8Array) => call(`/v1/images/${id}`, { method: 'PUT', body }),
    search: async (body: Uint8Array) => (await (await call('/v1/search?top_k=4', { method: 'POST', body })).json()) as SearchBody,
    list: async (q: string) => (await (await call(`/v1/images?${q}`)).json()) as { images: { id: string }[]; next: string | null },
    get: (id: string) => call(`/v1/images/${id}`),
    del: (id: string) => call(`/v1/images/${id}`, { method: 'DELETE' }),
  };
}

describe('sharded catalog', () => {
  it('3 shards give the single object\'s matches and scores; gets, lists and deletes are routed', async () => {
    const ns = `s${Math.random().toString(36).slice(2, 10)}`;
    // A shortlist of 2 per lookup, so that each shard's local list differs from the merged one.
    const one = edge({ CATALOG_SHARDS: '1', CATALOG_SHORTLIST: '2' }, ns);
    const three = edge({ CATALOG_SHARDS: '3', CATALOG_SHORTLIST: '2' }, ns);
    const ids = refs.map((_, i) => `r${i}`);
    for (const [i, r] of refs.entries()) {
      expect((await one.put(ids[i], bytes(r))).status).toBe(201);
      expect((await three.put(ids[i], bytes(r))).status).toBe(201);
    }
    const used = new Set(ids.map((id) => shardIndex(ns, id, 3)));
    expect(used.size).toBeGreaterThan(1);
    const sharded = new ShardedCatalog(three.e);
    const perShard = await Promise.all([0, 1, 2].map((i) => sharded.shard(i).stats()));
    expect(perShard.map((s) => s.namespaces[ns] ?? 0).reduce((a, b) => a + b, 0)).toBe(refs.length);

    for (const q of ['a_copy_jpg', 'a_flip_png', 'b_jpg']) {
      const [x, y] = [await one.search(bytes(q)), await three.search(bytes(q))];
      expect(y.matches.map((m) => m.id)).toEqual(x.matches.map((m) => m.id));
      y.matches.forEach((m, j) => expect(m.score).toBeCloseTo(x.matches[j].score, 9));
      expect(y.verdict).toBe(x.verdict);
    }
    expect((await three.search(bytes('a_copy_jpg'))).matches[0].id).toMatch(/^r[03]$/);

    const page1 = await three.list('limit=3');
    expect(page1.images.map((m) => m.id)).toEqual(['r0', 'r1', 'r2']);
    expect((await three.list(`limit=3&after=${page1.next}`)).images.map((m) => m.id)).toEqual(['r3']);
    expect((await three.get('r2')).status).toBe(200);
    expect((await three.del('r2')).status).toBe(200);
    expect((await three.get('r2')).status).toBe(404);
    expect((await three.search(bytes('c_png'))).matches.map((m) => m.id)).not.toContain('r2');
  });

  it('rejects a bad CATALOG_SHARDS with a clear error', () => {
    expect(() => new ShardedCatalog({ ...env, CATALOG_SHARDS: '0' } as unknown as ShardEnv)).toThrow(/CATALOG_SHARDS/);
    expect(() => new ShardedCatalog({ ...env, CATALOG_SHARDS: 'x' } as unknown as ShardEnv)).toThrow(/CATALOG_SHARDS/);
  });
});
