// `npm start` end to end: `copycat serve` brings up the edge (wrangler dev) and the origin (Node),
// wired so that a search is verified geometrically, and stops both on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, ROOT } from '../../src/cli/devserver.ts';
import { toJpeg } from '../support/encode-node.ts';
import { resize, syntheticImage } from '../support/synthetic.ts';

async function waitFor(url: string, child: { exitCode: number | null }, log: () => string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`copycat serve exited early:\n${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer:\n${log()}`);
}

describe('copycat serve (npm start)', () => {
  it('runs the edge and the origin together: indexing stores local features, search verifies', async () => {
    const [port, originPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [`${ROOT}bin/copycat.js`, 'serve', '--port', String(port), '--origin-port', String(originPort), '--persist-to', mkdtempSync(join(tmpdir(), 'copycat-serve-'))], {
      cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    try {
      const edge = `http://127.0.0.1:${port}`;
      await waitFor(`${edge}/health`, child, () => log);
      await waitFor(`http://127.0.0.1:${originPort}/health`, child, () => log);
      const img = syntheticImage(7, 320, 240);
      const put = (await (await fetch(`${edge}/v1/images/seven`, { method: 'PUT', body: await toJpeg(img) })).json()) as { localFeatures: { status: string } };
      expect(put.localFeatures.status).toBe('stored');
      await fetch(`${edge}/v1/images/other`, { method: 'PUT', body: await toJpeg(syntheticImage(8, 300, 300)) });
      const res = await fetch(`${edge}/v1/search`, { method: 'POST', body: await toJpeg(resize(img, 240, 180), 60) });
      const body = (await res.json()) as { matches: { id: string; verification: { status: string } }[]; verification: { status: string } };
      expect(body.verification.status).toBe('done');
      expect(body.matches[0]).toMatchObject({ id: 'seven', verification: { status: 'verified' } });
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
  });
});
