/**
 * Webhook endpoints. A platform POSTs a signed event to /v1/webhooks/ingest and gets 202 at once;
 * the check runs from a queue (consumer.ts) and the verdict comes back as signed deliveries to
 * the event's callback_url and to the tenant's subscriptions. Events are idempotent by event_id.
 */
import { Hono, type Context } from 'hono';
import { checkSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../../core/webhooks/signature.ts';
import { ApiError } from '../../http/errors.ts';
import { validId } from '../../http/request.ts';
import { principalOf, requireScope, type AuthEnv } from '../auth.ts';
import type { IndexPolicy, WebhookStore } from './store.ts';

export interface WebhookEnv extends AuthEnv {
  HOOKS: DurableObjectNamespace<WebhookStore>;
  INGEST_QUEUE: Queue<IngestMessage>;
  DELIVERY_QUEUE: Queue<DeliveryMessage>;
  /** Signs ingest requests and callback deliveries; webhooks answer 409 until it is set. */
  WEBHOOK_SECRET?: string;
}

export interface IngestMessage { tenant: string; eventId: string }
export interface DeliveryMessage { deliveryId: string }

export const EVENT_TYPES = ['check.completed', 'copy.detected', 'image.indexed'] as const;
const INDEX_POLICIES: IndexPolicy[] = ['never', 'always', 'unless_copy'];
/** Images sent inline are kept with the event (SQLite row) until processed; bigger ones go by URL. */
export const MAX_INLINE_IMAGE_BYTES = 1_500_000;

/**
 * The store through its RPC stub, typed as the class: the stub's generated types turn the
 * `unknown` JSON fields (payload, result) into `never`, though the values are plain JSON.
 */
export function hooks(env: WebhookEnv): WebhookStore {
  return env.HOOKS.get(env.HOOKS.idFromName('webhooks')) as unknown as WebhookStore;
}

export function tenantKey(c: Context): string {
  return principalOf(c).tenant ?? '';
}

function httpUrl(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new ApiError(400, 'bad_event', `${field} must be an http(s) URL`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ApiError(400, 'bad_event', `${field} must be an http(s) URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ApiError(400, 'bad_event', `${field} must be an http(s) URL`);
  return u.toString();
}

function decodeBase64(v: unknown): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new ApiError(400, 'bad_event', 'image_base64 must be standard base64');
  if ((v.length * 3) / 4 > MAX_INLINE_IMAGE_BYTES) throw new ApiError(413, 'too_large', `inline images are limited to ${MAX_INLINE_IMAGE_BYTES} bytes; send image_url instead`);
  return Uint8Array.from(atob(v), (ch) => ch.charCodeAt(0));
}

/** The validated event: what is stored and queued. */
function parseEvent(text: string): { eventId: string; type: string; payload: Record<string, unknown>; image: Uint8Array | null } {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_event', 'body must be a JSON object');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, 'bad_event', 'body must be a JSON object');
  const eventId = v.event_id;
  if (typeof eventId !== 'string' || !validId(eventId)) throw new ApiError(400, 'bad_event', 'event_id must be 1-128 characters of A-Z a-z 0-9 . _ -');
  if (typeof v.type !== 'string' || !v.type || v.type.length > 64) throw new ApiError(400, 'bad_event', 'type must be a short string');
  if ((v.image_url === undefined) === (v.image_base64 === undefined)) throw new ApiError(400, 'bad_event', 'exactly one of image_url and image_base64 is required');
  if (v.metadata !== undefined && (typeof v.metadata !== 'object' || v.metadata === null || Array.isArray(v.metadata))) {
    throw new ApiError(400, 'bad_event', 'metadata must be a JSON object');
  }
  if (v.image_id !== undefined && (typeof v.image_id !== 'string' || !validId(v.image_id))) throw new ApiError(400, 'bad_event', 'image_id must be a valid id');
  const payload: Record<string, unknown> = {
    event_id: eventId, type: v.type, metadata: v.metadata, image_id: v.image_id,
    namespace: typeof v.namespace === 'string' ? v.namespace : undefined,
    image_url: v.image_url === undefined ? undefined : httpUrl(v.image_url, 'image_url'),
    callback_url: v.callback_url === undefined ? undefined : httpUrl(v.callback_url, 'callback_url'),
  };
  return { eventId, type: v.type, payload, image: v.image_base64 === undefined ? null : decodeBase64(v.image_base64) };
}

export const webhookRoutes = new Hono<{ Bindings: WebhookEnv }>();

webhookRoutes.post('/ingest', requireScope('write'), async (c) => {
  const secret = c.env.WEBHOOK_SECRET;
  if (!secret) throw new ApiError(409, 'webhooks_off', 'set the WEBHOOK_SECRET secret to accept webhooks');
  const text = await c.req.text();
  const sig = await checkSignature(secret, text, c.req.header(TIMESTAMP_HEADER), c.req.header(SIGNATURE_HEADER));
  if (!sig.ok) {
    const why = { missing: `${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER} headers are required`, stale: 'the timestamp is more than 5 minutes off', bad_signature: 'the signature does not match' };
    throw new ApiError(401, sig.reason === 'bad_signature' ? 'bad_signature' : sig.reason === 'stale' ? 'stale_request' : 'unsigned', why[sig.reason]);
  }
  const ev = parseEvent(text);
  const tenant = tenantKey(c);
  const r = await hooks(c.env).recordEvent(tenant, ev.eventId, ev.type, ev.payload, ev.image);
  if (!r.created) return c.json({ event_id: ev.eventId, status: r.status, duplicate: true }, 200);
  await c.env.INGEST_QUEUE.send({ tenant, eventId: ev.eventId });
  return c.json({ event_id: ev.eventId, status: 'queued' }, 202);
});

webhookRoutes.get('/events/:eventId', requireScope('read'), async (c) => {
  const ev = await hooks(c.env).getEvent(tenantKey(c), c.req.param('eventId'));
  if (!ev) throw new ApiError(404, 'not_found', `no event ${c.req.param('eventId')}`);
  const { image: _, tenant: __, ...rest } = ev;
  return c.json(rest);
});

webhookRoutes.post('/subscriptions', requireScope('write'), async (c) => {
  let v: { url?: unknown; events?: unknown; index?: unknown };
  try {
    v = await c.req.json();
  } catch {
    throw new ApiError(400, 'bad_subscription', 'body must be JSON: {"url", "events": [...], "index": "never"|"always"|"unless_copy"}');
  }
  const url = httpUrl(v.url, 'url');
  const events = Array.isArray(v.events) && v.events.length && v.events.every((e) => (EVENT_TYPES as readonly unknown[]).includes(e)) ? (v.events as string[]) : null;
  if (!events) throw new ApiError(400, 'bad_subscription', `events must be a non-empty array of ${EVENT_TYPES.join(', ')}`);
  const index = (v.index ?? 'never') as IndexPolicy;
  if (!INDEX_POLICIES.includes(index)) throw new ApiError(400, 'bad_subscription', `index must be one of ${INDEX_POLICIES.join(', ')}`);
  const secret = `whsec_${Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const sub = { id: crypto.randomUUID(), tenant: tenantKey(c), url, events, index, secret, createdAt: new Date().toISOString() };
  await hooks(c.env).addSubscription(sub);
  const { tenant: _, ...shown } = sub;
  return c.json(shown, 201);
});

webhookRoutes.get('/subscriptions', requireScope('read'), async (c) => {
  const subs = await hooks(c.env).subscriptions(tenantKey(c));
  return c.json({ subscriptions: subs.map(({ secret: _, tenant: __, ...s }) => s) });
});

webhookRoutes.delete('/subscriptions/:id', requireScope('write'), async (c) => {
  if (!(await hooks(c.env).deleteSubscription(tenantKey(c), c.req.param('id')))) throw new ApiError(404, 'not_found', 'no such subscription');
  return c.json({ id: c.req.param('id'), deleted: true });
});

webhookRoutes.get('/deliveries', requireScope('read'), async (c) => {
  const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 100) || 100, 1), 1000);
  return c.json({ deliveries: await hooks(c.env).deliveries(tenantKey(c), c.req.query('event_id') ?? null, limit) });
});
