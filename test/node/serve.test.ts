// `npm start` end to end: `copycat serve` brings up the edge (wrangler dev) and the origin (Node),
// wired so that indexing stores local features at the origin and a search is verified geometrically.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServe } from '../../src/cli/devserver.ts';
import { toJpeg } from '../support/encode-node.ts';
import { resize, syntheticImage } from '../support/synthetic.ts';

describe('copycat serve (npm start)', () => {
  it('runs the edge and the origin together: indexing stores local features, search verifies', async () => {
    const srv = await startServe(mkdtempSync(join(tmpdir(), 'copycat-serve-')));
    try {
      const edge = srv.url;
      expect((await fetch(`${srv.originUrl}/health`)).ok).toBe(true);
      const img = syntheticImage(7, 320, 240);
      const put = (await (await fetch(`${edge}/v1/images/seven`, { method: 'PUT', body: await toJpeg(img) })).json()) as { localFeatures: { status: string } };
      expect(put.localFeatures.status).toBe('stored');
      await fetch(`${edge}/v1/images/other`, { method: 'PUT', body: await toJpeg(syntheticImage(8, 300, 300)) });
      const res = await fetch(`${edge}/v1/search`, { method: 'POST', body: await toJpeg(resize(img, 240, 180), 60) });
      const body = (await res.json()) as { matches: { id: string; verification: { status: string } }[]; verification: { status: string } };
      expect(body.verification.status).toBe('done');
      expect(body.matches[0]).toMatchObject({ id: 'seven', verification: { status: 'verified' } });
    } finally {
      srv.stop();
    }
  });
});
