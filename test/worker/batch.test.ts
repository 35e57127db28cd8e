// POST /v1/batch/images: fingerprints and local features made by the caller, many at once.
import { env } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { serializeLocalFeatures } from '../../src/core/local/index.ts';
import { localFeaturesFromBytes } from '../../src/core/pipeline.ts';
import { app } from '../../src/functions/edge/app.ts';
import { fingerprintImage, type CatalogEnv } from '../../src/functions/edge/operations.ts';

const fx = inject('fixtures');
const bytes = (name: string) => Uint8Array.from(atob(fx[name]), (c) => c.charCodeAt(0));
const e = { ...env, ORIGIN_URL: inject('originUrl'), CATALOG_SHARDS: '2' } as unknown as CatalogEnv;

async function item(name: string) {
  const b = bytes(name);
  const fp = await fingerprintImage(e, b);
  return { fp: fp.packed, width: fp.width, height: fp.height, local: serializeLocalFeatures((await localFeaturesFromBytes(b)).features) };
}

function post(ns: string, items: { id: string; width: number; height: number; metadata?: unknown }[], parts: Record<string, Uint8Array>) {
  const form = new FormData();
  form.set('images', JSON.stringify(items));
  for (const [k, v] of Object.entries(parts)) form.set(k, new Blob([v]), k);
  return app.request(`http://copycat.test/v1/batch/images?namespace=${ns}`, { method: 'POST', body: form }, e);
}

describe('batch upsert', () => {
  it('indexes a batch across shards with its local features, searchable and verified at once', async () => {
    const ns = `b${Math.random().toString(36).slice(2, 10)}`;
    const names = ['a_jpg', 'b_jpg', 'c_png'];
    const made = await Promise.all(names.map(item));
    const items = made.map((m, i) => ({ id: `p${i}`, width: m.width, height: m.height, metadata: { n: i } }));
    const parts: Record<string, Uint8Array> = {};
    made.forEach((m, i) => { parts[`fingerprint_${i}`] = m.fp; parts[`local_${i}`] = m.local; });
    parts.thumb_0 = bytes('a_jpg');
    const res = await post(ns, items, parts);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ count: 3, created: 3, updated: 0, thumbnails: 1, localFeatures: { status: 'stored', count: 3 } });
    const thumb = await app.request(`http://copycat.test/v1/images/p0/thumbnail?namespace=${ns}`, {}, e);
    expect(thumb.status).toBe(200);
    expect(new Uint8Array(await thumb.arrayBuffer()).length).toBe(bytes('a_jpg').length);
    const again = await post(ns, items.slice(0, 1), { fingerprint_0: made[0].fp });
    expect(await again.json()).toMatchObject({ count: 1, created: 0, updated: 1, localFeatures: { status: 'none_sent' } });

    const s = await app.request(`http://copycat.test/v1/search?namespace=${ns}`, { method: 'POST', body: bytes('a_copy_jpg') }, e);
    const body = (await s.json()) as { matches: { id: string; metadata: unknown; verification: { status: string } }[]; verdict: string };
    expect(body.matches[0]).toMatchObject({ id: 'p0', metadata: { n: 0 }, verification: { status: 'verified' } });
    expect(body.verdict).toBe('copy');
  });

  it('refuses a bad batch whole, saying which item is wrong', async () => {
    const ns = `b${Math.random().toString(36).slice(2, 10)}`;
    const m = await item('b_jpg');
    const ok = { id: 'x1', width: m.width, height: m.height };
    const cases: [Parameters<typeof post>[1], Record<string, Uint8Array>, number, string][] = [
      [[ok, { ...ok }], { fingerprint_0: m.fp, fingerprint_1: m.fp }, 400, 'duplicate_id'],
      [[ok, { ...ok, id: 'x2' }], { fingerprint_0: m.fp }, 400, 'missing_fingerprint'],
      [[ok], { fingerprint_0: m.fp.slice(0, 10) }, 422, 'bad_fingerprint'],
      [[{ ...ok, width: 0 }], { fingerprint_0: m.fp }, 400, 'bad_size'],
      [[ok], { fingerprint_0: m.fp, thumb_0: new Uint8Array([1, 2, 3]) }, 415, 'unsupported_type'],
      [[{ ...ok, id: '../x' }], { fingerprint_0: m.fp }, 400, 'bad_id'],
      [[], {}, 400, 'bad_images'],
      [Array.from({ length: 501 }, (_, i) => ({ ...ok, id: `y${i}` })), {}, 400, 'bad_images'],
    ];
    for (const [items, parts, status, code] of cases) {
      const res = await post(ns, items, parts);
      expect(res.status, code).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    const list = await app.request(`http://copycat.test/v1/images?namespace=${ns}`, {}, e);
    expect(((await list.json()) as { images: unknown[] }).images).toEqual([]);
  });
});
