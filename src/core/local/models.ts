/**
 * The geometric models RANSAC fits to point correspondences, as row-major 3x3 matrices mapping
 * image 1 to image 2: homography (normalized DLT, Hartley & Zisserman alg. 4.2), affine and
 * similarity (closed-form least squares), plus the checks that reject degenerate samples and
 * implausible transforms. Hand-written because Workers cannot use OpenCV's findHomography.
 *
 * Every fit first moves each point set to its centroid and scales it to mean distance sqrt(2):
 * without that, DLT's columns differ by ~10^5 in magnitude at 640 px and the solution drifts by
 * pixels on exact data.
 */
import { symmetricEigen } from '../quant/eigen.ts';

export type ModelKind = 'homography' | 'affine' | 'similarity';

/** Points per minimal sample. */
export const SAMPLE_SIZE: Record<ModelKind, number> = { homography: 4, affine: 3, similarity: 2 };

/** Correspondences (x1, y1) in image 1 to (x2, y2) in image 2. */
export interface Correspondences {
  n: number;
  x1: Float64Array;
  y1: Float64Array;
  x2: Float64Array;
  y2: Float64Array;
}

/** Normalizing similarity of a point subset: p' = s * (p - c). */
interface Norm {
  s: number;
  cx: number;
  cy: number;
}

function normOf(xs: Float64Array, ys: Float64Array, idx: ArrayLike<number>, m: number): Norm {
  let cx = 0;
  let cy = 0;
  for (let k = 0; k < m; k++) {
    cx += xs[idx[k]];
    cy += ys[idx[k]];
  }
  cx /= m;
  cy /= m;
  let d = 0;
  for (let k = 0; k < m; k++) d += Math.hypot(xs[idx[k]] - cx, ys[idx[k]] - cy);
  d /= m;
  return { s: d > 1e-12 ? Math.SQRT2 / d : 1, cx, cy };
}

/** H = T2^-1 * Hn * T1 for normalizations T1 (image 1) and T2 (image 2), scaled to h33 = 1 when possible. */
function denormalize(hn: ArrayLike<number>, t1: Norm, t2: Norm): Float64Array {
  // Hn * T1, with T1 = [s 0 -s cx; 0 s -s cy; 0 0 1].
  const a = new Float64Array(9);
  for (let r = 0; r < 3; r++) {
    const h0 = hn[3 * r];
    const h1 = hn[3 * r + 1];
    const h2 = hn[3 * r + 2];
    a[3 * r] = h0 * t1.s;
    a[3 * r + 1] = h1 * t1.s;
    a[3 * r + 2] = h2 - t1.s * (h0 * t1.cx + h1 * t1.cy);
  }
  // T2^-1 = [1/s 0 cx; 0 1/s cy; 0 0 1].
  const H = new Float64Array(9);
  for (let c = 0; c < 3; c++) {
    H[c] = a[c] / t2.s + t2.cx * a[6 + c];
    H[3 + c] = a[3 + c] / t2.s + t2.cy * a[6 + c];
    H[6 + c] = a[6 + c];
  }
  const z = Math.abs(H[8]) > 1e-12 ? H[8] : Math.hypot(...H);
  for (let i = 0; i < 9; i++) H[i] /= z;
  return H;
}

/**
 * Homography through exactly four correspondences: the 8x8 system with h33 = 1 in normalized
 * coordinates, by Gaussian elimination (an order of magnitude cheaper than the 9x9 eigenproblem,
 * and h33 = 0 would mean the points' centroid maps to infinity, never a real copy). Null when
 * singular.
 */
export function homographyMinimal(c: Correspondences, idx: ArrayLike<number>): Float64Array | null {
  const t1 = normOf(c.x1, c.y1, idx, 4);
  const t2 = normOf(c.x2, c.y2, idx, 4);
  const A = new Float64Array(8 * 9); // augmented [A | b]
  for (let k = 0; k < 4; k++) {
    const x = (c.x1[idx[k]] - t1.cx) * t1.s;
    const y = (c.y1[idx[k]] - t1.cy) * t1.s;
    const u = (c.x2[idx[k]] - t2.cx) * t2.s;
    const v = (c.y2[idx[k]] - t2.cy) * t2.s;
    A.set([x, y, 1, 0, 0, 0, -u * x, -u * y, u], 18 * k);
    A.set([0, 0, 0, x, y, 1, -v * x, -v * y, v], 18 * k + 9);
  }
  const h = solveAugmented(A, 8);
  if (!h) return null;
  return denormalize([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1], t1, t2);
}

/** Gaussian elimination with partial pivoting on an n x (n+1) augmented matrix; null if singular. */
function solveAugmented(A: Float64Array, n: number): Float64Array | null {
  const w = n + 1;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(A[r * w + col]) > Math.abs(A[piv * w + col])) piv = r;
    if (Math.abs(A[piv * w + col]) < 1e-10) return null;
    if (piv !== col) {
      for (let k = col; k < w; k++) {
        const t = A[col * w + k];
        A[col * w + k] = A[piv * w + k];
        A[piv * w + k] = t;
      }
    }
    const p = A[col * w + col];
    for (let r = col + 1; r < n; r++) {
      const f = A[r * w + col] / p;
      if (f === 0) continue;
      for (let k = col; k < w; k++) A[r * w + k] -= f * A[col * w + k];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = A[r * w + n];
    for (let k = r + 1; k < n; k++) s -= A[r * w + k] * x[k];
    x[r] = s / A[r * w + r];
  }
  return x;
}

/**
 * Least-squares homography over `m` correspondences: the unit vector minimising |A h| is the
 * eigenvector of A^T A with the smallest eigenvalue. Null when the two smallest eigenvalues are
 * nearly equal (the points do not pin down a unique homography, e.g. all on one line).
 */
export function homographyLeastSquares(c: Correspondences, idx: ArrayLike<number>, m: number): Float64Array | null {
  if (m < 4) return null;
  const t1 = normOf(c.x1, c.y1, idx, m);
  const t2 = normOf(c.x2, c.y2, idx, m);
  const M = new Float64Array(81);
  const r1 = new Float64Array(9);
  const r2 = new Float64Array(9);
  for (let k = 0; k < m; k++) {
    const x = (c.x1[idx[k]] - t1.cx) * t1.s;
    const y = (c.y1[idx[k]] - t1.cy) * t1.s;
    const u = (c.x2[idx[k]] - t2.cx) * t2.s;
    const v = (c.y2[idx[k]] - t2.cy) * t2.s;
    r1.set([x, y, 1, 0, 0, 0, -u * x, -u * y, -u]);
    r2.set([0, 0, 0, x, y, 1, -v * x, -v * y, -v]);
    for (let i = 0; i < 9; i++) {
      const a = r1[i];
      const b = r2[i];
      for (let j = i; j < 9; j++) M[i * 9 + j] += a * r1[j] + b * r2[j];
    }
  }
  for (let i = 0; i < 9; i++) for (let j = 0; j < i; j++) M[i * 9 + j] = M[j * 9 + i];
  const { values, vectors } = symmetricEigen(M, 9);
  if (values[7] < 1e-9 * Math.max(values[0], 1e-300)) return null;
  return denormalize(vectors.subarray(72, 81), t1, t2);
}

/** Least-squares affine map (exact for 3 points); null if the points are collinear. */
export function affineLeastSquares(c: Correspondences, idx: ArrayLike<number>, m: number): Float64Array | null {
  if (m < 3) return null;
  const t1 = normOf(c.x1, c.y1, idx, m);
  const t2 = normOf(c.x2, c.y2, idx, m);
  // Normal equations [xx xy x; xy yy y; x y m] p = rhs, shared by both output coordinates.
  let sxx = 0, sxy = 0, syy = 0, sx = 0, sy = 0;
  let ux = 0, uy = 0, u1 = 0, vx = 0, vy = 0, v1 = 0;
  for (let k = 0; k < m; k++) {
    const x = (c.x1[idx[k]] - t1.cx) * t1.s;
    const y = (c.y1[idx[k]] - t1.cy) * t1.s;
    const u = (c.x2[idx[k]] - t2.cx) * t2.s;
    const v = (c.y2[idx[k]] - t2.cy) * t2.s;
    sxx += x * x; sxy += x * y; syy += y * y; sx += x; sy += y;
    ux += u * x; uy += u * y; u1 += u; vx += v * x; vy += v * y; v1 += v;
  }
  const row1 = solveAugmented(Float64Array.of(sxx, sxy, sx, ux, sxy, syy, sy, uy, sx, sy, m, u1), 3);
  const row2 = solveAugmented(Float64Array.of(sxx, sxy, sx, vx, sxy, syy, sy, vy, sx, sy, m, v1), 3);
  if (!row1 || !row2) return null;
  return denormalize([row1[0], row1[1], row1[2], row2[0], row2[1], row2[2], 0, 0, 1], t1, t2);
}

/**
 * Least-squares rotation + uniform scale + translation (Umeyama 1991 without reflection; exact
 * for 2 points). Null if the points coincide.
 */
export function similarityLeastSquares(c: Correspondences, idx: ArrayLike<number>, m: number): Float64Array | null {
  if (m < 2) return null;
  let mx = 0, my = 0, mu = 0, mv = 0;
  for (let k = 0; k < m; k++) {
    mx += c.x1[idx[k]]; my += c.y1[idx[k]]; mu += c.x2[idx[k]]; mv += c.y2[idx[k]];
  }
  mx /= m; my /= m; mu /= m; mv /= m;
  let ss = 0, pa = 0, pb = 0;
  for (let k = 0; k < m; k++) {
    const x = c.x1[idx[k]] - mx;
    const y = c.y1[idx[k]] - my;
    const u = c.x2[idx[k]] - mu;
    const v = c.y2[idx[k]] - mv;
    ss += x * x + y * y;
    pa += x * u + y * v;
    pb += x * v - y * u;
  }
  if (ss < 1e-9) return null;
  const a = pa / ss;
  const b = pb / ss;
  return Float64Array.of(a, -b, mu - a * mx + b * my, b, a, mv - b * mx - a * my, 0, 0, 1);
}

export function fitModel(kind: ModelKind, c: Correspondences, idx: ArrayLike<number>, m: number): Float64Array | null {
  if (kind === 'homography') return m === 4 ? homographyMinimal(c, idx) : homographyLeastSquares(c, idx, m);
  if (kind === 'affine') return affineLeastSquares(c, idx, m);
  return similarityLeastSquares(c, idx, m);
}

/** Applies H to (x, y); returns [NaN, NaN] for points mapped to infinity. */
export function applyTransform(H: ArrayLike<number>, x: number, y: number): [number, number] {
  const w = H[6] * x + H[7] * y + H[8];
  if (Math.abs(w) < 1e-12) return [NaN, NaN];
  return [(H[0] * x + H[1] * y + H[2]) / w, (H[3] * x + H[4] * y + H[5]) / w];
}

/**
 * Largest distance between where H and G send the corners of a width x height image: the
 * recovered-transform error of synthetic-warp tests and benchmarks, in pixels of image 2.
 */
export function cornerError(H: ArrayLike<number>, G: ArrayLike<number>, width: number, height: number): number {
  let worst = 0;
  for (const [x, y] of [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]]) {
    const [a, b] = applyTransform(H, x, y);
    const [c, d] = applyTransform(G, x, y);
    worst = Math.max(worst, Math.hypot(a - c, b - d));
  }
  return worst;
}

export function invert3x3(H: ArrayLike<number>): Float64Array | null {
  const [a, b, c, d, e, f, g, h, i] = Array.from(H);
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-14) return null;
  const inv = Float64Array.of(A, -(b * i - c * h), b * f - c * e, B, a * i - c * g, -(a * f - c * d), C, -(a * h - b * g), a * e - b * d);
  for (let k = 0; k < 9; k++) inv[k] /= det;
  return inv;
}

/**
 * Whether H is a plausible copy transform of a width x height image 1: its horizon line misses
 * the image (w keeps one sign at the corners), and at every corner and the centre the local area
 * scale stays within [1/maxScale^2, maxScale^2] and the local stretch (ratio of the Jacobian's
 * singular values) below maxScale. Catches near-singular DLT solutions that RANSAC would
 * otherwise accept because they fold many points onto a few.
 */
export function plausibleTransform(H: ArrayLike<number>, width: number, height: number, maxScale: number): boolean {
  for (let i = 0; i < 9; i++) if (!Number.isFinite(H[i])) return false;
  const pts = [0, 0, width, 0, 0, height, width, height, width / 2, height / 2];
  let sign = 0;
  for (let k = 0; k < pts.length; k += 2) {
    const x = pts[k];
    const y = pts[k + 1];
    const w = H[6] * x + H[7] * y + H[8];
    if (Math.abs(w) < 1e-9) return false;
    if (sign === 0) sign = Math.sign(w);
    else if (Math.sign(w) !== sign) return false;
    // Jacobian of the projection at (x, y).
    const px = (H[0] * x + H[1] * y + H[2]) / w;
    const py = (H[3] * x + H[4] * y + H[5]) / w;
    const j00 = (H[0] - px * H[6]) / w;
    const j01 = (H[1] - px * H[7]) / w;
    const j10 = (H[3] - py * H[6]) / w;
    const j11 = (H[4] - py * H[7]) / w;
    const det = Math.abs(j00 * j11 - j01 * j10);
    if (!(det > 1 / (maxScale * maxScale) && det < maxScale * maxScale)) return false;
    // Singular values from the Frobenius norm and the determinant.
    const fro = j00 * j00 + j01 * j01 + j10 * j10 + j11 * j11;
    const disc = Math.sqrt(Math.max(0, fro * fro - 4 * det * det));
    const smax = Math.sqrt((fro + disc) / 2);
    const smin = det / smax;
    if (smax / smin > maxScale) return false;
  }
  return true;
}
