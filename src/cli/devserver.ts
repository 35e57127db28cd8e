/**
 * Starts the edge Worker under `wrangler dev` (workerd) on a free loopback port, for the restart
 * test and the workerd timing benchmark. Resolves once /health answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface DevServer {
  url: string;
  process: ChildProcess;
  /** Resident memory of the workerd processes this server started (Linux /proc), in MiB. */
  workerdRssMiB(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** `vars` override wrangler.toml's [vars] for this run (wrangler dev --var KEY:VALUE). */
export async function startDevServer(persistTo: string, timeoutMs = 90_000, vars: Record<string, string> = {}): Promise<DevServer> {
  const port = await freePort();
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  const child = spawn(
    process.execPath,
    [`${ROOT}node_modules/wrangler/bin/wrangler.js`, 'dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', persistTo, '--show-interactive-dev-session=false', ...varArgs],
    { cwd: ROOT, env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${log}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (Date.now() >= deadline) throw new Error(`wrangler dev did not answer within ${timeoutMs} ms:\n${log}`);
  return {
    url,
    process: child,
    workerdRssMiB: () => processGroupRss(child.pid!, 'workerd'),
    stop: (signal = 'SIGTERM') => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      try { process.kill(-child.pid!, signal); } catch { resolve(); }
    }),
  };
}

function processGroupRss(pgid: number, name: string): number {
  let kib = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || !stat.includes(`(${name})`)) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kib += Number(m[1]);
    } catch { /* the process ended meanwhile */ }
  }
  return kib / 1024;
}

export interface ServeProcess {
  url: string;
  originUrl: string;
  stop(): void;
}

/** Starts `copycat serve` (edge + origin, what `npm start` runs) on free loopback ports, fresh state. */
export async function startServe(persistTo: string, env: Record<string, string> = {}, timeoutMs = 120_000): Promise<ServeProcess> {
  const [port, originPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [`${ROOT}bin/copycat.js`, 'serve', '--port', String(port), '--origin-port', String(originPort), '--persist-to', persistTo], {
    cwd: ROOT, env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true,
  });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const originUrl = `http://127.0.0.1:${originPort}`;
  const deadline = Date.now() + timeoutMs;
  for (const u of [url, originUrl]) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`copycat serve exited early:\n${log}`);
      if (Date.now() > deadline) throw new Error(`copycat serve did not answer within ${timeoutMs} ms:\n${log}`);
      try {
        if ((await fetch(`${u}/health`)).ok) break;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    url, originUrl,
    stop: () => {
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
    },
  };
}
