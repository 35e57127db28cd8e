/**
 * The queue side of webhooks. Ingest messages: fetch the image (size and time limits), search it
 * exactly as POST /v1/search does, index it when a subscription's policy says so, then queue one
 * signed delivery per (event, receiver). Delivery messages: POST, and on failure retry through the
 * queue with exponential backoff and jitter; what exhausts its retries lands in a dead-letter
 * queue and is marked failed. Every step is idempotent: a redelivered message finds its event or
 * delivery already done and is acknowledged.
 */
import { ImageInputError } from '../../../core/image/types.ts';
import { backoffSeconds, signatureHeaders } from '../../../core/webhooks/signature.ts';
import { TENANT_SEPARATOR } from '../auth.ts';
import { indexImage, limitsOf, searchImage, type CatalogEnv } from '../operations.ts';
import { hooks, type DeliveryMessage, type IngestMessage, type WebhookEnv } from './routes.ts';
import type { StoredEvent } from './store.ts';

export interface ConsumerEnv extends WebhookEnv, CatalogEnv {
  WEBHOOK_RETRY_BASE_SECONDS?: string;
  WEBHOOK_RETRY_MAX_SECONDS?: string;
  WEBHOOK_FETCH_TIMEOUT_MS?: string;
}

export const INGEST_QUEUE = 'copycat-ingest';
export const DELIVERY_QUEUE = 'copycat-deliveries';

/** A failure retrying cannot fix (the image URL answers 404, the bytes are not an image). */
class Permanent extends Error {}

const num = (v: string | undefined, d: number) => (v !== undefined && Number.isFinite(Number(v)) ? Number(v) : d);

async function fetchImage(url: string, env: ConsumerEnv): Promise<Uint8Array> {
  const max = limitsOf(env).maxBytes;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(num(env.WEBHOOK_FETCH_TIMEOUT_MS, 10_000)) });
  } catch (err) {
    throw new Error(`image_url unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (res.status >= 400 && res.status < 500) throw new Permanent(`image_url answered ${res.status}`);
  if (!res.ok) throw new Error(`image_url answered ${res.status}`);
  if (Number(res.headers.get('content-length') ?? 0) > max) throw new Permanent(`image_url is over ${max} bytes`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length > max) throw new Permanent(`image_url is over ${max} bytes`);
  return bytes;
}

function storedNamespace(tenant: string, ns: unknown): string {
  const n = typeof ns === 'string' && ns ? ns : 'default';
  return tenant ? `${tenant}${TENANT_SEPARATOR}${n}` : n;
}

async function queueDeliveries(env: ConsumerEnv, ev: StoredEvent, events: { type: string; data: unknown }[]): Promise<void> {
  const subs = await hooks(env).subscriptions(ev.tenant);
  for (const e of events) {
    const body = JSON.stringify({ id: crypto.randomUUID(), type: e.type, created: new Date().toISOString(), event_id: ev.eventId, data: e.data });
    const targets: { url: string; subscriptionId: string | null }[] = subs.filter((s) => s.events.includes(e.type)).map((s) => ({ url: s.url, subscriptionId: s.id }));
    if (e.type === 'check.completed' && typeof ev.payload.callback_url === 'string') targets.push({ url: ev.payload.callback_url, subscriptionId: null });
    for (const t of targets) {
      const id = crypto.randomUUID();
      await hooks(env).addDelivery({ id, tenant: ev.tenant, eventId: ev.eventId, subscriptionId: t.subscriptionId, type: e.type, url: t.url, body });
      await env.DELIVERY_QUEUE.send({ deliveryId: id });
    }
  }
}

async function processEvent(env: ConsumerEnv, ev: StoredEvent): Promise<void> {
  await hooks(env).setEvent(ev.tenant, ev.eventId, 'processing');
  const bytes = ev.image ?? (await fetchImage(ev.payload.image_url as string, env));
  const namespace = storedNamespace(ev.tenant, ev.payload.namespace);
  const check = await searchImage(env, namespace, bytes, { topK: 5, verify: true, requestId: ev.eventId });
  const subs = await hooks(env).subscriptions(ev.tenant);
  const wantsIndex = subs.some((s) => s.index === 'always' || (s.index === 'unless_copy' && check.verdict !== 'copy'));
  const imageId = (ev.payload.image_id as string | undefined) ?? ev.eventId;
  const indexed = wantsIndex ? await indexImage(env, namespace, imageId, bytes, ev.payload.metadata as never, ev.eventId) : null;
  const result = { verdict: check.verdict, matches: check.matches, threshold: check.threshold, verification: check.verification.status, indexed: indexed ? imageId : null };
  await hooks(env).setEvent(ev.tenant, ev.eventId, 'done', result);
  const events: { type: string; data: Record<string, unknown> }[] = [{ type: 'check.completed', data: { status: 'done', ...result } }];
  if (check.verdict === 'copy') events.push({ type: 'copy.detected', data: { status: 'done', ...result } });
  if (indexed) events.push({ type: 'image.indexed', data: { status: 'done', image_id: imageId, ...indexed } });
  await queueDeliveries(env, ev, events);
}

async function failEvent(env: ConsumerEnv, ev: StoredEvent, error: string): Promise<void> {
  await hooks(env).setEvent(ev.tenant, ev.eventId, 'failed', null, error);
  await queueDeliveries(env, ev, [{ type: 'check.completed', data: { status: 'failed', error } }]);
}

async function onIngest(env: ConsumerEnv, msg: Message<IngestMessage>): Promise<void> {
  const ev = await hooks(env).getEvent(msg.body.tenant, msg.body.eventId);
  if (!ev || ev.status === 'done' || ev.status === 'failed') return msg.ack();
  try {
    await processEvent(env, ev);
    msg.ack();
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (err instanceof Permanent || err instanceof ImageInputError) {
      await failEvent(env, ev, text);
      msg.ack();
    } else {
      await hooks(env).setEvent(ev.tenant, ev.eventId, 'queued', null, text);
      msg.retry({ delaySeconds: backoffSeconds(msg.attempts, num(env.WEBHOOK_RETRY_BASE_SECONDS, 5), num(env.WEBHOOK_RETRY_MAX_SECONDS, 600)) });
    }
  }
}

async function onDelivery(env: ConsumerEnv, msg: Message<DeliveryMessage>): Promise<void> {
  const d = await hooks(env).getDelivery(msg.body.deliveryId);
  if (!d || d.status !== 'pending') return msg.ack();
  const secret = d.subscriptionId === null ? env.WEBHOOK_SECRET : (await hooks(env).subscriptions(d.tenant)).find((s) => s.id === d.subscriptionId)?.secret;
  if (!secret) {
    await hooks(env).recordAttempt(d.id, 'failed', d.attempts, null, 'subscription deleted or no secret', null);
    return msg.ack();
  }
  let status: number | null = null;
  let error: string | null = null;
  try {
    const headers = { 'content-type': 'application/json', 'x-copycat-delivery': d.id, 'x-copycat-event': d.type, ...(await signatureHeaders(secret, d.body)) };
    const res = await fetch(d.url, { method: 'POST', body: d.body, headers, signal: AbortSignal.timeout(num(env.WEBHOOK_FETCH_TIMEOUT_MS, 10_000)) });
    status = res.status;
    await res.arrayBuffer();
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  if (status !== null && status >= 200 && status < 300) {
    await hooks(env).recordAttempt(d.id, 'delivered', d.attempts + 1, status, null, null);
    return msg.ack();
  }
  const delay = backoffSeconds(d.attempts + 1, num(env.WEBHOOK_RETRY_BASE_SECONDS, 5), num(env.WEBHOOK_RETRY_MAX_SECONDS, 600));
  await hooks(env).recordAttempt(d.id, 'pending', d.attempts + 1, status, error ?? `receiver answered ${status}`, delay);
  msg.retry({ delaySeconds: delay });
}

/** Messages that exhausted their retries: recorded as failed, never silently dropped. */
async function onDeadLetter(env: ConsumerEnv, batch: MessageBatch<unknown>): Promise<void> {
  for (const msg of batch.messages) {
    const body = msg.body as Partial<IngestMessage & DeliveryMessage>;
    if (body.deliveryId) {
      const d = await hooks(env).getDelivery(body.deliveryId);
      if (d && d.status === 'pending') await hooks(env).recordAttempt(d.id, 'failed', d.attempts, d.lastStatus, `gave up after ${d.attempts} attempts: ${d.lastError}`, null);
    } else if (body.eventId !== undefined && body.tenant !== undefined) {
      const ev = await hooks(env).getEvent(body.tenant, body.eventId);
      if (ev && ev.status !== 'done' && ev.status !== 'failed') await failEvent(env, ev, `gave up: ${ev.error ?? 'unknown error'}`);
    }
    msg.ack();
  }
}

export async function handleQueue(batch: MessageBatch<unknown>, env: ConsumerEnv): Promise<void> {
  if (batch.queue === INGEST_QUEUE) for (const m of batch.messages) await onIngest(env, m as Message<IngestMessage>);
  else if (batch.queue === DELIVERY_QUEUE) for (const m of batch.messages) await onDelivery(env, m as Message<DeliveryMessage>);
  else await onDeadLetter(env, batch);
}
