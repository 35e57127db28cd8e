/**
 * Webhook state in one SQLite-backed Durable Object: received events (the idempotency record and
 * their outcome), per-tenant subscriptions, and the delivery log. Tenant '' is the anonymous
 * tenant of AUTH=off.
 */
import { DurableObject } from 'cloudflare:workers';

export type EventStatus = 'queued' | 'processing' | 'done' | 'failed';
export type IndexPolicy = 'never' | 'always' | 'unless_copy';

export interface StoredEvent {
  tenant: string;
  eventId: string;
  type: string;
  status: EventStatus;
  receivedAt: string;
  /** The request minus the image bytes. */
  payload: Record<string, unknown>;
  /** image_base64, decoded, when the event carried the image itself. */
  image: Uint8Array | null;
  result: unknown;
  error: string | null;
  attempts: number;
}

export interface Subscription {
  id: string;
  tenant: string;
  url: string;
  events: string[];
  index: IndexPolicy;
  secret: string;
  createdAt: string;
}

export interface Delivery {
  id: string;
  tenant: string;
  eventId: string;
  subscriptionId: string | null;
  type: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  /** Seconds waited before each retry, in order (the observed backoff schedule). */
  delays: number[];
  body: string;
}

type Row = Record<string, SqlStorageValue>;
const now = () => new Date().toISOString();

export class WebhookStore extends DurableObject {
  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    ctx.blockConcurrencyWhile(async () => {
      const sql = this.ctx.storage.sql;
      sql.exec(`CREATE TABLE IF NOT EXISTS events (tenant TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
        received_at TEXT NOT NULL, payload TEXT NOT NULL, image BLOB, result TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant, event_id))`);
      sql.exec(`CREATE TABLE IF NOT EXISTS subscriptions (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, url TEXT NOT NULL, events TEXT NOT NULL,
        index_policy TEXT NOT NULL, secret TEXT NOT NULL, created_at TEXT NOT NULL)`);
      sql.exec(`CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, event_id TEXT NOT NULL, subscription_id TEXT,
        type TEXT NOT NULL, url TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, last_status INTEGER, last_error TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, delays TEXT NOT NULL, body TEXT NOT NULL)`);
      sql.exec('CREATE INDEX IF NOT EXISTS deliveries_tenant ON deliveries (tenant, created_at)');
    });
  }

  private get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  /** Records a new event; false (and nothing written) when this tenant already sent that id. */
  async recordEvent(tenant: string, eventId: string, type: string, payload: Record<string, unknown>, image: Uint8Array | null): Promise<{ created: boolean; status: EventStatus }> {
    const existing = [...this.sql.exec('SELECT status FROM events WHERE tenant = ? AND event_id = ?', tenant, eventId)];
    if (existing.length) return { created: false, status: existing[0].status as EventStatus };
    this.sql.exec('INSERT INTO events (tenant, event_id, type, status, received_at, payload, image) VALUES (?, ?, ?, ?, ?, ?, ?)',
      tenant, eventId, type, 'queued', now(), JSON.stringify(payload), image);
    return { created: true, status: 'queued' };
  }

  async getEvent(tenant: string, eventId: string): Promise<StoredEvent | null> {
    const rows = [...this.sql.exec('SELECT * FROM events WHERE tenant = ? AND event_id = ?', tenant, eventId)];
    if (!rows.length) return null;
    const r = rows[0];
    return {
      tenant, eventId, type: r.type as string, status: r.status as EventStatus, receivedAt: r.received_at as string,
      payload: JSON.parse(r.payload as string), image: r.image ? new Uint8Array(r.image as ArrayBuffer) : null,
      result: r.result ? JSON.parse(r.result as string) : null, error: (r.error as string | null) ?? null, attempts: r.attempts as number,
    };
  }

  async setEvent(tenant: string, eventId: string, status: EventStatus, result: unknown = null, error: string | null = null): Promise<void> {
    this.sql.exec('UPDATE events SET status = ?, result = ?, error = ?, attempts = attempts + ? WHERE tenant = ? AND event_id = ?',
      status, result === null ? null : JSON.stringify(result), error, status === 'processing' ? 1 : 0, tenant, eventId);
  }

  async addSubscription(s: Subscription): Promise<void> {
    this.sql.exec('INSERT INTO subscriptions (id, tenant, url, events, index_policy, secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      s.id, s.tenant, s.url, s.events.join(','), s.index, s.secret, s.createdAt);
  }

  async subscriptions(tenant: string): Promise<Subscription[]> {
    return [...this.sql.exec('SELECT * FROM subscriptions WHERE tenant = ? ORDER BY created_at', tenant)].map((r: Row) => ({
      id: r.id as string, tenant, url: r.url as string, events: (r.events as string).split(','), index: r.index_policy as IndexPolicy,
      secret: r.secret as string, createdAt: r.created_at as string,
    }));
  }

  async deleteSubscription(tenant: string, id: string): Promise<boolean> {
    return this.sql.exec('DELETE FROM subscriptions WHERE tenant = ? AND id = ?', tenant, id).rowsWritten > 0;
  }

  async addDelivery(d: Omit<Delivery, 'status' | 'attempts' | 'lastStatus' | 'lastError' | 'createdAt' | 'updatedAt' | 'delays'>): Promise<void> {
    const t = now();
    this.sql.exec(`INSERT INTO deliveries (id, tenant, event_id, subscription_id, type, url, status, attempts, created_at, updated_at, delays, body)
      VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, '[]', ?)`, d.id, d.tenant, d.eventId, d.subscriptionId, d.type, d.url, t, t, d.body);
  }

  async getDelivery(id: string): Promise<Delivery | null> {
    const rows = [...this.sql.exec('SELECT * FROM deliveries WHERE id = ?', id)];
    return rows.length ? toDelivery(rows[0]) : null;
  }

  /** Records one attempt's outcome (and the delay before the next, when one is scheduled). */
  async recordAttempt(id: string, status: Delivery['status'], attempts: number, lastStatus: number | null, lastError: string | null, nextDelay: number | null): Promise<void> {
    const d = await this.getDelivery(id);
    if (!d) return;
    const delays = nextDelay === null ? d.delays : [...d.delays, nextDelay];
    this.sql.exec('UPDATE deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?, updated_at = ?, delays = ? WHERE id = ?',
      status, attempts, lastStatus, lastError, now(), JSON.stringify(delays), id);
  }

  async deliveries(tenant: string, eventId: string | null, limit: number): Promise<Omit<Delivery, 'body'>[]> {
    const rows = eventId === null
      ? this.sql.exec('SELECT * FROM deliveries WHERE tenant = ? ORDER BY created_at DESC LIMIT ?', tenant, limit)
      : this.sql.exec('SELECT * FROM deliveries WHERE tenant = ? AND event_id = ? ORDER BY created_at DESC LIMIT ?', tenant, eventId, limit);
    return [...rows].map((r) => {
      const { body: _, ...rest } = toDelivery(r);
      return rest;
    });
  }
}

function toDelivery(r: Row): Delivery {
  return {
    id: r.id as string, tenant: r.tenant as string, eventId: r.event_id as string, subscriptionId: (r.subscription_id as string | null) ?? null,
    type: r.type as string, url: r.url as string, status: r.status as Delivery['status'], attempts: r.attempts as number,
    lastStatus: (r.last_status as number | null) ?? null, lastError: (r.last_error as string | null) ?? null,
    createdAt: r.created_at as string, updatedAt: r.updated_at as string, delays: JSON.parse(r.delays as string), body: r.body as string,
  };
}
