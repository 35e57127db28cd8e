/**
 * FAST-9 corner detection with 3x3 non-maximum suppression, and the Harris response ORB ranks the
 * survivors by. Hand-written because Workers cannot run OpenCV's native FAST; the segment test is
 * done with 16-bit masks so a candidate costs a few integer operations after the 4-pixel pre-test.
 */
import type { Plane } from '../image/types.ts';

/** Bresenham circle of radius 3, clockwise from 12 o'clock. */
const CIRCLE_X = [0, 1, 2, 3, 3, 3, 2, 1, 0, -1, -2, -3, -3, -3, -2, -1];
const CIRCLE_Y = [-3, -3, -2, -1, 0, 1, 2, 3, 3, 3, 2, 1, 0, -1, -2, -3];

export interface Corners {
  count: number;
  x: Int32Array;
  y: Int32Array;
  /** FAST score: summed excess contrast of the arc (Rosten & Drummond's V). */
  score: Float32Array;
}

/** True when the 16-bit mask holds 9 contiguous set bits, wrapping around. */
function hasArc9(mask: number): boolean {
  let m = mask | (mask << 16);
  // Bit i survives iff bits i..i+8 were all set: the shifts grow runs of 2, 4, 8, then 9.
  m &= m >>> 1;
  m &= m >>> 2;
  m &= m >>> 4;
  m &= m >>> 1;
  return (m & 0xffff) !== 0;
}

/**
 * Corners at least `border` pixels from every edge whose circle holds 9 contiguous pixels all
 * brighter than centre + t or all darker than centre - t; kept only where the score is a strict
 * 3x3 maximum (ties broken by raster order, so the output is deterministic).
 */
export function detectFast(plane: Plane, threshold: number, border: number): Corners {
  const { width: W, height: H, data } = plane;
  const b = Math.max(3, border);
  const offs = new Int32Array(16);
  for (let i = 0; i < 16; i++) offs[i] = CIRCLE_Y[i] * W + CIRCLE_X[i];
  const o0 = offs[0], o4 = offs[4], o8 = offs[8], o12 = offs[12];
  const scores = new Float32Array(W * H);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = b; y < H - b; y++) {
    for (let x = b; x < W - b; x++) {
      const p = y * W + x;
      const c = data[p];
      const hi = c + threshold;
      const lo = c - threshold;
      // Any arc of 9 contains pixel 0 or pixel 8 (each gap between them is 7 long), and at least
      // two of the four compass pixels: these reject flat pixels after two or four reads.
      const v0 = data[p + o0], v8 = data[p + o8];
      if (v0 <= hi && v0 >= lo && v8 <= hi && v8 >= lo) continue;
      const v4 = data[p + o4], v12 = data[p + o12];
      const nb = +(v0 > hi) + +(v4 > hi) + +(v8 > hi) + +(v12 > hi);
      const nd = +(v0 < lo) + +(v4 < lo) + +(v8 < lo) + +(v12 < lo);
      if (nb < 2 && nd < 2) continue;
      let bright = 0;
      let dark = 0;
      for (let i = 0; i < 16; i++) {
        const v = data[p + offs[i]];
        bright |= +(v > hi) << i;
        dark |= +(v < lo) << i;
      }
      const isB = nb >= 2 && hasArc9(bright);
      const isD = nd >= 2 && hasArc9(dark);
      if (!isB && !isD) continue;
      // Score only the few real corners.
      let sb = 0;
      let sd = 0;
      for (let i = 0; i < 16; i++) {
        const v = data[p + offs[i]];
        if (v > hi) sb += v - hi;
        else if (v < lo) sd += lo - v;
      }
      scores[p] = Math.max(isB ? sb : 0, isD ? sd : 0) + 1e-3;
      xs.push(x);
      ys.push(y);
    }
  }
  const keepX: number[] = [];
  const keepY: number[] = [];
  const keepS: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const p = ys[i] * W + xs[i];
    const s = scores[p];
    // Strictly greater than earlier neighbours, at least as great as later ones.
    if (
      s <= scores[p - W - 1] || s <= scores[p - W] || s <= scores[p - W + 1] || s <= scores[p - 1] ||
      s < scores[p + 1] || s < scores[p + W - 1] || s < scores[p + W] || s < scores[p + W + 1]
    ) continue;
    keepX.push(xs[i]);
    keepY.push(ys[i]);
    keepS.push(s);
  }
  return { count: keepX.length, x: Int32Array.from(keepX), y: Int32Array.from(keepY), score: Float32Array.from(keepS) };
}

/**
 * Harris corner measure det(M) - k tr(M)^2 over a `block` x `block` window of Sobel gradients,
 * computed only at the given points (a full response map would cost far more than the few
 * thousand FAST survivors). Points need block/2 + 1 pixels of margin.
 */
export function harrisAt(plane: Plane, xs: Int32Array, ys: Int32Array, count: number, block = 7, k = 0.04): Float32Array {
  const { width: W, data } = plane;
  const r = block >> 1;
  // Normalise so the response does not depend on block size and Sobel gain (4 * 2 * 255).
  const norm = 1 / (block * block * 8 * 255);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let a = 0;
    let bb = 0;
    let c = 0;
    for (let dy = -r; dy <= r; dy++) {
      let p = (ys[i] + dy) * W + xs[i] - r;
      for (let dx = -r; dx <= r; dx++, p++) {
        const gx =
          (data[p - W + 1] + 2 * data[p + 1] + data[p + W + 1] - data[p - W - 1] - 2 * data[p - 1] - data[p + W - 1]) * norm;
        const gy =
          (data[p + W - 1] + 2 * data[p + W] + data[p + W + 1] - data[p - W - 1] - 2 * data[p - W] - data[p - W + 1]) * norm;
        a += gx * gx;
        bb += gy * gy;
        c += gx * gy;
      }
    }
    out[i] = a * bb - c * c - k * (a + bb) * (a + bb);
  }
  return out;
}
