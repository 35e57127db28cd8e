/**
 * ORB local features (Rublee et al. 2011): FAST-9 corners on a scale pyramid, ranked by Harris
 * response and spread over the image by adaptive non-maximal suppression, oriented by the intensity
 * centroid, described by 256 rotated BRIEF bit tests. Hand-written because Workers forbid native
 * OpenCV and threads; everything is typed arrays and deterministic (a fixed, seeded test pattern;
 * every sort has a tie-break), so the same image gives identical bytes in Node and workerd.
 *
 * Features are computed on a copy whose longest side is at most 640 px: ORB's cost grows with the
 * pixel count while copies are judged on structure far coarser than that; it bounds the CPU time
 * of a Worker request whatever the upload size, and it brings a 12 MP original and its 600 px
 * re-post to comparable scales, so the pyramid only has to bridge the remaining factor.
 */
import type { Plane, RGBAImage } from '../image/types.ts';
import { Rng } from '../quant/rng.ts';
import { detectFast, harrisAt } from './fast.ts';
import { buildPyramid, gaussianBlur, grayWithin, type PyramidLevel } from './pyramid.ts';

export const DESCRIPTOR_BYTES = 32;
export const MAX_FEATURES = 1000;

/**
 * Keypoints and their descriptors: `D` is Uint8Array for rBRIEF (32 bytes each) and Float32Array
 * for a learned descriptor (patch-desc, `dim` floats each) computed at the same keypoints.
 */
export interface LocalFeatures<D extends Uint8Array | Float32Array = Uint8Array> {
  count: number;
  /** Keypoint centres in original image pixels (pixel centres at integer coordinates). */
  x: Float32Array;
  y: Float32Array;
  /** Orientation in radians, image axes (y down). */
  angle: Float32Array;
  /** Pyramid level the keypoint was found on. */
  level: Uint8Array;
  /** Original-image pixels per pixel of that level: the 31 px patch spans 31 * scale. */
  scale: Float32Array;
  /** Harris response (only comparable within one image). */
  response: Float32Array;
  /** `count` descriptors back to back. rBRIEF: 32 bytes each, bit i is (byte i >> 3) >> (i & 7) & 1. */
  descriptors: D;
  /** Original image size. */
  width: number;
  height: number;
  /** Original pixels per working pixel (>= 1; the working copy has longest side <= maxSide). */
  workScale: number;
}

export interface OrbOptions {
  /** Keypoints wanted over all levels (default 500, at most 1000). */
  nFeatures?: number;
  /** Longest side of the working copy (default 640). */
  maxSide?: number;
  /** Pyramid levels (default 6) and the shrink factor between them (default 1.3). */
  levels?: number;
  scaleFactor?: number;
  /** FAST intensity threshold on 0..255 (default 20); halved down to minFastThreshold on a level with too few corners. */
  fastThreshold?: number;
  minFastThreshold?: number;
}

/** Patch radius: the 31 x 31 patch of ORB, as a disc so any rotation stays inside it. */
const HALF_PATCH = 15;
/** FAST, Harris, the centroid disc and the rotated test pattern all fit inside this margin. */
const BORDER = HALF_PATCH + 1;
const PATTERN_SEED = 0x0b1ef256;

/**
 * 256 point pairs, both ends i.i.d. isotropic Gaussian with sigma = 31/5 (BRIEF's best sampling
 * strategy, G II), redrawn until inside the disc of radius 15. Laid out [x1, y1, x2, y2] per test.
 */
export const BRIEF_PATTERN: Int8Array = (() => {
  const rng = new Rng(PATTERN_SEED);
  const out = new Int8Array(256 * 4);
  const sigma = 31 / 5;
  for (let i = 0; i < 512; i++) {
    let x: number;
    let y: number;
    do {
      x = Math.round(rng.gaussian() * sigma);
      y = Math.round(rng.gaussian() * sigma);
    } while (x * x + y * y > HALF_PATCH * HALF_PATCH || (i & 1 && x === out[2 * i - 2] && y === out[2 * i - 1]));
    out[2 * i] = x;
    out[2 * i + 1] = y;
  }
  return out;
})();

/** Half-widths of the centroid disc per row offset. */
const UMAX = Int32Array.from({ length: HALF_PATCH + 1 }, (_, v) => Math.floor(Math.sqrt(HALF_PATCH * HALF_PATCH - v * v) + 0.5));

/** The gray scale pyramid ORB detects on, with the original-per-working pixel factors. */
export interface OrbPyramid {
  levels: PyramidLevel[];
  /** Original image pixels per working pixel, per axis. */
  fx: number;
  fy: number;
  width: number;
  height: number;
  scaleFactor: number;
}

/**
 * The pyramid extractOrb works on. Exposed so that descriptors computed at ORB's keypoints
 * (patches.ts) read the very level planes the keypoints were found on, without building them twice.
 */
export function orbPyramid(img: RGBAImage, opts: OrbOptions = {}): OrbPyramid {
  const maxSide = opts.maxSide ?? 640;
  const levels = opts.levels ?? 6;
  const scaleFactor = opts.scaleFactor ?? 1.3;
  if (!(maxSide >= 64)) throw new RangeError(`maxSide must be at least 64, got ${maxSide}`);
  if (!(Number.isInteger(levels) && levels >= 1 && levels <= 12)) throw new RangeError(`levels must be in 1..12, got ${levels}`);
  if (!(scaleFactor > 1 && scaleFactor <= 2)) throw new RangeError(`scaleFactor must be in (1, 2], got ${scaleFactor}`);
  const work = grayWithin(img, maxSide);
  return {
    levels: buildPyramid(work, levels, scaleFactor, 2 * BORDER + 8),
    fx: img.width / work.width,
    fy: img.height / work.height,
    width: img.width,
    height: img.height,
    scaleFactor,
  };
}

/** ORB keypoints and descriptors of an RGBA image. */
export function extractOrb(img: RGBAImage, opts: OrbOptions = {}): LocalFeatures {
  return orbFromPyramid(orbPyramid(img, opts), opts);
}

/** ORB keypoints and descriptors on a pyramid from orbPyramid (built with the same options). */
export function orbFromPyramid(p: OrbPyramid, opts: OrbOptions = {}): LocalFeatures {
  const nFeatures = opts.nFeatures ?? 500;
  const fast = opts.fastThreshold ?? 20;
  const minFast = opts.minFastThreshold ?? 7;
  if (!(Number.isInteger(nFeatures) && nFeatures >= 1 && nFeatures <= MAX_FEATURES)) {
    throw new RangeError(`nFeatures must be an integer in 1..${MAX_FEATURES}, got ${nFeatures}`);
  }
  const { fx, fy, scaleFactor } = p;
  const pyramid = p.levels;

  // Per-level quotas fall geometrically with the linear scale, as in OpenCV: coarse levels get
  // relatively more keypoints than their area, because they carry the scale invariance.
  const f = 1 / scaleFactor;
  const L = pyramid.length;
  let wanted = (nFeatures * (1 - f)) / (1 - f ** L);
  let carry = 0;

  const parts: { lvl: number; xs: Int32Array; ys: Int32Array; resp: Float32Array; n: number }[] = [];
  let total = 0;
  for (let lvl = 0; lvl < L; lvl++) {
    const quota = lvl === L - 1 ? nFeatures - total : Math.min(nFeatures - total, Math.round(wanted + carry));
    wanted *= f;
    if (quota <= 0) continue;
    const plane = pyramid[lvl].plane;
    let c = detectFast(plane, fast, BORDER);
    // Blurred or flat copies starve the default threshold; lower it rather than return nothing.
    for (let t = fast / 2; c.count < quota && t >= minFast; t /= 2) c = detectFast(plane, t, BORDER);
    const harris = harrisAt(plane, c.x, c.y, c.count);
    const keep = anms(c.x, c.y, harris, c.count, quota);
    const n = keep.length;
    const xs = new Int32Array(n);
    const ys = new Int32Array(n);
    const resp = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      xs[i] = c.x[keep[i]];
      ys[i] = c.y[keep[i]];
      resp[i] = harris[keep[i]];
    }
    parts.push({ lvl, xs, ys, resp, n });
    total += n;
    carry = quota - n;
  }

  const out: LocalFeatures = {
    count: total,
    x: new Float32Array(total),
    y: new Float32Array(total),
    angle: new Float32Array(total),
    level: new Uint8Array(total),
    scale: new Float32Array(total),
    response: new Float32Array(total),
    descriptors: new Uint8Array(total * DESCRIPTOR_BYTES),
    width: p.width,
    height: p.height,
    workScale: Math.max(fx, fy),
  };
  let k = 0;
  for (const part of parts) {
    const { plane, sx, sy } = pyramid[part.lvl];
    const smooth = gaussianBlur(plane, 2, 3);
    for (let i = 0; i < part.n; i++, k++) {
      const px = part.xs[i];
      const py = part.ys[i];
      const a = centroidAngle(plane, px, py);
      out.angle[k] = a;
      out.x[k] = (px + 0.5) * sx * fx - 0.5;
      out.y[k] = (py + 0.5) * sy * fy - 0.5;
      out.level[k] = part.lvl;
      out.scale[k] = Math.sqrt(sx * sy * fx * fy);
      out.response[k] = part.resp[i];
      describe(smooth, px, py, a, out.descriptors, k * DESCRIPTOR_BYTES);
    }
  }
  return out;
}

/**
 * Adaptive non-maximal suppression (Brown et al. 2005): each candidate's radius is its distance to
 * the nearest clearly stronger one (response > r / 0.9), and the `quota` largest radii win, so
 * keypoints spread over the image instead of piling onto its most textured region. Only the
 * strongest 6 * quota candidates enter the O(n^2) pass. Returns candidate indices.
 */
function anms(xs: Int32Array, ys: Int32Array, resp: Float32Array, count: number, quota: number): Int32Array {
  const byResp = Array.from({ length: count }, (_, i) => i).sort((a, b) => resp[b] - resp[a] || a - b);
  const n = Math.min(count, 6 * quota);
  if (n <= quota) return Int32Array.from(byResp.slice(0, n));
  // Sorted copies, so the quadratic loop reads memory in order.
  const sx = new Float64Array(n);
  const sy = new Float64Array(n);
  const sr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    sx[i] = xs[byResp[i]];
    sy[i] = ys[byResp[i]];
    sr[i] = resp[byResp[i]];
  }
  const radius = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const limit = sr[i] / 0.9;
    const x = sx[i];
    const y = sy[i];
    let best = Infinity;
    // Descending responses: the clearly stronger candidates are a prefix.
    for (let j = 0; j < i && sr[j] > limit; j++) {
      const dx = x - sx[j];
      const dy = y - sy[j];
      const d = dx * dx + dy * dy;
      if (d < best) best = d;
    }
    radius[i] = best;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => radius[b] - radius[a] || a - b);
  return Int32Array.from(order.slice(0, quota), (i) => byResp[i]);
}

/** Direction from the keypoint to the intensity centroid of the radius-15 disc around it. */
function centroidAngle(plane: Plane, x: number, y: number): number {
  const { width: W, data } = plane;
  const c = y * W + x;
  let m10 = 0;
  let m01 = 0;
  for (let u = -HALF_PATCH; u <= HALF_PATCH; u++) m10 += u * data[c + u];
  for (let v = 1; v <= HALF_PATCH; v++) {
    // Rows +v and -v together: their difference weights m01, their sum m10.
    let vsum = 0;
    const d = UMAX[v];
    for (let u = -d; u <= d; u++) {
      const below = data[c + v * W + u];
      const above = data[c - v * W + u];
      vsum += below - above;
      m10 += u * (below + above);
    }
    m01 += v * vsum;
  }
  return Math.atan2(m01, m10);
}

/** 256 intensity comparisons of the rotated pattern on the smoothed level, packed LSB first. */
function describe(smooth: Plane, x: number, y: number, angle: number, out: Uint8Array, offset: number): void {
  const { width: W, data } = smooth;
  const c = y * W + x;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const P = BRIEF_PATTERN;
  for (let byte = 0; byte < DESCRIPTOR_BYTES; byte++) {
    let v = 0;
    for (let bit = 0; bit < 8; bit++) {
      const q = (byte * 8 + bit) * 4;
      const x1 = Math.round(P[q] * cos - P[q + 1] * sin);
      const y1 = Math.round(P[q] * sin + P[q + 1] * cos);
      const x2 = Math.round(P[q + 2] * cos - P[q + 3] * sin);
      const y2 = Math.round(P[q + 2] * sin + P[q + 3] * cos);
      if (data[c + y1 * W + x1] < data[c + y2 * W + x2]) v |= 1 << bit;
    }
    out[offset + byte] = v;
  }
}
