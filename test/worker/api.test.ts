// The edge API inside workerd, through the same wrangler.toml as `npm start`.
import { SELF, abortAllDurableObjects } from 'cloudflare:test';
import { beforeEach, describe, expect, inject, it } from 'vitest';

const fx = inject('fixtures');
const bytes = (name: string) => Uint8Array.from(atob(fx[name]), (c) => c.charCodeAt(0));
// Storage outlives a test here, so every test works in a namespace of its own.
let ns = 'default';
beforeEach(() => {
  ns = `t${Math.random().toString(36).slice(2, 10)}`;
});
const url = (path: string) => `http://copycat.test${path}${path.includes('?') ? '&' : '?'}namespace=${ns}`;

async function put(id: string, body: BodyInit, init: RequestInit = {}) {
  return SELF.fetch(url(`/v1/images/${id}`), { method: 'PUT', body, ...init });
}
async function search(body: BodyInit, query = '') {
  return SELF.fetch(`http://copycat.test/v1/search${query || `?namespace=${ns}`}`, { method: 'POST', body });
}
async function countInNamespace(): Promise<number> {
  const stats = (await (await SELF.fetch('http://copycat.test/v1/stats')).json()) as { namespaces: Record<string, number> };
  return stats.namespaces[ns] ?? 0;
}
async function errorOf(res: Response) {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(typeof body.error.message).toBe('string');
  return body.error.code;
}

describe('edge API', () => {
  it('indexes images and finds a rescaled, re-encoded copy above unrelated ones', async () => {
    expect((await put('a', bytes('a_jpg'))).status).toBe(201);
    expect((await put('b', bytes('b_jpg'))).status).toBe(201);
    expect((await put('c', bytes('c_png'))).status).toBe(201);
    const res = await search(bytes('a_copy_jpg'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { matches: { id: string; score: number; signals: Record<string, number> }[]; verdict: string; threshold: number };
    expect(body.matches[0].id).toBe('a');
    expect(body.matches[0].score).toBeGreaterThan(body.matches[1].score);
    expect(body.matches.map((m) => m.score)).toEqual([...body.matches.map((m) => m.score)].sort((x, y) => y - x));
    expect(body.verdict).toBe('copy');
    expect(body.matches[0].signals.pdq).toBeGreaterThan(0.8);
  });

  it('finds a mirrored copy through the dihedral PDQ variants', async () => {
    await put('a', bytes('a_jpg'));
    await put('b', bytes('b_jpg'));
    const body = (await (await search(bytes('a_flip_png'))).json()) as { matches: { id: string; signals: Record<string, number> }[] };
    expect(body.matches[0].id).toBe('a');
    expect(body.matches[0].signals.pdq).toBeGreaterThan(0.85);
  });

  it('answers no_match for an image unlike anything indexed', async () => {
    await put('a', bytes('a_jpg'));
    const body = (await (await search(bytes('b_jpg'))).json()) as { verdict: string };
    expect(body.verdict).toBe('no_match');
  });

  it.skipIf(!fx.real_ref)('ranks a real rescaled photo copy first (../shared/bench/s1)', async () => {
    await put('ref', bytes('real_ref'));
    await put('other', bytes('real_other'));
    const body = (await (await search(bytes('real_query'))).json()) as { matches: { id: string; score: number }[] };
    expect(body.matches[0].id).toBe('ref');
    expect(body.matches[0].score).toBeGreaterThan(body.matches[1].score);
  });

  it('accepts multipart uploads with metadata, returns it on get and search, and deletes', async () => {
    const form = new FormData();
    form.append('image', new Blob([bytes('a_webp')], { type: 'image/webp' }), 'a.webp');
    form.append('metadata', JSON.stringify({ owner: 'alice', title: 'sunset' }));
    const res = await put('meta-1', form);
    expect(res.status).toBe(201);
    const got = (await (await SELF.fetch(url('/v1/images/meta-1'))).json()) as { metadata: unknown; pdq: string; width: number };
    expect(got.metadata).toEqual({ owner: 'alice', title: 'sunset' });
    expect(got.pdq).toMatch(/^[0-9a-f]{64}$/);
    expect(got.width).toBe(320);
    const hit = (await (await search(bytes('a_jpg'))).json()) as { matches: { id: string; metadata: unknown }[] };
    expect(hit.matches[0]).toMatchObject({ id: 'meta-1', metadata: { owner: 'alice' } });
    expect((await SELF.fetch(url('/v1/images/meta-1'), { method: 'DELETE' })).status).toBe(200);
    expect((await SELF.fetch(url('/v1/images/meta-1'))).status).toBe(404);
    const after = (await (await search(bytes('a_jpg'))).json()) as { matches: unknown[] };
    expect(after.matches).toEqual([]);
  });

  it('replacing an id answers 200 and keeps one entry', async () => {
    expect((await put('x', bytes('a_jpg'))).status).toBe(201);
    expect((await put('x', bytes('b_jpg'))).status).toBe(200);
    expect(await countInNamespace()).toBe(1);
  });

  it('keeps namespaces apart', async () => {
    await put('a', bytes('a_jpg'));
    const other = (await (await search(bytes('a_jpg'), `?namespace=${ns}-other`)).json()) as { matches: unknown[] };
    expect(other.matches).toEqual([]);
    const same = (await (await search(bytes('a_jpg'))).json()) as { matches: { id: string }[] };
    expect(same.matches[0].id).toBe('a');
  });

  it('survives a restart of the Durable Object: the catalog is reloaded from SQLite', async () => {
    await put('persist-me', bytes('a_jpg'));
    await abortAllDurableObjects();
    const res = await search(bytes('a_copy_jpg'));
    const body = (await res.json()) as { matches: { id: string }[] };
    expect(body.matches[0]?.id).toBe('persist-me');
    expect((await SELF.fetch(url('/v1/images/persist-me'))).status).toBe(200);
  });

  it('serves health and an OpenAPI document', async () => {
    expect(await (await SELF.fetch(url('/health'))).json()).toMatchObject({ ok: true });
    const doc = (await (await SELF.fetch(url('/openapi.json'))).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/v1/search');
  });
});

describe('bad input never reaches the index and never answers 5xx', () => {
  const jpg = () => bytes('a_jpg');
  const cases: [string, () => Promise<Response>, number, string][] = [
    ['empty body', () => put('e1', new Uint8Array(0)), 400, 'empty'],
    ['text body', () => put('e2', 'hello, not an image'), 415, 'unsupported_type'],
    ['GIF', () => put('e3', new TextEncoder().encode('GIF89a\x01\x00\x01\x00')), 415, 'unsupported_type'],
    ['truncated header', () => put('e4', jpg().slice(0, 40)), 422, 'truncated'],
    ['truncated data', () => put('e5', jpg().slice(0, Math.floor(jpg().length / 3))), 422, 'truncated'],
    ['corrupt PNG data', () => put('e9', corruptPng()), 422, 'corrupt'],
    ['too many bytes', () => put('e6', new Uint8Array(21 * 1024 * 1024).fill(0xff)), 413, 'too_large'],
    ['too many pixels', () => put('e7', hugePng()), 413, 'too_many_pixels'],
    ['bad id', () => put('..%2Fetc', jpg()), 400, 'bad_id'],
    ['too long id', () => put('x'.repeat(200), jpg()), 400, 'bad_id'],
    ['bad metadata', () => multipart(jpg(), '{not json'), 400, 'bad_metadata'],
    ['metadata not an object', () => multipart(jpg(), '[1,2]'), 400, 'bad_metadata'],
    ['multipart without image', () => put('e8', formWithout()), 400, 'missing_image'],
    ['bad topK', () => search(jpg(), `?topK=0&namespace=${ns}`), 400, 'bad_topK'],
    ['bad namespace', () => search(jpg(), '?namespace=a%20b'), 400, 'bad_namespace'],
    ['search with garbage', () => search(new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3])), 422, 'truncated'],
  ];
  for (const [name, send, status, code] of cases) {
    it(`${name} -> ${status} ${code}`, async () => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(await errorOf(res)).toBe(code);
      expect(await countInNamespace()).toBe(0);
    });
  }

  it('unknown routes answer a JSON 404', async () => {
    const res = await SELF.fetch('http://copycat.test/v2/nothing');
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toBe('not_found');
  });
});

function multipart(image: Uint8Array, metadata: string) {
  const form = new FormData();
  form.append('image', new Blob([image]), 'x.jpg');
  form.append('metadata', metadata);
  return put('m1', form);
}

function formWithout() {
  const form = new FormData();
  form.append('metadata', '{}');
  return form;
}

/** A PNG whose compressed pixel data is overwritten (its end chunk intact). */
function corruptPng(): Uint8Array {
  const b = bytes('c_png');
  for (let i = 60; i < b.length - 40; i += 7) b[i] ^= 0x5a;
  return b;
}

/** A PNG header declaring 20000x20000 pixels: refused from the header, nothing decoded. */
function hugePng(): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const v = new DataView(b.buffer);
  v.setUint32(16, 20000);
  v.setUint32(20, 20000);
  return b;
}
