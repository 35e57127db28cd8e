// The origin app (POST /v1/verify and the feature store) through hono's request(), and its file store.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeLocalFeatures, Vocabulary } from '../../src/core/local/index.ts';
import { BowShortlist } from '../../src/functions/origin/bow-shortlist.ts';
import { localFeaturesFromBytes } from '../../src/core/pipeline.ts';
import { initNodeCodecs } from '../../src/functions/node/codecs.ts';
import { FileFeatureStore } from '../../src/functions/node/feature-files.ts';
import { createOriginApp, MAX_VERIFY_CANDIDATES } from '../../src/functions/origin/app.ts';
import { FeatureCache, MemoryFeatureStore, type FeatureStore } from '../../src/functions/origin/feature-store.ts';
import { buildFixtures, type FixtureSet } from '../support/fixtures.ts';

let fx: FixtureSet;
const bytes = (name: string) => new Uint8Array(Buffer.from(fx[name], 'base64'));
beforeAll(async () => {
  fx = await buildFixtures();
});

const vocabulary = Vocabulary.fromBytes(new Uint8Array(readFileSync(new URL('../../models/orb-vocab.bin', import.meta.url))));

function origin(store: FeatureStore = new MemoryFeatureStore(), bow = false) {
  return createOriginApp({ store, initCodecs: initNodeCodecs, shortlist: bow ? new BowShortlist(vocabulary) : undefined });
}

type App = ReturnType<typeof origin>;

async function putRef(app: App, id: string, body: Uint8Array, ns = 'default') {
  return app.request(`/v1/features/${id}?namespace=${ns}`, { method: 'PUT', body });
}

interface VerifyBody {
  results: { id: string; status: string; source: string; bowScore?: number; inliers?: number; overlapQuery?: number; overlapRef?: number; transform?: number[] | null; mirrored?: boolean; ms?: number }[];
  query: { keypoints: number };
}

async function verify(app: App, fields: Record<string, string | Blob>) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return app.request('/v1/verify', { method: 'POST', body: form });
}

async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error.code;
}

describe('origin', () => {
  it('stores reference features compactly and verifies a copy while rejecting unrelated images', async () => {
    const app = origin();
    const put = await putRef(app, 'a', bytes('a_jpg'));
    expect(put.status).toBe(201);
    const stored = (await put.json()) as { keypoints: number; bytes: number };
    expect(stored.keypoints).toBeGreaterThan(100);
    expect(stored.bytes).toBeLessThan(250 + 38 * stored.keypoints);
    await putRef(app, 'b', bytes('b_jpg'));
    await putRef(app, 'c', bytes('c_png'));
    const res = await verify(app, { candidates: JSON.stringify(['a', 'b', 'c', 'nope']), image: new Blob([bytes('a_copy_jpg')]) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as VerifyBody;
    const by = new Map(body.results.map((r) => [r.id, r]));
    expect(by.get('a')!.status).toBe('verified');
    expect(by.get('a')!.inliers).toBeGreaterThan(20);
    expect(by.get('a')!.transform).toHaveLength(9);
    // a_copy is a 0.65x rescale of a: the query->reference map scales by ~1/0.65.
    expect(by.get('a')!.transform![0]).toBeCloseTo(320 / 208, 1);
    expect(by.get('b')!.status).toBe('rejected');
    expect(by.get('c')!.status).toBe('rejected');
    expect(by.get('nope')!.status).toBe('missing');
  });

  it('verifies a mirrored copy through the mirror retry', async () => {
    const app = origin();
    await putRef(app, 'a', bytes('a_jpg'));
    const body = (await (await verify(app, { candidates: '["a"]', image: new Blob([bytes('a_flip_png')]) })).json()) as VerifyBody;
    expect(body.results[0]).toMatchObject({ status: 'verified', mirrored: true });
  });

  it('accepts serialized query features instead of the image, with the same verdict', async () => {
    const app = origin();
    await putRef(app, 'a', bytes('a_jpg'));
    await initNodeCodecs();
    const q = await localFeaturesFromBytes(bytes('a_copy_jpg'));
    const fromFeatures = (await (await verify(app, { candidates: '["a"]', features: new Blob([serializeLocalFeatures(q.features)]) })).json()) as VerifyBody;
    const fromImage = (await (await verify(app, { candidates: '["a"]', image: new Blob([bytes('a_copy_jpg')]) })).json()) as VerifyBody;
    expect(fromFeatures.results[0].status).toBe('verified');
    expect(Math.abs(fromFeatures.results[0].inliers! - fromImage.results[0].inliers!)).toBeLessThanOrEqual(3);
  });

  it('keeps namespaces apart and forgets deleted references', async () => {
    const app = origin();
    await putRef(app, 'a', bytes('a_jpg'), 'one');
    const other = (await (await verify(app, { namespace: 'two', candidates: '["a"]', image: new Blob([bytes('a_copy_jpg')]) })).json()) as VerifyBody;
    expect(other.results[0].status).toBe('missing');
    expect((await app.request('/v1/features/a?namespace=one', { method: 'DELETE' })).status).toBe(200);
    expect((await app.request('/v1/features/a?namespace=one')).status).toBe(404);
    expect((await app.request('/v1/features/a?namespace=one', { method: 'DELETE' })).status).toBe(404);
  });

  it('adds BoW shortlist candidates the caller did not name, and rebuilds that index on restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'copycat-origin-bow-'));
    const first = origin(new FileFeatureStore(dir), true);
    for (const [id, fx] of [['a', 'a_jpg'], ['b', 'b_jpg'], ['c', 'c_png']]) await putRef(first, id, bytes(fx));
    for (const app of [first, origin(new FileFeatureStore(dir), true)]) {
      const body = (await (await verify(app, { candidates: '["b"]', shortlist: '2', image: new Blob([bytes('a_copy_jpg')]) })).json()) as VerifyBody;
      const a = body.results.find((r) => r.id === 'a');
      expect(body.results[0]).toMatchObject({ id: 'b', source: 'candidate', status: 'rejected' });
      expect(a).toMatchObject({ source: 'bow', status: 'verified' });
      expect(a!.bowScore).toBeGreaterThan(0);
      expect(body.results.filter((r) => r.id === 'b')).toHaveLength(1);
    }
    const none = (await (await verify(first, { candidates: '[]', image: new Blob([bytes('a_copy_jpg')]) })).json()) as VerifyBody;
    expect(none.results).toEqual([]);
  });

  it('keeps the decoded-features cache within its byte budget, least recently used out first', async () => {
    await initNodeCodecs();
    const f = (await localFeaturesFromBytes(bytes('a_jpg'))).features;
    const packed = serializeLocalFeatures(f);
    const store = new MemoryFeatureStore();
    const cache = new FeatureCache(store, packed.length * 2.5);
    for (const id of ['x', 'y', 'z']) await cache.put('n', id, packed, f);
    expect(cache.cachedBytes).toBe(packed.length * 2);
    const misses = cache.misses;
    await cache.get('n', 'z');
    expect(cache.misses).toBe(misses);
    expect(await cache.get('n', 'x')).not.toBeNull();
    expect(cache.misses).toBe(misses + 1);
    expect(cache.cachedBytes).toBeLessThanOrEqual(packed.length * 2.5);
  });

  it('answers bad requests with 4xx JSON errors', async () => {
    const app = origin();
    const img = new Blob([bytes('a_jpg')]);
    expect(await errorCode(await app.request('/v1/verify', { method: 'POST', body: 'x' }))).toBe('unsupported_type');
    expect(await errorCode(await verify(app, { image: img }))).toBe('missing_candidates');
    expect(await errorCode(await verify(app, { candidates: 'a,b', image: img }))).toBe('bad_candidates');
    expect(await errorCode(await verify(app, { candidates: '["../etc"]', image: img }))).toBe('bad_candidates');
    const many = JSON.stringify(Array.from({ length: MAX_VERIFY_CANDIDATES + 1 }, (_, i) => `r${i}`));
    expect(await errorCode(await verify(app, { candidates: many, image: img }))).toBe('bad_candidates');
    expect(await errorCode(await verify(app, { candidates: '["a"]' }))).toBe('missing_image');
    expect(await errorCode(await verify(app, { candidates: '["a"]', shortlist: '-1', image: img }))).toBe('bad_shortlist');
    expect(await errorCode(await verify(app, { candidates: '["a"]', features: new Blob([new Uint8Array(40)]) }))).toBe('bad_features');
    expect(await errorCode(await verify(app, { candidates: '["a"]', image: new Blob([new TextEncoder().encode('not an image')]) }))).toBe('unsupported_type');
    expect(await errorCode(await putRef(app, 'bad id!', bytes('a_jpg')))).toBe('bad_id');
    expect(await errorCode(await putRef(app, 'a', new Uint8Array(0)))).toBe('empty');
    expect(await errorCode(await app.request('/v1/nothing'))).toBe('not_found');
  });

  it('stops reading a body past the limit even without a content-length (chunked)', async () => {
    const app = createOriginApp({ store: new MemoryFeatureStore(), initCodecs: initNodeCodecs, limits: { maxBytes: 1000, maxPixels: 1e6 } });
    const chunk = new Uint8Array(16 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent++ < 64) ctl.enqueue(chunk);
        else ctl.close();
      },
    });
    const res = await app.request('/v1/features/big', { method: 'PUT', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe('too_large');
    expect(sent).toBeLessThan(64);
  });

  it('demands the shared token when one is configured', async () => {
    const app = createOriginApp({ store: new MemoryFeatureStore(), initCodecs: initNodeCodecs, token: 's3cret' });
    expect(await errorCode(await app.request('/v1/features/a', { method: 'PUT', body: bytes('a_jpg') }))).toBe('unauthorized');
    expect(await errorCode(await app.request('/v1/stats', { headers: { authorization: 'Bearer nope' } }))).toBe('unauthorized');
    expect((await app.request('/v1/features/a', { method: 'PUT', body: bytes('a_jpg'), headers: { authorization: 'Bearer s3cret' } })).status).toBe(201);
    expect((await app.request('/health')).status).toBe(200);
  });

  it('tags every response with a request id, echoing a sane incoming one', async () => {
    const app = origin();
    const mine = await app.request('/v1/features/nope', { headers: { 'x-request-id': 'upload-42' } });
    expect(mine.headers.get('x-request-id')).toBe('upload-42');
    expect(((await mine.json()) as { error: { requestId: string } }).error.requestId).toBe('upload-42');
    const fresh = await app.request('/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps features in files that a restarted origin reads back, replacing them atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'copycat-origin-'));
    const first = origin(new FileFeatureStore(dir));
    await putRef(first, 'a', bytes('a_jpg'));
    await putRef(first, 'a', bytes('a_jpg'));
    await putRef(first, 'b', bytes('b_jpg'));
    expect(readdirSync(join(dir, 'default')).sort()).toEqual(['a.cclf', 'b.cclf']);
    const store = new FileFeatureStore(dir);
    expect((await store.stats()).images).toBe(2);
    const body = (await (await verify(origin(store), { candidates: '["a","b"]', image: new Blob([bytes('a_copy_jpg')]) })).json()) as VerifyBody;
    expect(body.results.map((r) => r.status)).toEqual(['verified', 'rejected']);
    expect(await store.delete('default', 'a')).toBe(true);
    expect((await store.stats()).images).toBe(1);
  });
});
