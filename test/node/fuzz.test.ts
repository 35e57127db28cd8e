// A few hundred fuzz cases in CI (`npm run fuzz` runs 10,000): mutated JPEG, PNG and WebP files
// through decode + fingerprint in a watched worker, and a sample to a running wrangler dev.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzz } from '../../src/cli/fuzz/run.ts';
import { MUTATIONS } from '../../src/cli/fuzz/mutate.ts';
import { Rng } from '../../src/core/quant/rng.ts';
import { buildFixtures, hasShared, S1 } from '../support/fixtures.ts';

async function seedFiles(): Promise<string[]> {
  const fx = await buildFixtures();
  const dir = mkdtempSync(join(tmpdir(), 'copycat-fuzz-seeds-'));
  const files = [['a_jpg', 'a.jpg'], ['c_png', 'c.png'], ['a_webp', 'a.webp']].map(([k, name]) => {
    writeFileSync(join(dir, name), Buffer.from(fx[k], 'base64'));
    return join(dir, name);
  });
  return hasShared ? [...files, `${S1}refs/R00001.jpg`, `${S1}queries/Q0d769ab932.png`] : files;
}

describe('fuzz', () => {
  it('mutations are deterministic and actually change the bytes', () => {
    const base = new Uint8Array(2000).map((_, i) => (i * 31) & 255);
    base.set([0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 1, 0, 1, 0], 0);
    for (const [name, m] of Object.entries(MUTATIONS)) {
      const a = m(base, new Rng(7)), b = m(base, new Rng(7));
      expect(a, name).toEqual(b);
      expect(Buffer.from(a).equals(Buffer.from(base)), name).toBe(false);
    }
  });

  it('300 hostile files: no crash, no hang, no 5xx', async () => {
    const r = await fuzz({ seeds: await seedFiles(), cases: 300, serverSample: 30, seed: 11, caseTimeoutMs: 20_000, concurrency: 2, quiet: true });
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({ cases: 300, crashes: 0, hangs: 0, http5xx: 0, serverCases: 30 });
    // The run must exercise both outcomes, or the mutations are too weak (or too destructive).
    expect(r.decoded).toBeGreaterThan(20);
    expect(r.rejected).toBeGreaterThan(20);
  });
});
