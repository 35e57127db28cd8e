// Tenants and keys inside workerd: isolation between tenants, scopes, revocation, rate limiting.
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { app } from '../../src/functions/edge/app.ts';

const fx = inject('fixtures');
const bytes = (name: string) => Uint8Array.from(atob(fx[name]), (c) => c.charCodeAt(0));
const ADMIN = 'bootstrap-admin-secret-for-tests';
const on = { ...env, AUTH: 'on', ADMIN_KEY: ADMIN };
// Tenants are fresh per run: key and image storage outlive a test run here.
const run = Math.random().toString(36).slice(2, 8);
const A = `a${run}`, B = `b${run}`;

function call(path: string, key: string | null, init: RequestInit = {}, e: object = on) {
  const headers = new Headers(init.headers);
  if (key) headers.set('authorization', `Bearer ${key}`);
  return app.request(`http://copycat.test${path}`, { ...init, headers }, e);
}

async function newKey(tenant: string, scopes: string[], admin = ADMIN): Promise<string> {
  const res = await call('/v1/keys', admin, { method: 'POST', body: JSON.stringify({ tenant, scopes, name: 'test' }), headers: { 'content-type': 'application/json' } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

async function code(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

let keyA: string, keyB: string, readA: string;
beforeAll(async () => {
  keyA = await newKey(A, ['read', 'write']);
  keyB = await newKey(B, ['read', 'write', 'admin']);
  readA = await newKey(A, ['read']);
  expect((await call('/v1/images/shared-id', keyA, { method: 'PUT', body: bytes('a_jpg') })).status).toBe(201);
  expect((await call('/v1/images/shared-id', keyB, { method: 'PUT', body: bytes('b_jpg') })).status).toBe(201);
  expect((await call('/v1/images/only-b', keyB, { method: 'PUT', body: bytes('c_png') })).status).toBe(201);
});

describe('tenants and keys', () => {
  it('refuses requests without a valid key, but serves /health and /openapi.json', async () => {
    expect(await code(await call('/v1/stats', null))).toBe('unauthorized');
    expect(await code(await call('/v1/stats', 'cc_0123456789abcdef_' + 'x'.repeat(43)))).toBe('unauthorized');
    expect(await code(await call('/v1/stats', keyA.slice(0, -1) + (keyA.endsWith('A') ? 'B' : 'A')))).toBe('unauthorized');
    expect((await call('/health', null)).status).toBe(200);
    expect((await call('/openapi.json', null)).status).toBe(200);
    // The console page itself is public (it asks for a key); its thumbnails are not.
    const page = await call('/console', null);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('copycat review console');
    expect(await code(await call('/v1/images/x/thumbnail', null))).toBe('unauthorized');
  });

  it("confines a tenant's key to its own images: no read, search, list or delete of another's", async () => {
    // Same id in both tenants: each sees its own image.
    const mine = (await (await call('/v1/images/shared-id', keyA)).json()) as { pdq: string; namespace: string };
    const theirs = (await (await call('/v1/images/shared-id', keyB)).json()) as { pdq: string };
    expect(mine.pdq).not.toBe(theirs.pdq);
    expect(mine.namespace).toBe('default');
    expect((await call('/v1/images/only-b', keyA)).status).toBe(404);
    expect((await call('/v1/images/only-b', keyA, { method: 'DELETE' })).status).toBe(404);
    expect((await call('/v1/images/only-b', keyB)).status).toBe(200);
    const search = (await (await call('/v1/search', keyA, { method: 'POST', body: bytes('c_png') })).json()) as { matches: { id: string }[] };
    expect(search.matches.map((m) => m.id)).not.toContain('only-b');
    const list = (await (await call('/v1/images', keyA)).json()) as { images: { id: string }[] };
    expect(list.images.map((i) => i.id)).toEqual(['shared-id']);
    const stats = (await (await call('/v1/stats', keyA)).json()) as { images: number; namespaces: Record<string, number> };
    expect(stats).toMatchObject({ images: 1, namespaces: { default: 1 } });
  });

  it('enforces scopes: read keys cannot write, tenant keys manage only their own tenant, the bootstrap key only keys', async () => {
    expect(await code(await call('/v1/images/x', readA, { method: 'PUT', body: bytes('a_jpg') }))).toBe('forbidden');
    expect((await call('/v1/images/shared-id', readA)).status).toBe(200);
    expect(await code(await call('/v1/keys', keyA))).toBe('forbidden');
    const other = await call('/v1/keys', keyB, { method: 'POST', body: JSON.stringify({ tenant: A, scopes: ['read'] }) });
    expect(await code(other)).toBe('forbidden');
    const own = (await (await call('/v1/keys', keyB)).json()) as { keys: { tenant: string; hash?: string }[] };
    expect(own.keys.every((k) => k.tenant === B && k.hash === undefined)).toBe(true);
    expect(await code(await call('/v1/images/shared-id', ADMIN))).toBe('forbidden');
  });

  it('revokes keys', async () => {
    const key = await newKey(A, ['read']);
    expect((await call('/v1/stats', key)).status).toBe(200);
    const kid = key.split('_')[1];
    expect((await call(`/v1/keys/${kid}`, ADMIN, { method: 'DELETE' })).status).toBe(200);
    expect(await code(await call('/v1/stats', key))).toBe('unauthorized');
  });

  it('rate-limits per key with 429 and Retry-After', async () => {
    let calls = 0;
    const limiter = { limit: async () => ({ success: ++calls <= 2 }) };
    const e = { ...on, RATE_LIMITER: limiter };
    expect((await call('/v1/stats', keyA, {}, e)).status).toBe(200);
    expect((await call('/v1/stats', keyA, {}, e)).status).toBe(200);
    const res = await call('/v1/stats', keyA, {}, e);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    expect(await code(res)).toBe('rate_limited');
  });

  it("verifies at the origin inside the tenant's namespace", async () => {
    const e = { ...on, ORIGIN_URL: inject('originUrl') };
    const put = (await (await call('/v1/images/geo', keyA, { method: 'PUT', body: bytes('a_jpg') }, e)).json()) as { localFeatures: { status: string } };
    expect(put.localFeatures.status).toBe('stored');
    const body = (await (await call('/v1/search', keyA, { method: 'POST', body: bytes('a_copy_jpg') }, e)).json()) as { matches: { id: string; verification: { status: string } }[] };
    expect(body.matches.find((m) => m.id === 'geo')!.verification.status).toBe('verified');
    const b = (await (await call('/v1/search', keyB, { method: 'POST', body: bytes('a_copy_jpg') }, e)).json()) as { matches: { id: string }[] };
    expect(b.matches.map((m) => m.id)).not.toContain('geo');
  });

  it('says when auth is off, and refuses key management then', async () => {
    const res = await call('/v1/stats', null, {}, env);
    expect(res.headers.get('x-copycat-auth')).toBe('off');
    expect(await code(await call('/v1/keys', null, {}, env))).toBe('auth_off');
  });
});
