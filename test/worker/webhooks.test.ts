// Webhooks end to end inside workerd: signed ingest -> queue -> search -> signed deliveries to a
// real receiver on loopback (test/support/receiver.ts), retries, failures, replays, bad signatures.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { checkSignature, signatureHeaders } from '../../src/core/webhooks/signature.ts';
import { app } from '../../src/functions/edge/app.ts';

const SECRET = 'test-webhook-secret';
const receiver = inject('receiverUrl');
const fx = inject('fixtures');
const run = Math.random().toString(36).slice(2, 8);

async function ingest(event: Record<string, unknown>, secret = SECRET, now?: number) {
  const body = JSON.stringify(event);
  return SELF.fetch('http://copycat.test/v1/webhooks/ingest', { method: 'POST', body, headers: { 'content-type': 'application/json', ...(await signatureHeaders(secret, body, now)) } });
}

interface Received { path: string; headers: Record<string, string>; body: string; at: number; answered: number }

async function received(path: string, atLeast: number, timeoutMs = 30_000): Promise<Received[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = (await (await fetch(`${receiver}/_log?path=${encodeURIComponent(path)}`)).json()) as Received[];
    if (log.length >= atLeast || Date.now() > deadline) return log;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  return (await (await SELF.fetch(`http://copycat.test${path}`, init)).json()) as T;
}

describe('webhooks', () => {
  it('signed ingest -> 202 -> search from the queue -> signed callback and subscription deliveries', async () => {
    await SELF.fetch(`http://copycat.test/v1/images/a?namespace=wh${run}`, { method: 'PUT', body: Uint8Array.from(atob(fx.a_jpg), (c) => c.charCodeAt(0)) });
    const sub = await json<{ id: string; secret: string }>('/v1/webhooks/subscriptions', {
      method: 'POST', body: JSON.stringify({ url: `${receiver}/sub-${run}`, events: ['copy.detected'] }),
    });
    const t0 = Date.now();
    const res = await ingest({ event_id: `e1-${run}`, type: 'upload', namespace: `wh${run}`, image_url: `${receiver}/img/a_copy.jpg`, callback_url: `${receiver}/cb-${run}` });
    expect(res.status).toBe(202);
    const [cb] = await received(`/cb-${run}`, 1);
    expect(cb, 'callback delivered').toBeDefined();
    expect(await checkSignature(SECRET, cb.body, cb.headers['x-copycat-timestamp'], cb.headers['x-copycat-signature'])).toEqual({ ok: true });
    const payload = JSON.parse(cb.body);
    expect(payload).toMatchObject({ type: 'check.completed', event_id: `e1-${run}`, data: { status: 'done', verdict: 'copy' } });
    expect(payload.data.matches[0].id).toBe('a');
    console.log(`webhook round trip (ingest -> signed callback received): ${cb.at - t0} ms`);
    const [copy] = await received(`/sub-${run}`, 1);
    expect(await checkSignature(sub.secret, copy.body, copy.headers['x-copycat-timestamp'], copy.headers['x-copycat-signature'])).toEqual({ ok: true });
    expect(JSON.parse(copy.body).type).toBe('copy.detected');
    const ev = await json<{ status: string }>(`/v1/webhooks/events/e1-${run}`);
    expect(ev.status).toBe('done');
    await SELF.fetch(`http://copycat.test/v1/webhooks/subscriptions/${sub.id}`, { method: 'DELETE' });
  });

  it('retries a failing receiver with growing delays until it answers 200', async () => {
    const res = await ingest({ event_id: `e2-${run}`, type: 'upload', image_base64: fx.a_jpg, callback_url: `${receiver}/flaky-${run}` });
    expect(res.status).toBe(202);
    const log = await received(`/flaky-${run}`, 3, 60_000);
    expect(log.map((r) => r.answered)).toEqual([500, 500, 200]);
    const gaps = [log[1].at - log[0].at, log[2].at - log[1].at];
    console.log(`retry schedule observed: ${gaps.join(' ms, ')} ms`);
    expect(gaps[0]).toBeGreaterThanOrEqual(400);
    const { deliveries } = await json<{ deliveries: { status: string; attempts: number; delays: number[]; lastStatus: number }[] }>(`/v1/webhooks/deliveries?event_id=e2-${run}`);
    expect(deliveries[0]).toMatchObject({ status: 'delivered', attempts: 3, lastStatus: 200 });
    expect(deliveries[0].delays).toHaveLength(2);
  });

  it('reports an image URL that 404s as a failed check, without retrying it', async () => {
    expect((await ingest({ event_id: `e3-${run}`, type: 'upload', image_url: `${receiver}/img/missing.jpg`, callback_url: `${receiver}/cb3-${run}` })).status).toBe(202);
    const [cb] = await received(`/cb3-${run}`, 1);
    expect(JSON.parse(cb.body).data).toMatchObject({ status: 'failed', error: expect.stringContaining('404') });
    expect((await json<{ status: string; attempts: number }>(`/v1/webhooks/events/e3-${run}`))).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('rejects bad signatures and stale timestamps with 401, and answers a replayed event_id without reprocessing', async () => {
    const event = { event_id: `e4-${run}`, type: 'upload', image_base64: fx.a_jpg };
    expect((await ingest(event, 'wrong-secret')).status).toBe(401);
    expect((await ingest(event, SECRET, Math.floor(Date.now() / 1000) - 600)).status).toBe(401);
    const unsigned = await SELF.fetch('http://copycat.test/v1/webhooks/ingest', { method: 'POST', body: JSON.stringify(event) });
    expect(unsigned.status).toBe(401);
    expect((await ingest(event)).status).toBe(202);
    const replay = await ingest(event);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ duplicate: true });
    expect((await ingest({ event_id: 'x', type: 'upload' })).status).toBe(400);
  });

  it('indexes when a subscription asks for it, and says so with image.indexed', async () => {
    const sub = await json<{ id: string }>('/v1/webhooks/subscriptions', {
      method: 'POST', body: JSON.stringify({ url: `${receiver}/idx-${run}`, events: ['image.indexed'], index: 'always' }),
    });
    try {
      expect((await ingest({ event_id: `e5-${run}`, type: 'upload', image_id: `img5-${run}`, namespace: `idx${run}`, image_base64: fx.b_jpg })).status).toBe(202);
      // Events of earlier tests may still be in the queue and reach this subscription too.
      const deadline = Date.now() + 30_000;
      let hook: Received | undefined;
      while (!hook && Date.now() < deadline) hook = (await received(`/idx-${run}`, 1, 1000)).find((r) => JSON.parse(r.body).event_id === `e5-${run}`);
      expect(JSON.parse(hook!.body)).toMatchObject({ type: 'image.indexed', data: { image_id: `img5-${run}` } });
      expect((await SELF.fetch(`http://copycat.test/v1/images/img5-${run}?namespace=idx${run}`)).status).toBe(200);
    } finally {
      await SELF.fetch(`http://copycat.test/v1/webhooks/subscriptions/${sub.id}`, { method: 'DELETE' });
    }
  });

  it('gives up on a receiver that never answers 200 and records the delivery as failed', async () => {
    expect((await ingest({ event_id: `e6-${run}`, type: 'upload', image_base64: fx.c_png, callback_url: `${receiver}/down-${run}` })).status).toBe(202);
    const deadline = Date.now() + 60_000;
    let d: { status: string; attempts: number; lastError: string } | undefined;
    while (Date.now() < deadline) {
      const all = (await json<{ deliveries: (typeof d & { url: string })[] }>(`/v1/webhooks/deliveries?event_id=e6-${run}`)).deliveries;
      d = all.find((x) => x!.url.includes(`/down-${run}`));
      if (d?.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(d).toMatchObject({ status: 'failed', attempts: 7 });
    expect(d!.lastError).toMatch(/gave up/);
    expect(await received(`/down-${run}`, 7)).toHaveLength(7);
  }, 90_000);

  it("keeps a tenant's webhook events and deliveries from other tenants", async () => {
    const ADMIN = 'bootstrap-admin-for-webhooks';
    const on = { ...env, AUTH: 'on', ADMIN_KEY: ADMIN };
    const key = async (tenant: string) => {
      const r = await app.request('http://copycat.test/v1/keys', { method: 'POST', body: JSON.stringify({ tenant, scopes: ['read', 'write'] }), headers: { authorization: `Bearer ${ADMIN}` } }, on);
      return ((await r.json()) as { key: string }).key;
    };
    const [a, b] = [await key(`wa${run}`), await key(`wb${run}`)];
    const body = JSON.stringify({ event_id: `t-${run}`, type: 'upload', image_base64: fx.a_jpg });
    const headers = { ...(await signatureHeaders(SECRET, body)), authorization: `Bearer ${a}` };
    expect((await app.request('http://copycat.test/v1/webhooks/ingest', { method: 'POST', body, headers }, on)).status).toBe(202);
    const mine = await app.request(`http://copycat.test/v1/webhooks/events/t-${run}`, { headers: { authorization: `Bearer ${a}` } }, on);
    expect(mine.status).toBe(200);
    const theirs = await app.request(`http://copycat.test/v1/webhooks/events/t-${run}`, { headers: { authorization: `Bearer ${b}` } }, on);
    expect(theirs.status).toBe(404);
    const anon = await app.request('http://copycat.test/v1/webhooks/ingest', { method: 'POST', body, headers: await signatureHeaders(SECRET, body) }, on);
    expect(anon.status).toBe(401);
  });
});
