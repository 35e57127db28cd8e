// `npm start` end to end: `copycat serve` brings up the edge (wrangler dev) and the origin (Node),
// wired so that indexing stores local features at the origin and a search is verified geometrically.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServe } from '../../src/cli/devserver.ts';
import { upload } from '../../src/cli/upload.ts';
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

      // copycat upload: fingerprints and ORB features made in worker threads, sent in batches.
      const dir = mkdtempSync(join(tmpdir(), 'copycat-upload-'));
      mkdirSync(dir, { recursive: true });
      const imgs = [21, 22, 23, 24, 25].map((seed) => syntheticImage(seed, 280, 210));
      for (const [i, im] of imgs.entries()) writeFileSync(join(dir, `bulk${i}.jpg`), await toJpeg(im));
      writeFileSync(join(dir, 'broken.jpg'), new Uint8Array([0xff, 0xd8, 0xff, 0x00]));
      const sum = await upload({ dir, url: edge, namespace: 'bulk', workers: 1, batch: 2, quiet: true });
      expect(sum).toMatchObject({ images: 6, created: 5, failed: 1 });
      expect(Object.keys(sum.stage_ms_per_image)).toEqual(expect.arrayContaining(['decode', 'embed', 'orb']));
      const found = await fetch(`${edge}/v1/search?namespace=bulk`, { method: 'POST', body: await toJpeg(resize(imgs[3], 210, 158), 60) });
      const fb = (await found.json()) as typeof body;
      expect(fb.matches[0]).toMatchObject({ id: 'bulk3', verification: { status: 'verified' } });
      const thumb = await fetch(`${edge}/v1/images/bulk3/thumbnail?namespace=bulk`);
      expect(thumb.status).toBe(200);
      expect([...new Uint8Array(await thumb.arrayBuffer()).slice(0, 2)]).toEqual([0xff, 0xd8]);
    } finally {
      srv.stop();
    }
  });
});
