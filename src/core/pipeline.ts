/**
 * Bytes in, fingerprint out: the one image-preparation path that the Worker, the origin and the
 * CLI all call, so a reference indexed by the CLI matches a query fingerprinted at the edge.
 */
import { decodeImage, DEFAULT_LIMITS, type DecodeLimits } from './image/decode.ts';
import { extractFingerprint } from './signals/fingerprint.ts';
import type { PdqValue } from './signals/pdq.ts';
import { pdqToHex } from './signals/pdq.ts';
import type { Fingerprint, Signal } from './signals/signal.ts';

export interface FingerprintResult {
  fingerprint: Fingerprint;
  width: number;
  height: number;
}

export async function fingerprintBytes(
  signals: Signal[],
  bytes: Uint8Array,
  limits: DecodeLimits = DEFAULT_LIMITS,
): Promise<FingerprintResult> {
  const img = await decodeImage(bytes, limits);
  const fingerprint = await extractFingerprint(signals, img);
  return { fingerprint, width: img.width, height: img.height };
}

/** The interoperable part of a fingerprint (PDQ hex and quality), for API responses and the CLI. */
export function describePdq(fp: Fingerprint): { pdq?: string; pdqQuality?: number } {
  const v = fp.pdq as PdqValue | undefined;
  return v ? { pdq: pdqToHex(v.hashes[0]), pdqQuality: v.quality } : {};
}
