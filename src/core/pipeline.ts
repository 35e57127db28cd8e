/**
 * Bytes in, fingerprint out: the one image-preparation path that the Worker, the origin and the
 * CLI all call, so a reference indexed by the CLI matches a query fingerprinted at the edge.
 */
import { decodeImage, DEFAULT_LIMITS, type DecodeLimits } from './image/decode.ts';
import { mirrorHorizontal } from './image/resize.ts';
import type { RGBAImage } from './image/types.ts';
import { extractOrb, type LocalFeatures } from './local/orb.ts';
import type { QueryFeatures } from './verify/rerank.ts';
import { extractFingerprint } from './signals/fingerprint.ts';
import type { PdqValue } from './signals/pdq.ts';
import { pdqToHex } from './signals/pdq.ts';
import type { Fingerprint, Signal } from './signals/signal.ts';

export interface FingerprintResult {
  fingerprint: Fingerprint;
  width: number;
  height: number;
  /** ORB features for geometric verification (and of the mirrored image, for a query). */
  local?: QueryFeatures;
  /** The decoded image (for a thumbnail); callers that keep results should drop it. */
  image: RGBAImage;
}

/** 'ref': features to store for later checks; 'query': also those of the mirror image. */
export type LocalMode = 'none' | 'ref' | 'query';

export async function fingerprintBytes(
  signals: Signal[],
  bytes: Uint8Array,
  limits: DecodeLimits = DEFAULT_LIMITS,
  local: LocalMode = 'none',
): Promise<FingerprintResult> {
  const img = await decodeImage(bytes, limits);
  const fingerprint = await extractFingerprint(signals, img);
  const res: FingerprintResult = { fingerprint, width: img.width, height: img.height, image: img };
  if (local !== 'none') res.local = localFeaturesOf(img, local);
  return res;
}

/**
 * ORB features of an image, and for a query those of its mirror (mirrored copies defeat rBRIEF).
 * The mirror's are computed on first use: most queries verify directly and never need them.
 */
export function localFeaturesOf(img: RGBAImage, mode: 'ref' | 'query'): QueryFeatures {
  const q: QueryFeatures = { features: extractOrb(img) };
  if (mode === 'query') {
    let mirrored: LocalFeatures | undefined;
    Object.defineProperty(q, 'mirrored', { enumerable: true, get: () => (mirrored ??= extractOrb(mirrorHorizontal(img))) });
  }
  return q;
}

/** Decode + local features only: what the origin computes for a reference or a query. */
export async function localFeaturesFromBytes(
  bytes: Uint8Array,
  limits: DecodeLimits = DEFAULT_LIMITS,
  mode: 'ref' | 'query' = 'ref',
): Promise<QueryFeatures & { width: number; height: number }> {
  const img = await decodeImage(bytes, limits);
  return { ...localFeaturesOf(img, mode), width: img.width, height: img.height };
}

/** The interoperable part of a fingerprint (PDQ hex and quality), for API responses and the CLI. */
export function describePdq(fp: Fingerprint): { pdq?: string; pdqQuality?: number } {
  const v = fp.pdq as PdqValue | undefined;
  return v ? { pdq: pdqToHex(v.hashes[0]), pdqQuality: v.quality } : {};
}
