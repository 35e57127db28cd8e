/**
 * Resampling for the model inputs. One separable kernel does both directions: where an axis
 * shrinks, each output pixel is the exact area average of the source pixels it covers (box filter
 * with fractional edge weights, no aliasing when a 4000 px photo becomes 32 px); where it grows,
 * it is bilinear on pixel centres. The source window may be fractional, so a centre crop and a
 * resize happen in one pass without rounding the crop box to whole pixels.
 */
import type { RGBAImage } from './types.ts';

/** A rectangle in source pixel units; fractional values are allowed. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Taps for one output index along one axis: source indices start..start+weights.length-1. */
interface AxisTaps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  /** Offset of each output index's weights in `weights`. */
  offset: Int32Array;
}

/** Weights mapping source window [from, from+span) of an axis of length srcLen onto dstLen samples. */
function axisTaps(srcLen: number, from: number, span: number, dstLen: number): AxisTaps {
  const scale = span / dstLen; // source pixels per output pixel
  const start = new Int32Array(dstLen);
  const count = new Int32Array(dstLen);
  const offset = new Int32Array(dstLen);
  const lists: number[][] = [];
  let total = 0;
  for (let i = 0; i < dstLen; i++) {
    const taps: number[] = [];
    let s: number;
    if (scale > 1) {
      // Area average over [a, b).
      const a = from + i * scale;
      const b = a + scale;
      s = Math.floor(a);
      const e = Math.ceil(b);
      for (let j = s; j < e; j++) taps.push(Math.min(b, j + 1) - Math.max(a, j));
    } else {
      // Bilinear on pixel centres.
      const c = from + (i + 0.5) * scale - 0.5;
      s = Math.floor(c);
      const t = c - s;
      taps.push(1 - t, t);
    }
    // Clamp taps that fall outside the image onto the edge pixels.
    const clamped = new Map<number, number>();
    for (let k = 0; k < taps.length; k++) {
      const j = Math.min(srcLen - 1, Math.max(0, s + k));
      clamped.set(j, (clamped.get(j) ?? 0) + taps[k]!);
    }
    const idx = [...clamped.keys()].sort((p, q) => p - q);
    const first = idx[0]!;
    const last = idx[idx.length - 1]!;
    const dense = new Array<number>(last - first + 1).fill(0);
    let sum = 0;
    for (const j of idx) {
      dense[j - first] = clamped.get(j)!;
      sum += clamped.get(j)!;
    }
    start[i] = first;
    count[i] = dense.length;
    offset[i] = total;
    lists.push(dense.map((w) => (sum > 0 ? w / sum : 1 / dense.length)));
    total += dense.length;
  }
  const weights = new Float32Array(total);
  for (let i = 0; i < dstLen; i++) weights.set(lists[i]!, offset[i]!);
  return { start, count, weights, offset };
}

/**
 * Resample `region` of `img` to dstW x dstH; returns interleaved RGBA floats in [0, 255] (not
 * rounded, so the model input carries no extra quantisation).
 */
export function resampleRegion(img: RGBAImage, region: Region, dstW: number, dstH: number): Float32Array {
  checkImage(img);
  if (!(dstW >= 1 && dstH >= 1) || !Number.isInteger(dstW) || !Number.isInteger(dstH)) {
    throw new RangeError(`target size must be positive integers, got ${dstW}x${dstH}`);
  }
  if (!(region.width > 0 && region.height > 0)) {
    throw new RangeError(`region must have a positive size, got ${region.width}x${region.height}`);
  }
  const { width: W, data } = img;
  const tx = axisTaps(W, region.x, region.width, dstW);
  const ty = axisTaps(img.height, region.y, region.height, dstH);
  // Rows of the source the vertical taps touch.
  const rowFirst = ty.start[0]!;
  const rowLast = ty.start[dstH - 1]! + ty.count[dstH - 1]! - 1;
  const rows = rowLast - rowFirst + 1;
  // Horizontal pass over just those rows: tmp[(r - rowFirst) * dstW + x] (RGBA).
  const tmp = new Float32Array(rows * dstW * 4);
  for (let r = 0; r < rows; r++) {
    const srcRow = (rowFirst + r) * W * 4;
    const dstRow = r * dstW * 4;
    for (let x = 0; x < dstW; x++) {
      const s = tx.start[x]!;
      const n = tx.count[x]!;
      const o = tx.offset[x]!;
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      for (let k = 0; k < n; k++) {
        const w = tx.weights[o + k]!;
        const p = srcRow + (s + k) * 4;
        c0 += data[p]! * w;
        c1 += data[p + 1]! * w;
        c2 += data[p + 2]! * w;
        c3 += data[p + 3]! * w;
      }
      const q = dstRow + x * 4;
      tmp[q] = c0;
      tmp[q + 1] = c1;
      tmp[q + 2] = c2;
      tmp[q + 3] = c3;
    }
  }
  // Vertical pass.
  const out = new Float32Array(dstW * dstH * 4);
  const rowLen = dstW * 4;
  for (let y = 0; y < dstH; y++) {
    const s = ty.start[y]! - rowFirst;
    const n = ty.count[y]!;
    const o = ty.offset[y]!;
    const dst = y * rowLen;
    for (let k = 0; k < n; k++) {
      const w = ty.weights[o + k]!;
      const src = (s + k) * rowLen;
      for (let i = 0; i < rowLen; i++) out[dst + i] += tmp[src + i]! * w;
    }
  }
  return out;
}

/** Area-average resize (bilinear where an axis grows) to width x height. */
export function resizeArea(img: RGBAImage, width: number, height: number): RGBAImage {
  const f = resampleRegion(img, { x: 0, y: 0, width: img.width, height: img.height }, width, height);
  const data = new Uint8ClampedArray(f.length);
  for (let i = 0; i < f.length; i++) data[i] = Math.round(f[i]!);
  return { width, height, data };
}

/** The centred box covering `fraction` of each side (fractional coordinates). */
export function centerRegion(img: { width: number; height: number }, fraction: number): Region {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`crop fraction must be in (0, 1], got ${fraction}`);
  const width = img.width * fraction;
  const height = img.height * fraction;
  return { x: (img.width - width) / 2, y: (img.height - height) / 2, width, height };
}

/** Copy of the centred box covering `fraction` of each side, rounded to whole pixels (at least 1). */
export function cropCenter(img: RGBAImage, fraction: number): RGBAImage {
  checkImage(img);
  const r = centerRegion(img, fraction);
  const w = Math.max(1, Math.round(r.width));
  const h = Math.max(1, Math.round(r.height));
  const x0 = Math.floor((img.width - w) / 2);
  const y0 = Math.floor((img.height - h) / 2);
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    const s = ((y0 + y) * img.width + x0) * 4;
    data.set(img.data.subarray(s, s + w * 4), y * w * 4);
  }
  return { width: w, height: h, data };
}

function checkImage(img: RGBAImage): void {
  if (!(img.width >= 1 && img.height >= 1) || img.data.length < img.width * img.height * 4) {
    throw new RangeError(`not an RGBA image: ${img.width}x${img.height} with ${img.data.length} bytes`);
  }
}

/** The horizontally mirrored image (a flipped copy is a common edit that local descriptors miss). */
export function mirrorHorizontal(img: RGBAImage): RGBAImage {
  const { width: w, height: h } = img;
  const src = new Uint32Array(img.data.buffer, img.data.byteOffset, w * h);
  const out = new Uint8ClampedArray(w * h * 4);
  const dst = new Uint32Array(out.buffer);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) dst[y * w + x] = src[y * w + (w - 1 - x)];
  return { width: w, height: h, data: out };
}
