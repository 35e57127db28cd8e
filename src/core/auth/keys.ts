/**
 * API keys: `cc_<kid>_<secret>`. The key id finds the record; only a SHA-256 of the secret is
 * stored, and it is compared in constant time, so neither a database leak nor response timing
 * gives a usable key away. Web Crypto only (the same in workerd, Node and browsers).
 */

export type Scope = 'read' | 'write' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

/** Tenant ids: lowercase letters and digits, so `<tenant>--<namespace>` splits unambiguously. */
export const TENANT_RE = /^[a-z0-9]{1,24}$/;
const KEY_RE = /^cc_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ApiKeyRecord {
  kid: string;
  tenant: string;
  scopes: Scope[];
  name: string;
  /** Hex SHA-256 of the secret part. */
  hash: string;
  createdAt: string;
  revokedAt: string | null;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function sha256Hex(text: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

/** Equal-length strings compared without an early exit. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function parseKey(key: string): { kid: string; secret: string } | null {
  const m = KEY_RE.exec(key);
  return m ? { kid: m[1], secret: m[2] } : null;
}

export function parseScopes(v: unknown): Scope[] | null {
  if (!Array.isArray(v) || !v.length || !v.every((s) => SCOPES.includes(s))) return null;
  return [...new Set(v as Scope[])];
}

/** `admin` may do everything its tenant's keys may; read and write are separate. */
export function allows(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.includes(needed) || scopes.includes('admin');
}

/** A new key: the full key string is shown once, the record keeps only its hash. */
export async function generateKey(tenant: string, scopes: Scope[], name: string, now = new Date()): Promise<{ key: string; record: ApiKeyRecord }> {
  const kid = hex(crypto.getRandomValues(new Uint8Array(8)));
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return {
    key: `cc_${kid}_${secret}`,
    record: { kid, tenant, scopes, name, hash: await sha256Hex(secret), createdAt: now.toISOString(), revokedAt: null },
  };
}

/** Whether `key` is the live key of `record`. */
export async function keyMatches(record: ApiKeyRecord, key: string): Promise<boolean> {
  const parsed = parseKey(key);
  if (!parsed || parsed.kid !== record.kid || record.revokedAt) return false;
  return constantTimeEqual(await sha256Hex(parsed.secret), record.hash);
}
