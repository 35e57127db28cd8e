import { describe, expect, it } from 'vitest';
import { checkLimits, decodeImage } from '../../src/core/image/decode.ts';
import { readHeader } from '../../src/core/image/header.ts';
import { ImageInputError } from '../../src/core/image/types.ts';
import { initNodeCodecs } from '../../src/functions/node/codecs.ts';
import { toJpeg, toPng, toWebp } from '../support/encode-node.ts';
import { syntheticImage } from '../support/synthetic.ts';

await initNodeCodecs();

/** Inserts an APP1 EXIF segment (big-endian TIFF, one IFD entry: Orientation) right after SOI. */
function withOrientation(jpeg: Uint8Array, orientation: number): Uint8Array {
  const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
  const body = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const len = body.length + 2;
  const seg = [0xff, 0xe1, len >> 8, len & 0xff, ...body];
  const out = new Uint8Array(jpeg.length + seg.length);
  out.set(jpeg.subarray(0, 2));
  out.set(seg, 2);
  out.set(jpeg.subarray(2), 2 + seg.length);
  return out;
}

describe('image header and decoding', () => {
  const img = syntheticImage(7, 200, 120);

  it('reads format and size of JPEG, PNG and WebP from the header', async () => {
    expect(readHeader(await toJpeg(img))).toEqual({ format: 'jpeg', width: 200, height: 120 });
    expect(readHeader(await toPng(img))).toEqual({ format: 'png', width: 200, height: 120 });
    expect(readHeader(await toWebp(img))).toEqual({ format: 'webp', width: 200, height: 120 });
  });

  it('decodes all three formats to RGBA close to the source pixels', async () => {
    for (const bytes of [await toJpeg(img, 95), await toPng(img), await toWebp(img, 95)]) {
      const out = await decodeImage(bytes);
      expect([out.width, out.height]).toEqual([200, 120]);
      let err = 0;
      for (let i = 0; i < out.data.length; i += 4) err += Math.abs(out.data[i] - img.data[i]);
      expect(err / (200 * 120)).toBeLessThan(8);
    }
  });

  it('honours EXIF orientation 6 (rotate 90 degrees clockwise)', async () => {
    const plain = await decodeImage(await toJpeg(img, 95));
    const rotated = await decodeImage(withOrientation(await toJpeg(img, 95), 6));
    expect([rotated.width, rotated.height]).toEqual([120, 200]);
    // Pixel (x, y) of the rotated image comes from (y, H-1-x) of the original.
    let err = 0, n = 0;
    for (let y = 0; y < 200; y += 9) for (let x = 0; x < 120; x += 9) {
      const r = rotated.data[(y * 120 + x) * 4], p = plain.data[((119 - x) * 200 + y) * 4];
      err += Math.abs(r - p); n++;
    }
    expect(err / n).toBeLessThan(6);
  });

  it('refuses a decompression bomb from the header, before decoding', () => {
    const png = new Uint8Array(64);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    new DataView(png.buffer).setUint32(16, 100000);
    new DataView(png.buffer).setUint32(20, 100000);
    expect(() => checkLimits(png)).toThrow(/pixels/);
  });

  it('maps empty, foreign and cut-off bytes to typed input errors', async () => {
    const jpg = await toJpeg(img);
    const codeOf = async (b: Uint8Array) => decodeImage(b).then(() => 'decoded', (e: ImageInputError) => e.code);
    expect(await codeOf(new Uint8Array(0))).toBe('empty');
    expect(await codeOf(new TextEncoder().encode('<html>'))).toBe('unsupported_type');
    expect(await codeOf(jpg.slice(0, 20))).toBe('truncated');
    expect(await codeOf(jpg.slice(0, jpg.length >> 1))).toBe('truncated');
    expect(await codeOf(jpg)).toBe('decoded');
  });
});
