/**
 * `copycat serve` (what `npm start` runs): the origin on Node and the edge Worker under
 * `wrangler dev` (workerd), wired together on loopback. Both keep their state under one folder
 * (default .wrangler/state), so a restart finds the catalog and the reference features again.
 * Ctrl-C (or SIGTERM) stops both.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startOriginServer } from '../functions/node/origin.ts';
import { ROOT } from './devserver.ts';

export interface ServeOptions {
  port: number;
  originPort: number;
  host: string;
  persistTo: string;
}

export async function serve(o: ServeOptions): Promise<number> {
  const origin = await startOriginServer({ dir: join(o.persistTo, 'origin-features'), port: o.originPort, host: o.host });
  console.error(`copycat origin listening on ${origin.url} (features in ${join(o.persistTo, 'origin-features')})`);
  const edge = spawn(
    process.execPath,
    [
      `${ROOT}node_modules/wrangler/bin/wrangler.js`, 'dev', '--local', '--ip', o.host, '--port', String(o.port),
      '--persist-to', o.persistTo, '--var', `ORIGIN_URL:${origin.url}`,
      // Secrets given in the environment reach the local Worker (deployed Workers use wrangler secret).
      ...['WEBHOOK_SECRET', 'ADMIN_KEY', 'AUTH'].filter((k) => process.env[k]).flatMap((k) => ['--var', `${k}:${process.env[k]}`]),
    ],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' } },
  );
  const stop = (sig: NodeJS.Signals) => {
    if (edge.exitCode === null) edge.kill(sig);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const code = await new Promise<number>((resolve) => edge.on('exit', (c) => resolve(c ?? 0)));
  await origin.close();
  return code;
}
