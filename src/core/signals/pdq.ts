/**
 * PDQ: Meta's 256-bit perceptual hash (ThreatExchange pdq/cpp), reimplemented in TypeScript.
 *
 * Pipeline, as in the reference hasher: RGB -> float luma (0.299/0.587/0.114), two passes of
 * Jarosz box filtering along rows then columns (window = ceil(dim / 128)), decimation to 64x64 at
 * the target centres, a 16x64 DCT matrix (rows 1..16, DC skipped) giving 16x16 coefficients, and
 * one bit per coefficient: value > median (Torben's median = the 128th smallest of 256).
 * Quality is the quantised gradient sum of the 64x64 buffer / 90, capped at 100.
 *
 * Like the reference's file hasher (pdqio.cpp), an image wider or taller than 512 px is first
 * resized to 512x512 (not aspect-preserving) with CImg's default nearest-neighbour sampling; pass
 * { downsample512: false } to hash the full-resolution luma as the reference library calls do.
 *
 * Arithmetic mirrors the reference's float32 steps (Math.fround), so with identical pixels the
 * output is bit-identical; in practice decoder differences (mozjpeg vs libjpeg) dominate.
 *
 * Bit layout: bit k = 16*i + j for DCT coefficient (i = vertical, j = horizontal frequency). The
 * reference prints sixteen 16-bit words from w[15] down to w[0], i.e. the hex string is the
 * 256-bit number with bit k as its k-th least significant bit. Our 32 bytes are that hex string
 * decoded big-endian: byte 31 - (k >> 3), bit k & 7.
 */
import type { RGBAImage } from '../image/types.ts';
import type { Signal } from './signal.ts';

export const PDQ_HASH_BYTES = 32;
export const PDQ_BITS = 256;
const MIN_HASHABLE_DIM = 5;
const DOWNSAMPLE_DIMS = 512;

/** Order of the 8 dihedral variants, as the reference's pdqDihedralHash256esFromFloatLuma. */
export const PDQ_DIHEDRAL_NAMES = [
  'original',
  'rotate90', // 90 degrees counter-clockwise: new(r, c) = old(c, W-1-r)
  'rotate180',
  'rotate270', // 90 degrees clockwise
  'flipX', // upside down (mirror about the horizontal axis)
  'flipY', // left-right mirror (about the vertical axis)
  'flipPlus1', // transpose (main diagonal)
  'flipMinus1', // anti-diagonal transpose
] as const;
export type PdqDihedralName = (typeof PDQ_DIHEDRAL_NAMES)[number];

export interface PdqOptions {
  /** Resize images larger than 512 px in either dimension to 512x512 first, as the reference CLI. Default true. */
  downsample512?: boolean;
}

export interface PdqHash {
  hash: Uint8Array;
  quality: number;
}

export interface PdqDihedral {
  /** 8 hashes in PDQ_DIHEDRAL_NAMES order. */
  hashes: Uint8Array[];
  quality: number;
}

const f32 = Math.fround;

// 16x64 DCT matrix, rows for frequencies 1..16, each entry rounded to float like the reference.
const DCT = (() => {
  const m = new Float32Array(16 * 64);
  const scale = f32(Math.sqrt(2 / 64));
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) m[i * 64 + j] = scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1));
  }
  return m;
})();
// Per-channel luma terms, fround(coefficient * value) for value 0..255, as the reference's float products.
const [LR, LG, LB] = [0.299, 0.587, 0.114].map((c) => Float32Array.from({ length: 256 }, (_, v) => f32(c) * v));

// Scratch buffers, reused across calls (JS is single-threaded; nothing here awaits). Planes over
// CACHE_LIMIT floats (only full-resolution hashing of big images) are dropped after each call.
const CACHE_LIMIT = 1 << 20;
let bufA = new Float32Array(0);
let bufB = new Float32Array(0);
let colSum = new Float32Array(0);
let xIndex = new Int32Array(0);
const buf64 = new Float32Array(64 * 64);
const buf16x64 = new Float32Array(16 * 64);
const coeffs = new Float32Array(256);
const aux = new Float32Array(256);
const sortBuf = new Float32Array(256);

function ensure(n: number, w: number): void {
  if (bufA.length < n) {
    bufA = new Float32Array(n);
    bufB = new Float32Array(n);
  }
  if (colSum.length < w) {
    colSum = new Float32Array(w);
    xIndex = new Int32Array(w);
  }
}

/** Luma into bufA (rows x cols), after the optional nearest-neighbour 512x512 resize. */
function fillLuma(img: RGBAImage, rows: number, cols: number): void {
  const { width, height, data } = img;
  const out = bufA;
  const xs = xIndex;
  for (let x = 0; x < cols; x++) xs[x] = 4 * Math.floor((x * width) / cols);
  for (let y = 0; y < rows; y++) {
    const rowBase = 4 * width * Math.floor((y * height) / rows);
    const o = y * cols;
    for (let x = 0; x < cols; x++) {
      const p = rowBase + xs[x];
      out[o + x] = f32(LR[data[p]] + LG[data[p + 1]]) + LB[data[p + 2]];
    }
  }
}

function jaroszWindow(oldDim: number, newDim: number): number {
  return Math.floor((oldDim + 2 * newDim - 1) / (2 * newDim));
}

/**
 * One Jarosz box-filter pass: a running mean over `len` samples of each of `n` vectors. Vector v,
 * sample t lives at v * vStride + t * tStride. Rows: (n = rows, vStride = cols, tStride = 1);
 * columns: (n = cols, vStride = 1, tStride = cols). The vectors advance side by side, one running
 * sum each, so the float32 sums form independent chains (no serial add latency); each vector still
 * sees exactly the reference's box1DFloat operations: phase 1 accumulates half-1 samples, phase 2
 * writes with a growing window, phase 3 slides the full window, phase 4 drains it.
 */
function boxPass(
  src: Float32Array,
  dst: Float32Array,
  n: number,
  len: number,
  vStride: number,
  tStride: number,
  win: number,
): void {
  const half = (win + 2) >> 1;
  const sums = colSum;
  sums.fill(0, 0, n);
  // Strided vectors (the row pass) go 8 at a time, so the lines they touch stay in L1 even when the
  // stride is a power of two; contiguous ones (the column pass) all at once.
  const block = vStride === 1 ? n : 8;
  for (let v0 = 0; v0 < n; v0 += block) {
    const v1 = Math.min(n, v0 + block);
    let count = 0;
    for (let ri = 0, li = 0, oi = 0; oi < len; ri++) {
      const adding = ri < len;
      const writing = ri >= half - 1 || !adding;
      const dropping = ri >= win || !adding;
      if (adding && !dropping) count++;
      if (!adding) count--;
      const a = ri * tStride;
      const l = li * tStride;
      const o = oi * tStride;
      // fround(s * (1 / count)) equals the float division s / count: a float32 divided by a small
      // integer never lands within the reciprocal's rounding error of a float32 rounding boundary.
      const inv = 1 / count;
      if (adding && dropping) {
        for (let v = v0, p = v0 * vStride; v < v1; v++, p += vStride) {
          const s = f32(f32(sums[v] + src[p + a]) - src[p + l]);
          sums[v] = s;
          dst[p + o] = s * inv;
        }
      } else if (adding) {
        for (let v = v0, p = v0 * vStride; v < v1; v++, p += vStride) {
          const s = f32(sums[v] + src[p + a]);
          sums[v] = s;
          if (writing) dst[p + o] = s * inv;
        }
      } else {
        for (let v = v0, p = v0 * vStride; v < v1; v++, p += vStride) {
          const s = f32(sums[v] - src[p + l]);
          sums[v] = s;
          dst[p + o] = s * inv;
        }
      }
      if (dropping) li++;
      if (writing) oi++;
    }
  }
}

/** Luma (in bufA) -> 64x64 buffer -> quality and 16x16 DCT coefficients (in `coeffs`). */
function lumaToCoeffs(rows: number, cols: number): number {
  if (rows === 64 && cols === 64) {
    buf64.set(bufA.subarray(0, 4096));
  } else {
    const wRows = jaroszWindow(cols, 64); // window along rows (horizontal)
    const wCols = jaroszWindow(rows, 64);
    for (let pass = 0; pass < 2; pass++) {
      boxPass(bufA, bufB, rows, cols, cols, 1, wRows);
      boxPass(bufB, bufA, cols, rows, 1, cols, wCols);
    }
    for (let oy = 0; oy < 64; oy++) {
      const iy = Math.trunc(((oy + 0.5) * rows) / 64);
      for (let ox = 0; ox < 64; ox++) {
        const ix = Math.trunc(((ox + 0.5) * cols) / 64);
        buf64[oy * 64 + ox] = bufA[iy * cols + ix];
      }
    }
  }
  const quality = qualityOf(buf64);
  // T = D A (16x64), then B = T D^T (16x16), float accumulation in the reference's order.
  for (let i = 0; i < 16; i++) {
    const d = i * 64;
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = f32(s + f32(DCT[d + k] * buf64[k * 64 + j]));
      buf16x64[d + j] = s;
    }
  }
  for (let i = 0; i < 16; i++) {
    const t = i * 64;
    for (let j = 0; j < 16; j++) {
      const d = j * 64;
      let s = 0;
      for (let k = 0; k < 64; k++) s = f32(s + f32(buf16x64[t + k] * DCT[d + k]));
      coeffs[i * 16 + j] = s;
    }
  }
  return quality;
}

function qualityOf(b: Float32Array): number {
  // The reference: int d = ((u - v) * 100) / 255 in float, truncated; sum |d| over vertical and
  // horizontal neighbours; quality = sum / 90 capped at 100.
  const step = (u: number, v: number) => Math.abs(Math.trunc(f32(f32(f32(u - v) * 100) / 255)));
  let g = 0;
  for (let i = 0; i < 63; i++) for (let j = 0; j < 64; j++) g += step(b[i * 64 + j], b[(i + 1) * 64 + j]);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 63; j++) g += step(b[i * 64 + j], b[i * 64 + j + 1]);
  return Math.min(100, Math.trunc(g / 90));
}

/** Run the shared pipeline; returns quality, or -1 for images too small to hash. */
function computeCoeffs(img: RGBAImage, opts: PdqOptions): number {
  const { width, height } = img;
  if (img.data.length < width * height * 4) throw new RangeError('pdq: RGBA data shorter than width*height*4');
  if (width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM) return -1;
  const big = (opts.downsample512 ?? true) && (width > DOWNSAMPLE_DIMS || height > DOWNSAMPLE_DIMS);
  const rows = big ? DOWNSAMPLE_DIMS : height;
  const cols = big ? DOWNSAMPLE_DIMS : width;
  ensure(rows * cols, Math.max(rows, cols));
  fillLuma(img, rows, cols);
  const quality = lumaToCoeffs(rows, cols);
  if (bufA.length > CACHE_LIMIT) bufA = bufB = new Float32Array(0);
  return quality;
}

/** Threshold 16x16 coefficients at their (lower) median into a 32-byte hash. */
function bitsFrom(c: Float32Array): Uint8Array {
  sortBuf.set(c);
  sortBuf.sort();
  const median = sortBuf[127];
  const out = new Uint8Array(PDQ_HASH_BYTES);
  for (let k = 0; k < 256; k++) if (c[k] > median) out[31 - (k >> 3)] |= 1 << (k & 7);
  return out;
}

/** Write into `aux` the DCT coefficients of the image transformed by dihedral variant v (1..7). */
function dihedralCoeffs(a: Float32Array, v: number): Float32Array {
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      const x = a[i * 16 + j];
      switch (v) {
        case 1: aux[j * 16 + i] = j & 1 ? x : -x; break; // rotate90
        case 2: aux[i * 16 + j] = (i + j) & 1 ? -x : x; break; // rotate180
        case 3: aux[j * 16 + i] = i & 1 ? x : -x; break; // rotate270
        case 4: aux[i * 16 + j] = i & 1 ? x : -x; break; // flipX
        case 5: aux[i * 16 + j] = j & 1 ? x : -x; break; // flipY
        case 6: aux[j * 16 + i] = x; break; // flipPlus1
        default: aux[j * 16 + i] = (i + j) & 1 ? -x : x; // flipMinus1
      }
    }
  }
  return aux;
}

/** The PDQ hash and quality of an RGBA image. Images under 5 px on a side give a zero hash, quality 0. */
export function pdqHash(img: RGBAImage, opts: PdqOptions = {}): PdqHash {
  const quality = computeCoeffs(img, opts);
  if (quality < 0) return { hash: new Uint8Array(PDQ_HASH_BYTES), quality: 0 };
  return { hash: bitsFrom(coeffs), quality };
}

/** The 8 dihedral hashes (PDQ_DIHEDRAL_NAMES order) from one pass, by sign flips/transposes of the DCT. */
export function pdqDihedral(img: RGBAImage, opts: PdqOptions = {}): PdqDihedral {
  const quality = computeCoeffs(img, opts);
  if (quality < 0) return { hashes: Array.from({ length: 8 }, () => new Uint8Array(PDQ_HASH_BYTES)), quality: 0 };
  const hashes = [bitsFrom(coeffs)];
  for (let v = 1; v < 8; v++) hashes.push(bitsFrom(dihedralCoeffs(coeffs, v)));
  return { hashes, quality };
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Hamming distance between two 32-byte hashes. */
export function hamming(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== PDQ_HASH_BYTES || b.length !== PDQ_HASH_BYTES) throw new RangeError('pdq: hashes must be 32 bytes');
  let d = 0;
  for (let i = 0; i < 32; i += 4) {
    d += popcount32(
      ((a[i] ^ b[i]) << 24) | ((a[i + 1] ^ b[i + 1]) << 16) | ((a[i + 2] ^ b[i + 2]) << 8) | (a[i + 3] ^ b[i + 3]),
    );
  }
  return d;
}

const HEX = '0123456789abcdef';

/** 64 lowercase hex chars, identical to the reference's Hash256::format(). */
export function pdqToHex(hash: Uint8Array): string {
  if (hash.length !== PDQ_HASH_BYTES) throw new RangeError('pdq: hashes must be 32 bytes');
  let s = '';
  for (let i = 0; i < 32; i++) s += HEX[hash[i] >> 4] + HEX[hash[i] & 15];
  return s;
}

export function pdqFromHex(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`pdq: malformed hash "${hex}"`);
  const out = new Uint8Array(PDQ_HASH_BYTES);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** ±1/16 per bit (unit length): cosine = 1 - hamming / 128. */
export function pdqToVector(hash: Uint8Array): Float32Array {
  const v = new Float32Array(PDQ_BITS);
  for (let i = 0; i < 256; i++) v[i] = (hash[i >> 3] >> (7 - (i & 7))) & 1 ? 1 / 16 : -1 / 16;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Signal

export interface PdqValue {
  /** The 8 dihedral hashes, PDQ_DIHEDRAL_NAMES order; hashes[0] is the image's own hash. */
  hashes: Uint8Array[];
  /** 0..100, the reference quality metric; low values (flat images) mean an unreliable hash. */
  quality: number;
}

const SERIAL_FORMAT = 1;
const SERIAL_BYTES = 2 + 8 * PDQ_HASH_BYTES;

export const pdqSignal: Signal<PdqValue> = {
  name: 'pdq',
  version: 1,
  index: { dimensions: PDQ_BITS, metric: 'cosine', binary: true },
  extract(image: RGBAImage): PdqValue {
    return pdqDihedral(image);
  },
  serialize(value: PdqValue): Uint8Array {
    if (value.hashes.length !== 8) throw new RangeError('pdq: a value holds 8 hashes');
    const out = new Uint8Array(SERIAL_BYTES);
    out[0] = SERIAL_FORMAT;
    out[1] = Math.max(0, Math.min(100, Math.round(value.quality)));
    value.hashes.forEach((h, i) => {
      if (h.length !== PDQ_HASH_BYTES) throw new RangeError('pdq: hashes must be 32 bytes');
      out.set(h, 2 + i * PDQ_HASH_BYTES);
    });
    return out;
  },
  deserialize(bytes: Uint8Array): PdqValue {
    if (bytes.length !== SERIAL_BYTES || bytes[0] !== SERIAL_FORMAT) {
      throw new Error(`pdq: expected ${SERIAL_BYTES} bytes in format ${SERIAL_FORMAT}`);
    }
    const hashes: Uint8Array[] = [];
    for (let i = 0; i < 8; i++) hashes.push(bytes.slice(2 + i * PDQ_HASH_BYTES, 2 + (i + 1) * PDQ_HASH_BYTES));
    return { hashes, quality: bytes[1] };
  },
  similarity(query: PdqValue, reference: PdqValue): number {
    const ref = reference.hashes[0];
    let best = PDQ_BITS;
    for (const h of query.hashes) best = Math.min(best, hamming(h, ref));
    return Math.max(0, Math.min(1, 1 - best / 128));
  },
  toVector(value: PdqValue): Float32Array {
    return pdqToVector(value.hashes[0]);
  },
  queryVectors(value: PdqValue): Float32Array[] {
    return value.hashes.map(pdqToVector);
  },
};
