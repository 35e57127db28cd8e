/**
 * Every request gets an id (hono's request-id middleware: the caller's `x-request-id` when it is a
 * sane token, else a fresh UUID), echoed in the response header and in error bodies, and one
 * structured JSON log line: what a platform's on-call needs to find one upload in our logs.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';

export function requestIdOf(c: Context): string | undefined {
  return (c.get as (k: string) => string | undefined)('requestId');
}

/** `LOG_REQUESTS=false` in the environment (Worker vars or process env) silences the log lines. */
function quiet(c: Context): boolean {
  const env = c.env as Record<string, unknown> | undefined;
  const flag = env?.LOG_REQUESTS ?? (globalThis as { process?: { env?: Record<string, string> } }).process?.env?.LOG_REQUESTS;
  return flag === 'false';
}

export function requestIds(service: string, log: (line: string) => void = console.log): MiddlewareHandler[] {
  const logLine: MiddlewareHandler = async (c, next) => {
    const t0 = Date.now();
    await next();
    if (!quiet(c)) {
      const line = { level: c.res.status >= 500 ? 'error' : 'info', service, requestId: requestIdOf(c), method: c.req.method, path: c.req.path, status: c.res.status, ms: Date.now() - t0 };
      log(JSON.stringify(line));
    }
  };
  return [requestId({ limitLength: 128 }), logLine];
}
