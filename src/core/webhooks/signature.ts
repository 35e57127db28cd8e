/**
 * Webhook signatures, both directions: HMAC-SHA256 over `<timestamp>.<body>` with a shared secret,
 * sent as `x-copycat-timestamp: <unix seconds>` and `x-copycat-signature: v1=<hex>`. Signing the
 * timestamp with the body lets a receiver refuse replays older than its tolerance (5 minutes).
 * Web Crypto only, so the same code signs in workerd and verifies in Node or a browser.
 */
import { constantTimeEqual } from '../auth/keys.ts';

export const TIMESTAMP_HEADER = 'x-copycat-timestamp';
export const SIGNATURE_HEADER = 'x-copycat-signature';
export const TOLERANCE_SECONDS = 300;

async function hmacHex(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The two headers that sign `body` at `nowSeconds`. */
export async function signatureHeaders(secret: string, body: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<Record<string, string>> {
  return { [TIMESTAMP_HEADER]: String(nowSeconds), [SIGNATURE_HEADER]: `v1=${await hmacHex(secret, `${nowSeconds}.${body}`)}` };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'bad_signature' };

export async function checkSignature(
  secret: string,
  body: string,
  timestamp: string | null | undefined,
  signature: string | null | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SignatureCheck> {
  if (!timestamp || !signature) return { ok: false, reason: 'missing' };
  const ts = Number(timestamp);
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - ts) > TOLERANCE_SECONDS) return { ok: false, reason: 'stale' };
  const expected = `v1=${await hmacHex(secret, `${timestamp}.${body}`)}`;
  return constantTimeEqual(expected, signature) ? { ok: true } : { ok: false, reason: 'bad_signature' };
}

/** Exponential backoff with full jitter in [0.5, 1.5) of the step, capped: attempt 1 waits ~base. */
export function backoffSeconds(attempt: number, baseSeconds: number, maxSeconds: number, random: () => number = Math.random): number {
  const step = Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(step * (0.5 + random())));
}
