/**
 * Hamming distance between 256-bit descriptors, read as eight 32-bit words. JS has no popcount
 * instruction, so the SWAR bit count below is the fastest portable form (a byte lookup table costs
 * four loads per word).
 */

export const WORDS = 8;

/** The descriptors as 32-bit words; copies only when the bytes are not 4-aligned. */
export function asWords(descriptors: Uint8Array): Uint32Array {
  if (descriptors.length % 32 !== 0) throw new RangeError(`descriptor bytes ${descriptors.length} not a multiple of 32`);
  const bytes = descriptors.byteOffset % 4 === 0 ? descriptors : descriptors.slice();
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
}

export function popcount32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Distance between descriptor i of `a` and descriptor j of `b` (word views). */
export function hamming(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  const p = i * WORDS;
  const q = j * WORDS;
  return (
    popcount32(a[p] ^ b[q]) + popcount32(a[p + 1] ^ b[q + 1]) + popcount32(a[p + 2] ^ b[q + 2]) +
    popcount32(a[p + 3] ^ b[q + 3]) + popcount32(a[p + 4] ^ b[q + 4]) + popcount32(a[p + 5] ^ b[q + 5]) +
    popcount32(a[p + 6] ^ b[q + 6]) + popcount32(a[p + 7] ^ b[q + 7])
  );
}

/** Per-byte bit counts of v (each byte 0..8): the first SWAR steps, before the horizontal sum. */
function byteCounts(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (v + (v >>> 4)) & 0x0f0f0f0f;
}

/**
 * Distances from descriptor i of `a` to every descriptor of `b`, into `out`. The query's words
 * stay in locals across the scan, and the per-byte counts of four words are added before one
 * horizontal sum (a byte holds at most 4 x 8 = 32), which together make brute force several
 * times faster than calling hamming() per pair.
 */
export function distancesTo(a: Uint32Array, i: number, b: Uint32Array, out: Uint16Array): void {
  const p = i * WORDS;
  const q0 = a[p], q1 = a[p + 1], q2 = a[p + 2], q3 = a[p + 3];
  const q4 = a[p + 4], q5 = a[p + 5], q6 = a[p + 6], q7 = a[p + 7];
  const n = b.length >> 3;
  for (let j = 0, o = 0; j < n; j++, o += WORDS) {
    const lo = byteCounts(q0 ^ b[o]) + byteCounts(q1 ^ b[o + 1]) + byteCounts(q2 ^ b[o + 2]) + byteCounts(q3 ^ b[o + 3]);
    const hi = byteCounts(q4 ^ b[o + 4]) + byteCounts(q5 ^ b[o + 5]) + byteCounts(q6 ^ b[o + 6]) + byteCounts(q7 ^ b[o + 7]);
    out[j] = (Math.imul(lo, 0x01010101) >>> 24) + (Math.imul(hi, 0x01010101) >>> 24);
  }
}
