/**
 * Gray planes for local features: luma conversion, an anti-aliased area resize on one channel and
 * the scale pyramid ORB detects on. Hand-written because Workers cannot load OpenCV's native
 * cv::resize / cv::buildPyramid; the RGBA resizer in image/resize.ts would do four times the work
 * for a single channel.
 */
import type { Plane, RGBAImage } from '../image/types.ts';

/** Rec. 601 luma in [0, 255]; alpha is ignored (decoded photos are opaque). */
export function toGray(img: RGBAImage): Plane {
  const { width, height, data } = img;
  if (!(width >= 1 && height >= 1) || data.length < width * height * 4) {
    throw new RangeError(`not an RGBA image: ${width}x${height} with ${data.length} bytes`);
  }
  const out = new Float32Array(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += 4) {
    out[i] = 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2];
  }
  return { width, height, data: out };
}

/**
 * Per-axis taps of an area (box) resample: each output sample averages the source interval it
 * covers with fractional edge weights, so shrinking by any non-integer factor does not alias.
 * Growing falls back to the same formula, which degenerates to nearest-neighbour-ish blocks; the
 * pyramid only shrinks.
 */
function areaTaps(srcLen: number, dstLen: number): { start: Int32Array; count: Int32Array; w: Float32Array; stride: number } {
  const scale = srcLen / dstLen;
  const stride = Math.ceil(scale) + 1;
  const start = new Int32Array(dstLen);
  const count = new Int32Array(dstLen);
  const w = new Float32Array(dstLen * stride);
  for (let i = 0; i < dstLen; i++) {
    const a = i * scale;
    const b = Math.min(srcLen, a + scale);
    const s = Math.floor(a);
    const e = Math.min(srcLen, Math.ceil(b));
    start[i] = s;
    count[i] = e - s;
    let sum = 0;
    for (let j = s; j < e; j++) sum += Math.min(b, j + 1) - Math.max(a, j);
    for (let j = s; j < e; j++) w[i * stride + (j - s)] = (Math.min(b, j + 1) - Math.max(a, j)) / sum;
  }
  return { start, count, w, stride };
}

/** Area resize of a plane to dstW x dstH (dst no larger than src on either axis). */
export function resizePlane(src: Plane, dstW: number, dstH: number): Plane {
  const { width: W, data } = src;
  if (dstW === W && dstH === src.height) return { width: W, height: dstH, data: data.slice() };
  return resizeRows(W, src.height, dstW, dstH, (y) => data.subarray(y * W, (y + 1) * W));
}

/**
 * Luma of `img` area-resized so its longest side is at most `maxSide` (never enlarged). The
 * conversion is fused into the resize row by row, so a 12 MP upload never materialises a
 * full-resolution float plane (48 MB) inside a 128 MB Worker.
 */
export function grayWithin(img: RGBAImage, maxSide: number): Plane {
  const { width: W, height: H, data } = img;
  if (!(W >= 1 && H >= 1) || data.length < W * H * 4) {
    throw new RangeError(`not an RGBA image: ${W}x${H} with ${data.length} bytes`);
  }
  const f = Math.min(1, maxSide / Math.max(W, H));
  const dstW = Math.max(1, Math.round(W * f));
  const dstH = Math.max(1, Math.round(H * f));
  if (dstW === W && dstH === H) return toGray(img);
  const row = new Float32Array(W);
  return resizeRows(W, H, dstW, dstH, (y) => {
    for (let x = 0, p = y * W * 4; x < W; x++, p += 4) row[x] = 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2];
    return row;
  });
}

/** Separable area resize; `rowAt(y)` yields source row y (it may reuse one buffer). */
function resizeRows(W: number, H: number, dstW: number, dstH: number, rowAt: (y: number) => Float32Array): Plane {
  const tx = areaTaps(W, dstW);
  const ty = areaTaps(H, dstH);
  const tmp = new Float32Array(dstW * H);
  for (let y = 0; y < H; y++) {
    const row = rowAt(y);
    for (let x = 0; x < dstW; x++) {
      const s = tx.start[x];
      const o = x * tx.stride;
      let acc = 0;
      for (let k = 0, n = tx.count[x]; k < n; k++) acc += row[s + k] * tx.w[o + k];
      tmp[y * dstW + x] = acc;
    }
  }
  const out = new Float32Array(dstW * dstH);
  for (let y = 0; y < dstH; y++) {
    const o = y * ty.stride;
    const dst = y * dstW;
    for (let k = 0, n = ty.count[y]; k < n; k++) {
      const wk = ty.w[o + k];
      const src = (ty.start[y] + k) * dstW;
      for (let x = 0; x < dstW; x++) out[dst + x] += tmp[src + x] * wk;
    }
  }
  return { width: dstW, height: dstH, data: out };
}

/**
 * Separable Gaussian blur with edge clamping. BRIEF compares single pixels, so it needs this
 * smoothing to be stable under noise and JPEG re-encoding (ORB uses sigma 2 on a 7-tap kernel,
 * which gets an unrolled fast path; other kernels take the plain loops).
 */
export function gaussianBlur(src: Plane, sigma: number, radius = Math.ceil(1.5 * sigma)): Plane {
  const { width: W, height: H, data } = src;
  const n = 2 * radius + 1;
  const k = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += k[i] = Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma));
  for (let i = 0; i < n; i++) k[i] /= sum;
  const tmp = new Float32Array(W * H);
  const out = new Float32Array(W * H);
  if (radius === 3 && W > 6 && H > 6) {
    blur7Rows(data, tmp, W, H, k);
    // Vertically, whole rows at a time: walking columns would miss the cache on every sample.
    const k0 = k[3], k1 = k[4], k2 = k[5], k3 = k[6];
    for (let y = 0; y < H; y++) {
      const m3 = Math.max(0, y - 3) * W, m2 = Math.max(0, y - 2) * W, m1 = Math.max(0, y - 1) * W, c = y * W;
      const p1 = Math.min(H - 1, y + 1) * W, p2 = Math.min(H - 1, y + 2) * W, p3 = Math.min(H - 1, y + 3) * W;
      for (let x = 0; x < W; x++) {
        out[c + x] = k0 * tmp[c + x] + k1 * (tmp[m1 + x] + tmp[p1 + x]) + k2 * (tmp[m2 + x] + tmp[p2 + x]) + k3 * (tmp[m3 + x] + tmp[p3 + x]);
      }
    }
    return { width: W, height: H, data: out };
  }
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += data[row + Math.min(W - 1, Math.max(0, x + i - radius))] * k[i];
      tmp[row + x] = acc;
    }
  }
  for (let y = 0; y < H; y++) {
    const dst = y * W;
    for (let x = 0; x < W; x++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += tmp[Math.min(H - 1, Math.max(0, y + i - radius)) * W + x] * k[i];
      out[dst + x] = acc;
    }
  }
  return { width: W, height: H, data: out };
}

/**
 * Horizontal pass of a symmetric 7-tap kernel, unrolled with the taps folded in pairs (4
 * multiplies instead of 7): the blur is the hottest loop of ORB extraction.
 */
function blur7Rows(src: Float32Array, dst: Float32Array, W: number, H: number, k: Float32Array): void {
  const k0 = k[3], k1 = k[4], k2 = k[5], k3 = k[6];
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let i = 0; i < 3; i++) dst[row + i] = edge7(src, row, W, i, k0, k1, k2, k3);
    for (let p = row + 3, end = row + W - 3; p < end; p++) {
      dst[p] = k0 * src[p] + k1 * (src[p - 1] + src[p + 1]) + k2 * (src[p - 2] + src[p + 2]) + k3 * (src[p - 3] + src[p + 3]);
    }
    for (let i = W - 3; i < W; i++) dst[row + i] = edge7(src, row, W, i, k0, k1, k2, k3);
  }
}

/** One output sample of blur7Rows within 3 px of a row end, clamping the taps to the row. */
function edge7(src: Float32Array, row: number, W: number, i: number, k0: number, k1: number, k2: number, k3: number): number {
  const at = row + i;
  const r = row + W - 1;
  return (
    k0 * src[at] +
    k1 * (src[Math.max(row, at - 1)] + src[Math.min(r, at + 1)]) +
    k2 * (src[Math.max(row, at - 2)] + src[Math.min(r, at + 2)]) +
    k3 * (src[Math.max(row, at - 3)] + src[Math.min(r, at + 3)])
  );
}

export interface PyramidLevel {
  plane: Plane;
  /** Working-image pixels per level pixel, per axis (exact, so rounding of level sizes cancels). */
  sx: number;
  sy: number;
}

/**
 * Levels shrink by `scaleFactor` each, every one area-resampled from the previous (a few times
 * cheaper than from the base; chained box filters soften coarse levels slightly, which FAST's
 * absolute threshold tolerates). Stops early when a level would be smaller than `minSide`, where
 * no patch would fit.
 */
export function buildPyramid(base: Plane, levels: number, scaleFactor: number, minSide: number): PyramidLevel[] {
  const out: PyramidLevel[] = [{ plane: base, sx: 1, sy: 1 }];
  for (let l = 1; l < levels; l++) {
    const s = scaleFactor ** l;
    const w = Math.round(base.width / s);
    const h = Math.round(base.height / s);
    if (Math.min(w, h) < minSide) break;
    const plane = resizePlane(out[l - 1].plane, w, h);
    out.push({ plane, sx: base.width / w, sy: base.height / h });
  }
  return out;
}
