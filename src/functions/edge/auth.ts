/**
 * Who is calling, and what they may touch. With AUTH=on every route but /health and
 * /openapi.json needs `Authorization: Bearer <key>`; the key's tenant confines every index and
 * every result (namespaces are stored as `<tenant>--<namespace>`), its scopes gate the routes, and
 * each key has its own rate limit. ADMIN_KEY (a secret) is the bootstrap key: it manages keys of
 * any tenant and nothing else. With AUTH=off (the local-dev default in wrangler.toml) there is one
 * anonymous tenant, namespaces are stored as given, and responses say `x-copycat-auth: off`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { allows, constantTimeEqual, keyMatches, parseKey, sha256Hex, type Scope } from '../../core/auth/keys.ts';
import { ApiError } from '../http/errors.ts';
import { namespaceOf } from '../http/request.ts';
import type { KeyStore } from './key-store.ts';

export interface AuthEnv {
  AUTH?: string;
  ADMIN_KEY?: string;
  KEYS: DurableObjectNamespace<KeyStore>;
  RATE_LIMITER?: RateLimit;
  RATE_LIMIT_PERIOD?: string;
}

export interface Principal {
  /** null when auth is off (one anonymous tenant) or for the bootstrap admin key. */
  tenant: string | null;
  scopes: Scope[];
  keyId: string | null;
  /** The ADMIN_KEY bootstrap key. */
  bootstrap: boolean;
  authOn: boolean;
}

export function keyStore(env: AuthEnv): DurableObjectStub<KeyStore> {
  return env.KEYS.get(env.KEYS.idFromName('keys'));
}

function bearer(c: Context): string {
  const h = c.req.header('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  if (!m) throw new ApiError(401, 'unauthorized', 'this API needs "Authorization: Bearer <key>"');
  return m[1];
}

async function identify(c: Context<{ Bindings: AuthEnv }>): Promise<Principal> {
  if (c.env.AUTH !== 'on') return { tenant: null, scopes: ['read', 'write', 'admin'], keyId: null, bootstrap: false, authOn: false };
  const key = bearer(c);
  if (c.env.ADMIN_KEY && constantTimeEqual(await sha256Hex(key), await sha256Hex(c.env.ADMIN_KEY))) {
    return { tenant: null, scopes: ['admin'], keyId: 'bootstrap', bootstrap: true, authOn: true };
  }
  const parsed = parseKey(key);
  const record = parsed && (await keyStore(c.env).get(parsed.kid));
  if (!record || !(await keyMatches(record, key))) throw new ApiError(401, 'unauthorized', 'unknown or revoked API key');
  return { tenant: record.tenant, scopes: record.scopes, keyId: record.kid, bootstrap: false, authOn: true };
}

/** Identifies the caller and applies its key's rate limit; public routes pass through. */
export function authenticate(publicPaths: readonly string[]): MiddlewareHandler<{ Bindings: AuthEnv }> {
  return async (c, next) => {
    if (publicPaths.includes(c.req.path)) return next();
    const p = await identify(c);
    (c.set as (k: string, v: Principal) => void)('principal', p);
    if (!p.authOn) c.header('x-copycat-auth', 'off');
    if (p.authOn && c.env.RATE_LIMITER) {
      const { success } = await c.env.RATE_LIMITER.limit({ key: p.keyId! });
      if (!success) {
        c.header('retry-after', c.env.RATE_LIMIT_PERIOD ?? '60');
        throw new ApiError(429, 'rate_limited', 'too many requests for this API key; retry after the period in Retry-After (seconds)');
      }
    }
    await next();
  };
}

export function principalOf(c: Context): Principal {
  return (c.get as (k: string) => Principal)('principal');
}

/** Route guard: the caller's scopes must allow `scope`; image routes need a tenant's key. */
export function requireScope(scope: Scope): MiddlewareHandler {
  return async (c, next) => {
    const p = principalOf(c);
    if (p.bootstrap && scope !== 'admin') throw new ApiError(403, 'forbidden', 'the bootstrap admin key only manages keys; create a tenant key for image routes');
    if (!allows(p.scopes, scope)) throw new ApiError(403, 'forbidden', `this key lacks the "${scope}" scope`);
    await next();
  };
}

export const TENANT_SEPARATOR = '--';

/** The namespace as stored: the caller's tenant prefixed when auth is on. */
export function storedNamespace(c: Context): string {
  const ns = namespaceOf(c);
  const t = principalOf(c).tenant;
  return t === null ? ns : `${t}${TENANT_SEPARATOR}${ns}`;
}

/** Stored namespace -> the caller's view of it, or null when it belongs to another tenant. */
export function visibleNamespace(c: Context, stored: string): string | null {
  const t = principalOf(c).tenant;
  if (t === null) return stored;
  const prefix = `${t}${TENANT_SEPARATOR}`;
  return stored.startsWith(prefix) ? stored.slice(prefix.length) : null;
}
