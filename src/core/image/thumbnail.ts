/**
 * The review console's picture of a reference: longest side at most `maxSide`, area-averaged (no
 * aliasing on the big downscales photos need), never enlarged. Encoding is the runtime's job.
 */
import { resizeArea } from './resize.ts';
import type { RGBAImage } from './types.ts';

export const THUMBNAIL_MAX_SIDE = 320;

export function thumbnailSize(width: number, height: number, maxSide = THUMBNAIL_MAX_SIDE): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

export function makeThumbnail(img: RGBAImage, maxSide = THUMBNAIL_MAX_SIDE): RGBAImage {
  const { width, height } = thumbnailSize(img.width, img.height, maxSide);
  return width === img.width && height === img.height ? img : resizeArea(img, width, height);
}

/** An encoder with @jsquash's shape; each runtime initialises its own WASM and passes it in. */
export type JpegEncoder = (img: { width: number; height: number; data: Uint8ClampedArray; colorSpace: 'srgb' }, o: { quality: number }) => Promise<ArrayBuffer>;

export const THUMBNAIL_QUALITY = 80;

/** The thumbnail as JPEG bytes. */
export async function thumbnailJpeg(img: RGBAImage, encode: JpegEncoder): Promise<{ bytes: Uint8Array; width: number; height: number }> {
  const t = makeThumbnail(img);
  const data = new Uint8ClampedArray(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const bytes = new Uint8Array(await encode({ width: t.width, height: t.height, data, colorSpace: 'srgb' }, { quality: THUMBNAIL_QUALITY }));
  return { bytes, width: t.width, height: t.height };
}
