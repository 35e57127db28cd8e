// kill -9 in the middle of a concurrent ingest (`npm run bench:durability` does 5 runs on s1).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { durability } from '../../src/cli/durability.ts';
import { toJpeg } from '../support/encode-node.ts';
import { syntheticImage } from '../support/synthetic.ts';

describe('durability under SIGKILL', () => {
  it('loses no acknowledged write and leaves nothing half there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'copycat-dur-imgs-'));
    for (let i = 0; i < 16; i++) writeFileSync(join(dir, `img${String(i).padStart(2, '0')}.jpg`), await toJpeg(syntheticImage(100 + i, 256, 192)));
    const r = await durability({ images: dir, runs: 1, count: 16, concurrency: 6 });
    expect(r.acknowledged).toBeGreaterThanOrEqual(8);
    expect(r.lost).toBe(0);
    expect(r.halfThere).toBe(0);
  });
});
