// Edge -> origin verification inside workerd: a real Node origin on loopback (started by
// global-setup), one that never answers, and none at all.
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import { app } from '../../src/functions/edge/app.ts';

const fx = inject('fixtures');
const bytes = (name: string) => Uint8Array.from(atob(fx[name]), (c) => c.charCodeAt(0));
let ns = 'default';
beforeEach(() => {
  ns = `v${Math.random().toString(36).slice(2, 10)}`;
});

interface Match { id: string; score: number; verification: { status: string; inliers?: number; overlap?: { query: number; reference: number }; transform?: number[] | null } }
interface SearchBody { matches: Match[]; verdict: string; verification: { status: string; reason?: string; checked: number; verified: number } }

function edge(vars: Record<string, string>) {
  const e = { ...env, ...vars };
  return {
    put: (id: string, body: Uint8Array) => app.request(`http://copycat.test/v1/images/${id}?namespace=${ns}`, { method: 'PUT', body }, e),
    search: async (body: Uint8Array, q = '') => {
      const res = await app.request(`http://copycat.test/v1/search?namespace=${ns}${q}`, { method: 'POST', body }, e);
      expect(res.status).toBe(200);
      return (await res.json()) as SearchBody;
    },
    del: (id: string) => app.request(`http://copycat.test/v1/images/${id}?namespace=${ns}`, { method: 'DELETE' }, e),
  };
}

describe('edge with an origin', () => {
  it('stores reference features at the origin and reports verified geometry in the search', async () => {
    const e = edge({ ORIGIN_URL: inject('originUrl') });
    const put = (await (await e.put('a', bytes('a_jpg'))).json()) as { localFeatures: { status: string; keypoints: number; bytes: number } };
    expect(put.localFeatures.status).toBe('stored');
    expect(put.localFeatures.bytes).toBeGreaterThan(0);
    await e.put('b', bytes('b_jpg'));
    const body = await e.search(bytes('a_copy_jpg'));
    expect(body.verification).toMatchObject({ status: 'done', verified: 1 });
    expect(body.matches[0].id).toBe('a');
    expect(body.matches[0].verification.status).toBe('verified');
    expect(body.matches[0].verification.inliers).toBeGreaterThan(20);
    expect(body.matches[0].verification.overlap!.reference).toBeGreaterThan(0.15);
    expect(body.matches[0].verification.transform).toHaveLength(9);
    expect(body.verdict).toBe('copy');
    const skipped = await e.search(bytes('a_copy_jpg'), '&verify=false');
    expect(skipped.verification.status).toBe('skipped');
    expect(skipped.matches[0].score).toBeLessThan(body.matches[0].score);
  });

  it('explain=true adds inlier correspondences inside both images; thumbnails are stored, served and deleted', async () => {
    const e = edge({ ORIGIN_URL: inject('originUrl') });
    const put = (await (await e.put('a', bytes('a_jpg'))).json()) as { width: number; height: number; thumbnail: { status: string; width: number; height: number } };
    expect(put.thumbnail.status).toBe('stored');
    expect(Math.max(put.thumbnail.width, put.thumbnail.height)).toBeLessThanOrEqual(320);
    const plain = await e.search(bytes('a_copy_jpg'));
    expect(plain.matches[0].verification).not.toHaveProperty('inlierPairs');
    const explained = await e.search(bytes('a_copy_jpg'), '&explain=true');
    const v = explained.matches[0].verification as { status: string; inliers: number; inlierPairs: number[] };
    expect(v.status).toBe('verified');
    expect(v.inlierPairs.length % 4).toBe(0);
    expect(v.inlierPairs.length / 4).toBe(Math.min(60, v.inliers));
    for (let i = 0; i < v.inlierPairs.length; i += 4) {
      expect(v.inlierPairs[i + 2]).toBeLessThanOrEqual(put.width);
      expect(v.inlierPairs[i + 3]).toBeLessThanOrEqual(put.height);
    }
    const url = `http://copycat.test/v1/images/a/thumbnail?namespace=${ns}`;
    const thumb = await app.request(url, {}, { ...env, ORIGIN_URL: inject('originUrl') });
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect([...new Uint8Array(await thumb.arrayBuffer()).slice(0, 2)]).toEqual([0xff, 0xd8]);
    await e.del('a');
    expect((await app.request(url, {}, env)).status).toBe(404);
  });

  it('marks a reference deleted at the edge as deleted at the origin too', async () => {
    const e = edge({ ORIGIN_URL: inject('originUrl') });
    await e.put('a', bytes('a_jpg'));
    const del = (await (await e.del('a')).json()) as { localFeatures: { status: string } };
    expect(del.localFeatures.status).toBe('deleted');
  });

  it('answers from global signals when the origin is down, and says so', async () => {
    const up = edge({ ORIGIN_URL: inject('originUrl') });
    await up.put('a', bytes('a_jpg'));
    await up.put('b', bytes('b_jpg'));
    const down = edge({ ORIGIN_URL: 'http://127.0.0.1:9' });
    const put = await down.put('c', bytes('c_png'));
    expect(put.status).toBe(201);
    expect(((await put.json()) as { localFeatures: { status: string } }).localFeatures.status).toBe('unavailable');
    const body = await down.search(bytes('a_copy_jpg'));
    expect(body.verification.status).toBe('unavailable');
    expect(body.verification.reason).toMatch(/origin/);
    expect(body.matches[0].id).toBe('a');
    expect(body.matches[0].verification.status).toBe('unavailable');
    expect(body.verdict).toBe('copy');
  });

  it('gives up on a silent origin after VERIFY_TIMEOUT_MS', async () => {
    const up = edge({ ORIGIN_URL: inject('originUrl') });
    await up.put('a', bytes('a_jpg'));
    const slow = edge({ ORIGIN_URL: inject('silentOriginUrl'), VERIFY_TIMEOUT_MS: '300' });
    const t0 = Date.now();
    const body = await slow.search(bytes('a_copy_jpg'));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(body.verification.status).toBe('unavailable');
    expect(body.verification.reason).toMatch(/within 300 ms/);
    expect(body.matches[0].id).toBe('a');
  });

  it('checks only candidates inside the configured band, and none without an origin', async () => {
    const e = edge({ ORIGIN_URL: inject('originUrl'), VERIFY_MIN_SCORE: '2', VERIFY_BOW_CANDIDATES: '0' });
    await e.put('a', bytes('a_jpg'));
    const body = await e.search(bytes('a_copy_jpg'));
    expect(body.verification.status).toBe('skipped');
    expect(body.matches[0].verification.status).toBe('not_checked');
    const none = await edge({}).search(bytes('a_copy_jpg'));
    expect(none.verification.status).toBe('disabled');
  });

  it("adds the origin's BoW candidates that the band left out, scored and verified", async () => {
    const e = edge({ ORIGIN_URL: inject('originUrl'), VERIFY_MIN_SCORE: '2', VERIFY_BOW_CANDIDATES: '3' });
    await e.put('a', bytes('a_jpg'));
    await e.put('b', bytes('b_jpg'));
    const body = await e.search(bytes('a_copy_jpg'));
    expect(body.verification).toMatchObject({ status: 'done', verified: 1 });
    expect((body.verification as unknown as { fromShortlist: number }).fromShortlist).toBeGreaterThanOrEqual(1);
    expect(body.matches[0]).toMatchObject({ id: 'a', verification: { status: 'verified' } });
    expect(body.verdict).toBe('copy');
  });
});
