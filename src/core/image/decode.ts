/**
 * Image decoding through @jsquash's WASM codecs (mozjpeg, libwebp, the Rust png crate): the same
 * decoders in workerd, Node and the browser. The runtime adapter must call the codecs' init() with a
 * WebAssembly.Module first (Workers forbid compiling WASM from bytes), see src/functions/*\/codecs.ts.
 * The pixel budget is checked from the header before any decoder runs; EXIF orientation of JPEGs is
 * applied by @jsquash's JPEG decoder (its `preserveOrientation: true` keeps the photo upright as
 * viewers show it; the default would return the sensor's raw pixel order).
 */
import decodeJpeg from '@jsquash/jpeg/decode.js';
import decodePng from '@jsquash/png/decode.js';
import decodeWebp from '@jsquash/webp/decode.js';
import { assertComplete, readHeader, type ImageHeader } from './header.ts';
import { ImageInputError, type RGBAImage } from './types.ts';

export interface DecodeLimits {
  /** Largest accepted width*height, checked from the header. */
  maxPixels: number;
  /** Largest accepted encoded size. */
  maxBytes: number;
}

export const DEFAULT_LIMITS: DecodeLimits = { maxPixels: 40_000_000, maxBytes: 20 * 1024 * 1024 };

export function checkLimits(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): ImageHeader {
  if (bytes.length > limits.maxBytes) {
    throw new ImageInputError('too_large', `image is ${bytes.length} bytes; the limit is ${limits.maxBytes}`);
  }
  const header = readHeader(bytes);
  const pixels = header.width * header.height;
  if (pixels > limits.maxPixels) {
    throw new ImageInputError(
      'too_many_pixels',
      `image is ${header.width}x${header.height} (${pixels} pixels); the limit is ${limits.maxPixels}`,
    );
  }
  assertComplete(bytes, header.format);
  return header;
}

export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): Promise<RGBAImage> {
  const header = checkLimits(bytes, limits);
  // The codecs take an ArrayBuffer; copy so a view into a larger buffer never leaks extra bytes.
  const buf = bytes.slice().buffer as ArrayBuffer;
  let out: { width: number; height: number; data: Uint8ClampedArray } | null;
  try {
    if (header.format === 'jpeg') out = await decodeJpeg(buf, { preserveOrientation: true });
    else if (header.format === 'png') out = await decodePng(buf);
    else out = await decodeWebp(buf);
  } catch (err) {
    throw new ImageInputError('corrupt', `the ${header.format} data could not be decoded: ${messageOf(err)}`);
  }
  if (!out || !out.width || !out.height || out.data.length < out.width * out.height * 4) {
    throw new ImageInputError('corrupt', `the ${header.format} data could not be decoded`);
  }
  return { width: out.width, height: out.height, data: out.data };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
