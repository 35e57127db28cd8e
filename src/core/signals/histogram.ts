/**
 * Colour-histogram signals: the seed's 256-bin gray histogram and an HSV histogram. Both are
 * L1-normalised; the index vector is the element-wise square root, a unit vector whose dot product
 * is the Bhattacharyya coefficient, so a cosine vector index (ours or Vectorize) ranks exactly as
 * the histogram similarity does. Histograms ignore geometry, which is what makes them survive flips,
 * rotations and moderate crops that defeat the perceptual hash.
 */
import type { RGBAImage } from '../image/types.ts';
import type { Signal } from './signal.ts';

/** Pixels sampled at most; a stride keeps extraction cheap on large images without biasing bins. */
const MAX_SAMPLES = 262_144;

function strideFor(img: RGBAImage): number {
  return Math.max(1, Math.floor(Math.sqrt((img.width * img.height) / MAX_SAMPLES)));
}

export function grayHistogram(img: RGBAImage): Float32Array {
  const h = new Float32Array(256);
  const s = strideFor(img);
  const d = img.data;
  for (let y = 0; y < img.height; y += s) {
    for (let x = 0; x < img.width; x += s) {
      const i = (y * img.width + x) * 4;
      h[Math.round(0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2])]++;
    }
  }
  return normalizeL1(h);
}

export const HSV_BINS = { h: 16, s: 4, v: 4 } as const;

/** Hue bins only where a colour is saturated and bright enough for hue to mean something. */
export function hsvHistogram(img: RGBAImage): Float32Array {
  const { h: nh, s: ns, v: nv } = HSV_BINS;
  const hist = new Float32Array(nh * ns * nv);
  const st = strideFor(img);
  const d = img.data;
  for (let y = 0; y < img.height; y += st) {
    for (let x = 0; x < img.width; x += st) {
      const i = (y * img.width + x) * 4;
      const r = d[i], g = d[i + 1], b = d[i + 2];
      const max = Math.max(r, g, b), min = Math.min(r, g, b);
      const v = max / 255;
      const s = max === 0 ? 0 : (max - min) / max;
      let hue = 0;
      if (max !== min) {
        const c = max - min;
        if (max === r) hue = ((g - b) / c + 6) % 6;
        else if (max === g) hue = (b - r) / c + 2;
        else hue = (r - g) / c + 4;
        hue /= 6;
      }
      const hb = s < 0.1 || v < 0.1 ? 0 : Math.min(nh - 1, Math.floor(hue * nh));
      const sb = Math.min(ns - 1, Math.floor(s * ns));
      const vb = Math.min(nv - 1, Math.floor(v * nv));
      hist[(hb * ns + sb) * nv + vb]++;
    }
  }
  return normalizeL1(hist);
}

function normalizeL1(h: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < h.length; i++) sum += h[i];
  if (sum > 0) for (let i = 0; i < h.length; i++) h[i] /= sum;
  return h;
}

export function bhattacharyya(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.sqrt(a[i] * b[i]);
  return Math.min(1, s);
}

export function float32ToBytes(v: Float32Array): Uint8Array {
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i], true);
  return out;
}

export function float32FromBytes(b: Uint8Array): Float32Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(b.byteLength >> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

function histogramSignal(name: string, dims: number, fn: (img: RGBAImage) => Float32Array): Signal<Float32Array> {
  return {
    name,
    version: 1,
    index: { dimensions: dims, metric: 'cosine' },
    extract: fn,
    serialize: float32ToBytes,
    deserialize: float32FromBytes,
    similarity: bhattacharyya,
    toVector: (h) => h.map(Math.sqrt),
  };
}

export const grayHistogramSignal = histogramSignal('hist_gray', 256, grayHistogram);
export const hsvHistogramSignal = histogramSignal('hist_hsv', HSV_BINS.h * HSV_BINS.s * HSV_BINS.v, hsvHistogram);
