/**
 * Reads format and pixel dimensions from the first bytes of an image, so a decompression bomb is
 * refused before any decoder allocates width*height*4 bytes. Hand-written because it must run on the
 * raw bytes in every runtime; each parser reads only the few header fields it needs.
 */
import { ImageInputError, type ImageFormat } from './types.ts';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

export function sniffFormat(b: Uint8Array): ImageFormat | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  return null;
}

export function readHeader(b: Uint8Array): ImageHeader {
  if (b.length === 0) throw new ImageInputError('empty', 'the image body is empty');
  const format = sniffFormat(b);
  if (!format) {
    throw new ImageInputError('unsupported_type', 'not a JPEG, PNG or WebP image (unrecognised signature)');
  }
  const dims = format === 'jpeg' ? jpegSize(b) : format === 'png' ? pngSize(b) : webpSize(b);
  if (!dims || dims.width <= 0 || dims.height <= 0) {
    throw new ImageInputError('truncated', `the ${format} header is truncated or has no valid dimensions`);
  }
  return { format, ...dims };
}

export function assertComplete(b: Uint8Array, format: ImageFormat): void {
  if (!isComplete(b, format)) {
    throw new ImageInputError('truncated', `the ${format} data ends early (no end marker): the upload was cut off`);
  }
}

/**
 * Decoders happily return a half-grey picture from a cut-off file; fingerprinting that would index
 * garbage, so a missing end marker is refused. JPEG: an EOI after the first start-of-scan (an EXIF
 * thumbnail's EOI comes before it). PNG: an IEND chunk. WebP: as many bytes as the RIFF size says.
 */
function isComplete(b: Uint8Array, format: ImageFormat): boolean {
  if (format === 'png') return ascii(b, b.length - 8, 4) === 'IEND' || lastIndexOf(b, [0x49, 0x45, 0x4e, 0x44]) > 0;
  if (format === 'webp') return b.length >= 8 + (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24));
  const sos = indexOf(b, [0xff, 0xda]);
  return sos > 0 && lastIndexOf(b, [0xff, 0xd9]) > sos;
}

function indexOf(b: Uint8Array, pat: number[]): number {
  outer: for (let i = 0; i + pat.length <= b.length; i++) {
    for (let k = 0; k < pat.length; k++) if (b[i + k] !== pat[k]) continue outer;
    return i;
  }
  return -1;
}

function lastIndexOf(b: Uint8Array, pat: number[]): number {
  outer: for (let i = b.length - pat.length; i >= 0; i--) {
    for (let k = 0; k < pat.length; k++) if (b[i + k] !== pat[k]) continue outer;
    return i;
  }
  return -1;
}

function ascii(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n && at + i < b.length; i++) s += String.fromCharCode(b[at + i]);
  return s;
}

const be16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const le16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const be32 = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];

/** Walks JPEG markers to the first start-of-frame. */
function jpegSize(b: Uint8Array): { width: number; height: number } | null {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    const len = be16(b, i + 2);
    if (len < 2) return null;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (i + 9 > b.length) return null;
      return { height: be16(b, i + 5), width: be16(b, i + 7) };
    }
    i += 2 + len;
  }
  return null;
}

function pngSize(b: Uint8Array): { width: number; height: number } | null {
  if (b.length < 24 || ascii(b, 12, 4) !== 'IHDR') return null;
  return { width: be32(b, 16), height: be32(b, 20) };
}

function webpSize(b: Uint8Array): { width: number; height: number } | null {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ' && b.length >= 30) {
    return { width: le16(b, 26) & 0x3fff, height: le16(b, 28) & 0x3fff };
  }
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && b.length >= 30) {
    const w = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
    const h = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
    return { width: w, height: h };
  }
  return null;
}
