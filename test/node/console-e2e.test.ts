// The review console in real Chromium against `npm start` (copycat serve: edge + origin): index a
// reference over the API, drop a copy on the page, see the copy verdict, the match with its
// thumbnail and the drawn inlier lines; the screenshot is kept in test-artifacts/.
// Chromium is Debian's (/usr/bin/chromium), installed with apt-get when missing; where that is not
// possible the test is skipped and says why, never silently.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, startServe } from '../../src/cli/devserver.ts';
import { toJpeg } from '../support/encode-node.ts';
import { resize, syntheticImage } from '../support/synthetic.ts';

const CHROMIUM = '/usr/bin/chromium';
const S1 = join(ROOT, '../shared/bench/s1');

/**
 * The reference, an unrelated one and the uploaded copy: a real s1 photo and its perspective-warped
 * copy when ../shared is there (the screenshot then shows a real case), else synthetic images.
 */
async function scene(dir: string): Promise<{ refs: [string, Uint8Array][]; source: string; upload: string }> {
  const upload = join(dir, 'upload.jpg');
  if (existsSync(join(S1, 'queries/Q0fd9cbf2d4.jpg'))) {
    writeFileSync(upload, readFileSync(join(S1, 'queries/Q0fd9cbf2d4.jpg')));
    return { refs: [['R00221', readFileSync(join(S1, 'refs/R00221.jpg'))], ['R00003', readFileSync(join(S1, 'refs/R00003.jpg'))]], source: 'R00221', upload };
  }
  const ref = syntheticImage(31, 480, 360);
  writeFileSync(upload, await toJpeg(resize(ref, 360, 270), 55));
  return { refs: [['poster', await toJpeg(ref)], ['other', await toJpeg(syntheticImage(32, 400, 400))]], source: 'poster', upload };
}

function ensureChromium(): string | null {
  if (existsSync(CHROMIUM)) return null;
  if (process.getuid?.() !== 0) return 'chromium is missing and installing it needs root (sudo apt-get install chromium chromium-driver)';
  const apt = (args: string[]) => execFileSync('apt-get', args, {
    stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000,
  });
  const install = ['install', '-y', '--no-install-recommends', 'chromium', 'chromium-driver'];
  try {
    console.log('console e2e: installing chromium (apt-get install chromium chromium-driver)...');
    try {
      apt(install);
    } catch {
      // A fresh machine may have no package lists yet.
      apt(['update']);
      apt(install);
    }
  } catch (err) {
    return `chromium is missing and apt-get could not install it (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
  return existsSync(CHROMIUM) ? null : 'apt-get ran but /usr/bin/chromium is still missing';
}

const skipReason = ensureChromium();
if (skipReason) console.warn(`SKIPPED console e2e: ${skipReason}`);

describe('review console in Chromium', () => {
  it.skipIf(skipReason !== null)('uploads a copy, shows the verified match with thumbnail and inlier lines, saves a screenshot', async () => {
    const { chromium } = await import('playwright-core');
    const srv = await startServe(mkdtempSync(join(tmpdir(), 'copycat-console-')), { LOG_REQUESTS: 'false' });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const { refs, source, upload: copy } = await scene(mkdtempSync(join(tmpdir(), 'copycat-console-q-')));
      for (const [id, body] of refs) {
        const put = await fetch(`${srv.url}/v1/images/${id}`, { method: 'PUT', body });
        expect(put.status).toBe(201);
      }
      const other = refs[1][0];

      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${srv.url}/console`);
      await page.setInputFiles('#file', copy);
      await page.waitForSelector('#verdict', { timeout: 60_000 });
      expect(await page.textContent('#verdict')).toBe('copy');
      const first = page.locator('.match').first();
      expect(await first.getAttribute('data-id')).toBe(source);
      expect(await first.getAttribute('data-status')).toBe('verified');
      await page.waitForSelector('.match canvas.pair[data-drawn="true"]', { timeout: 30_000 });
      // The thumbnail came from storage (R2) and decoded as an image.
      expect(await first.locator('img.thumb').evaluate((im) => (im as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
      // Lines were drawn: the pair canvas is not a flat background.
      const distinct = await first.locator('canvas.pair').evaluate((el) => {
        type Canvas2D = { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
        const c = el as unknown as Canvas2D;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set<number>();
        for (let i = 0; i < d.length; i += 4 * 97) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        return seen.size;
      });
      expect(distinct).toBeGreaterThan(50);
      const artifacts = join(ROOT, 'test-artifacts');
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'console-verified-match.png'), fullPage: true });
      console.log(`console e2e: screenshot saved to ${join(artifacts, 'console-verified-match.png')}`);

      // Browse: the reference is listed and can be deleted from the page.
      await page.click('#tab-browse');
      await page.waitForSelector(`tr[data-id="${other}"]`, { timeout: 30_000 });
      page.on('dialog', (d) => d.accept());
      await page.click(`tr[data-id="${other}"] button`);
      await page.waitForSelector(`tr[data-id="${other}"]`, { state: 'detached', timeout: 30_000 });
      expect((await fetch(`${srv.url}/v1/images/${other}`)).status).toBe(404);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      srv.stop();
    }
  });
});
