/**
 * Key management (`admin` scope): a tenant's admin key manages its own tenant's keys; the
 * ADMIN_KEY bootstrap key manages any tenant's. A new key is returned once and only its hash is
 * kept. Only meaningful with AUTH=on.
 */
import { Hono, type Context } from 'hono';
import { generateKey, parseScopes, TENANT_RE } from '../../core/auth/keys.ts';
import { ApiError } from '../http/errors.ts';
import { keyStore, principalOf, requireScope, type AuthEnv } from './auth.ts';

export const keyRoutes = new Hono<{ Bindings: AuthEnv }>();

keyRoutes.use('*', async (c, next) => {
  if (!principalOf(c).authOn) throw new ApiError(409, 'auth_off', 'key management needs AUTH=on (see README, "Tenants and keys")');
  await next();
});
keyRoutes.use('*', requireScope('admin'));

/** The tenant a request may manage: its own, or (bootstrap key) the one it names. */
function managedTenant(c: Context, named: unknown): string {
  const p = principalOf(c);
  if (!p.bootstrap) {
    if (named !== undefined && named !== p.tenant) throw new ApiError(403, 'forbidden', 'a tenant key manages its own tenant only');
    return p.tenant!;
  }
  if (typeof named !== 'string' || !TENANT_RE.test(named)) throw new ApiError(400, 'bad_tenant', 'tenant must be 1-24 characters of a-z 0-9');
  return named;
}

keyRoutes.post('/', async (c) => {
  let body: { tenant?: unknown; scopes?: unknown; name?: unknown };
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError(400, 'bad_json', 'body must be JSON: {"tenant", "scopes": ["read"|"write"|"admin", ...], "name"}');
  }
  const tenant = managedTenant(c, body.tenant);
  const scopes = parseScopes(body.scopes);
  if (!scopes) throw new ApiError(400, 'bad_scopes', 'scopes must be a non-empty array of "read", "write", "admin"');
  const name = typeof body.name === 'string' ? body.name.slice(0, 100) : '';
  const { key, record } = await generateKey(tenant, scopes, name);
  await keyStore(c.env).create(record);
  return c.json({ key, kid: record.kid, tenant, scopes, name, createdAt: record.createdAt }, 201);
});

keyRoutes.get('/', async (c) => {
  const p = principalOf(c);
  const tenant = p.bootstrap ? (c.req.query('tenant') ? managedTenant(c, c.req.query('tenant')) : null) : p.tenant;
  return c.json({ keys: await keyStore(c.env).list(tenant) });
});

keyRoutes.delete('/:kid', async (c) => {
  const p = principalOf(c);
  const kid = c.req.param('kid');
  if (!(await keyStore(c.env).revoke(kid, p.bootstrap ? null : p.tenant))) throw new ApiError(404, 'not_found', `no live key ${kid}`);
  return c.json({ kid, revoked: true });
});
