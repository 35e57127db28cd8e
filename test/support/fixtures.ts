/**
 * Fixture images for tests, as bytes: synthetic ones always, plus a real reference/copy/unrelated
 * trio from ../shared/bench/s1 when that folder is present (never copied into the repo).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flipHorizontal, resize, syntheticImage } from './synthetic.ts';
import { toJpeg, toPng, toWebp } from './encode-node.ts';

export const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const S1 = `${SHARED}bench/s1/`;
export const hasShared = existsSync(`${S1}truth.csv`);

export interface FixtureSet {
  /** Base64 so the set survives vitest's provide() into workerd. */
  [name: string]: string;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

export async function buildFixtures(): Promise<FixtureSet> {
  const a = syntheticImage(1, 320, 240);
  const out: FixtureSet = {
    a_jpg: b64(await toJpeg(a, 92)),
    a_copy_jpg: b64(await toJpeg(resize(a, 208, 156), 40)),
    a_flip_png: b64(await toPng(flipHorizontal(a))),
    a_webp: b64(await toWebp(a, 70)),
    b_jpg: b64(await toJpeg(syntheticImage(2, 300, 300), 90)),
    c_png: b64(await toPng(syntheticImage(3, 256, 192))),
  };
  if (hasShared) {
    // An easy-tier pair from truth.csv (Q0d769ab932 = R00530 rescaled to 0.70, as PNG) and an unrelated reference.
    out.real_ref = b64(readFileSync(`${S1}refs/R00530.jpg`));
    out.real_query = b64(readFileSync(`${S1}queries/Q0d769ab932.png`));
    out.real_other = b64(readFileSync(`${S1}refs/R00000.jpg`));
  }
  return out;
}
