// The real `wrangler dev` process on the embedded store: what an acknowledged write survives.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDevServer } from '../../src/cli/devserver.ts';
import { toJpeg } from '../support/encode-node.ts';
import { resize, syntheticImage } from '../support/synthetic.ts';

describe('wrangler dev with --persist-to', () => {
  it('keeps acknowledged images across a SIGKILL and restart, and finds them', async () => {
    const state = mkdtempSync(join(tmpdir(), 'copycat-state-'));
    const img = syntheticImage(42, 300, 200);
    let srv = await startDevServer(state);
    try {
      for (const [id, seed] of [['keep-1', 42], ['keep-2', 43]] as const) {
        const res = await fetch(`${srv.url}/v1/images/${id}`, { method: 'PUT', body: await toJpeg(syntheticImage(seed, 300, 200)) });
        expect(res.status).toBe(201);
      }
    } finally {
      await srv.stop('SIGKILL');
    }
    srv = await startDevServer(state);
    try {
      const res = await fetch(`${srv.url}/v1/search`, { method: 'POST', body: await toJpeg(resize(img, 200, 133), 50) });
      const body = (await res.json()) as { matches: { id: string }[]; verdict: string };
      expect(body.matches.map((m) => m.id)).toEqual(['keep-1', 'keep-2']);
      expect(body.verdict).toBe('copy');
      const fp = (await (await fetch(`${srv.url}/v1/fingerprint`, { method: 'POST', body: await toJpeg(img) })).json()) as { pdq: string };
      expect(fp.pdq).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await srv.stop();
    }
  });
});
