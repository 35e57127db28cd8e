/**
 * Hostile variants of real images: what a fuzzer feeds the decode path. Each mutation is
 * seeded, so a failing case is reproducible from (seed file, mutation, seed). Structure-aware
 * mutations target the fields decoders trust: JPEG SOF and PNG IHDR dimensions, WebP sizes.
 */
import { Rng } from '../../core/quant/rng.ts';

export type Mutation = (b: Uint8Array, rng: Rng) => Uint8Array;

const flipBits: Mutation = (b, rng) => {
  const out = b.slice();
  const n = 1 + rng.int(64);
  for (let i = 0; i < n; i++) out[rng.int(out.length)] ^= 1 << rng.int(8);
  return out;
};

const flipHeaderBits: Mutation = (b, rng) => {
  const out = b.slice();
  const span = Math.min(out.length, 512);
  for (let i = 0, n = 1 + rng.int(8); i < n; i++) out[rng.int(span)] ^= 1 << rng.int(8);
  return out;
};

const truncate: Mutation = (b, rng) => b.slice(0, rng.int(b.length));

const overwriteRun: Mutation = (b, rng) => {
  const out = b.slice();
  const at = rng.int(out.length);
  const len = Math.min(out.length - at, 1 + rng.int(256));
  const v = rng.int(3) === 0 ? 0 : rng.int(3) === 0 ? 0xff : -1;
  for (let i = 0; i < len; i++) out[at + i] = v < 0 ? rng.int(256) : v;
  return out;
};

const duplicateChunk: Mutation = (b, rng) => {
  const at = rng.int(b.length);
  const len = Math.min(b.length - at, 1 + rng.int(4096));
  const to = rng.int(b.length);
  const out = new Uint8Array(b.length + len);
  out.set(b.subarray(0, to));
  out.set(b.subarray(at, at + len), to);
  out.set(b.subarray(to), to + len);
  return out;
};

const prependJunk: Mutation = (b, rng) => {
  const junk = new Uint8Array(1 + rng.int(64)).map(() => rng.int(256));
  const out = new Uint8Array(junk.length + b.length);
  out.set(junk);
  out.set(b, junk.length);
  return out;
};

/** Writes a big-endian u16/u32 at every header field that declares the image size. */
const hugeDimensions: Mutation = (b, rng) => {
  const out = b.slice();
  const big = [0xffff, 0x7fff, 0x8000, 0, 1, 46341][rng.int(6)];
  const dv = new DataView(out.buffer);
  if (out[0] === 0xff && out[1] === 0xd8) {
    for (let i = 2; i + 9 < out.length; i++) {
      // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC): height at +5, width at +7.
      if (out[i] === 0xff && out[i + 1] >= 0xc0 && out[i + 1] <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(out[i + 1])) {
        if (rng.int(2)) dv.setUint16(i + 5, big);
        else dv.setUint16(i + 7, big);
        break;
      }
    }
  } else if (out[1] === 0x50 && out[2] === 0x4e && out.length > 24) {
    dv.setUint32(16 + 4 * rng.int(2), rng.int(2) ? 0x7fffffff : big * 65536 + big);
  } else if (out.length > 30) {
    // WebP: VP8X canvas (24-bit, minus one) or the VP8/VP8L frame sizes near the start.
    for (let k = 0; k < 3; k++) out[24 + rng.int(6)] = 0xff;
  }
  return out;
};

export const MUTATIONS: Record<string, Mutation> = {
  flipBits, flipHeaderBits, truncate, overwriteRun, duplicateChunk, prependJunk, hugeDimensions,
};

/** Content types to send with a mutated body, right and wrong. */
export const CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream', 'text/plain', 'image/gif', 'multipart/form-data; boundary=x', ''];
