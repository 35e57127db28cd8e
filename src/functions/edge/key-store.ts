/**
 * API key records in their own SQLite-backed Durable Object (one instance): a key check is one
 * indexed read by key id, and keys never share storage or a failure domain with the catalog.
 */
import { DurableObject } from 'cloudflare:workers';
import type { ApiKeyRecord, Scope } from '../../core/auth/keys.ts';

type Row = Record<string, SqlStorageValue>;

function toRecord(r: Row): ApiKeyRecord {
  return {
    kid: r.kid as string, tenant: r.tenant as string, scopes: (r.scopes as string).split(',') as Scope[], name: r.name as string,
    hash: r.hash as string, createdAt: r.created_at as string, revokedAt: (r.revoked_at as string | null) ?? null,
  };
}

export class KeyStore extends DurableObject {
  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS api_keys (
        kid TEXT PRIMARY KEY, tenant TEXT NOT NULL, scopes TEXT NOT NULL, name TEXT NOT NULL,
        hash TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)`);
      this.ctx.storage.sql.exec('CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant)');
    });
  }

  async create(r: ApiKeyRecord): Promise<void> {
    this.ctx.storage.sql.exec(
      'INSERT INTO api_keys (kid, tenant, scopes, name, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)',
      r.kid, r.tenant, r.scopes.join(','), r.name, r.hash, r.createdAt,
    );
  }

  async get(kid: string): Promise<ApiKeyRecord | null> {
    const rows = [...this.ctx.storage.sql.exec('SELECT * FROM api_keys WHERE kid = ?', kid)];
    return rows.length ? toRecord(rows[0]) : null;
  }

  /** A tenant's keys, or every key when tenant is null; hashes are never returned. */
  async list(tenant: string | null): Promise<Omit<ApiKeyRecord, 'hash'>[]> {
    const rows = tenant === null
      ? this.ctx.storage.sql.exec('SELECT * FROM api_keys ORDER BY created_at')
      : this.ctx.storage.sql.exec('SELECT * FROM api_keys WHERE tenant = ? ORDER BY created_at', tenant);
    return [...rows].map((r) => {
      const { hash: _, ...rest } = toRecord(r);
      return rest;
    });
  }

  /** Revokes a key (of `tenant` unless null); false when there is no such live key. */
  async revoke(kid: string, tenant: string | null): Promise<boolean> {
    const now = new Date().toISOString();
    const cursor = tenant === null
      ? this.ctx.storage.sql.exec('UPDATE api_keys SET revoked_at = ? WHERE kid = ? AND revoked_at IS NULL', now, kid)
      : this.ctx.storage.sql.exec('UPDATE api_keys SET revoked_at = ? WHERE kid = ? AND tenant = ? AND revoked_at IS NULL', now, kid, tenant);
    return cursor.rowsWritten > 0;
  }
}
