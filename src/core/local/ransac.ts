/**
 * RANSAC over point correspondences (Fischler & Bolles 1981) with the refinements that make it
 * dependable on ORB matches: MSAC scoring (truncated squared error, so among equal inlier counts
 * the tighter model wins), an adaptive iteration count from the best inlier ratio, rejection of
 * degenerate minimal samples before fitting and of implausible models after, a local least-squares
 * refit whenever the best model improves (LO-RANSAC), and a final refit on all inliers.
 * Hand-written because Workers forbid OpenCV's findHomography; seeded, so reruns are identical.
 */
import { Rng } from '../quant/rng.ts';
import { hullArea } from './hull.ts';
import { fitModel, plausibleTransform, SAMPLE_SIZE, type Correspondences, type ModelKind } from './models.ts';

export interface Size {
  width: number;
  height: number;
}

export interface RansacOptions {
  /** Default 'homography'. */
  model?: ModelKind;
  /** Largest transfer error |T(p1) - p2| of an inlier, in image-2 pixels (default 3). */
  threshold?: number;
  /** Probability of having drawn one all-inlier sample when the loop stops (default 0.999). */
  confidence?: number;
  /** Hard cap on samples drawn, degenerate ones included (default 2000). */
  maxIterations?: number;
  /** Fewer inliers than this is no verified model (default 10; 1,200 unrelated photo pairs of the s1 bench reached at most 5). */
  minInliers?: number;
  /** Largest accepted local scale change and anisotropy (default 8). */
  maxScale?: number;
  /** Sample points closer than this share of their image's diagonal are degenerate (default 0.01). */
  minSeparation?: number;
  seed?: number;
}

export interface RansacResult {
  /** A plausible model with at least minInliers inliers was found. */
  ok: boolean;
  model: ModelKind;
  /** Row-major 3x3 map from image 1 to image 2 (null when no model was found). */
  transform: Float64Array | null;
  inlierMask: Uint8Array;
  inliers: number;
  /** inliers / correspondences. */
  inlierRatio: number;
  /** RMS transfer error of the inliers, image-2 pixels. */
  reprojError: number;
  iterations: number;
  /** Share of each image's area inside the convex hull of its inlier points. */
  overlap1: number;
  overlap2: number;
}

interface Scored {
  H: Float64Array;
  cost: number;
  inliers: number;
}

export function ransac(c: Correspondences, size1: Size, size2: Size, opts: RansacOptions = {}): RansacResult {
  const kind = opts.model ?? 'homography';
  const thr = opts.threshold ?? 3;
  const conf = opts.confidence ?? 0.999;
  const maxIter = opts.maxIterations ?? 2000;
  const minInliers = opts.minInliers ?? 10;
  const maxScale = opts.maxScale ?? 8;
  const sepShare = opts.minSeparation ?? 0.01;
  const s = SAMPLE_SIZE[kind];
  const n = c.n;
  const thr2 = thr * thr;
  const err2 = new Float64Array(n);

  const score = (H: Float64Array): Scored => {
    let cost = 0;
    let inliers = 0;
    for (let i = 0; i < n; i++) {
      const x = c.x1[i];
      const y = c.y1[i];
      const w = H[6] * x + H[7] * y + H[8];
      const dx = (H[0] * x + H[1] * y + H[2]) / w - c.x2[i];
      const dy = (H[3] * x + H[4] * y + H[5]) / w - c.y2[i];
      const e = dx * dx + dy * dy;
      // NaN (w = 0) fails the comparison and counts as an outlier.
      const inl = e < thr2;
      err2[i] = inl ? e : Infinity;
      cost += inl ? e : thr2;
      if (inl) inliers++;
    }
    return { H, cost, inliers };
  };
  const inlierIdx = (): Int32Array => {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (err2[i] < thr2) idx.push(i);
    return Int32Array.from(idx);
  };
  // Least-squares refits on the current inliers while they keep improving the score.
  const refine = (start: Scored, rounds: number): Scored => {
    let best = start;
    score(best.H);
    for (let r = 0; r < rounds; r++) {
      const idx = inlierIdx();
      if (idx.length <= s) break;
      const H = fitModel(kind, c, idx, idx.length);
      if (!H || !plausibleTransform(H, size1.width, size1.height, maxScale)) break;
      const cand = score(H);
      if (!(cand.inliers > best.inliers || (cand.inliers === best.inliers && cand.cost < best.cost))) break;
      best = cand;
    }
    score(best.H); // leave err2 describing the returned model
    return best;
  };

  const sep1 = (sepShare * Math.hypot(size1.width, size1.height)) ** 2;
  const sep2 = (sepShare * Math.hypot(size2.width, size2.height)) ** 2;
  const rng = new Rng(opts.seed ?? 0);
  const sample = new Int32Array(s);
  let best: Scored | null = null;
  // Only a model with minInliers inliers matters, so the loop may stop once one that large would
  // have been sampled with the wanted confidence: on unrelated pairs (a handful of chance inliers)
  // this ends the search long before maxIterations. Fewer matches than minInliers: nothing to find.
  let needed = Math.min(maxIter, iterationsFor(Math.min(1, minInliers / Math.max(n, 1)), s, conf));
  let iterations = 0;
  if (n >= s && n >= minInliers) {
    while (iterations < needed) {
      iterations++;
      if (!drawSample(rng, n, sample)) continue;
      if (degenerate(c, sample, kind, sep1, sep2)) continue;
      const H = fitModel(kind, c, sample, s);
      if (!H || !plausibleTransform(H, size1.width, size1.height, maxScale)) continue;
      let cand = score(H);
      if (best && !(cand.cost < best.cost)) continue;
      if (cand.inliers > s) cand = refine(cand, 1);
      if (best && !(cand.cost < best.cost)) continue;
      best = cand;
      needed = Math.min(maxIter, iterationsFor(Math.max(best.inliers, minInliers) / n, s, conf));
    }
  }
  if (!best) return empty(kind, n, iterations);
  best = refine(best, 5);
  const mask = new Uint8Array(n);
  let se = 0;
  for (let i = 0; i < n; i++) {
    if (err2[i] < thr2) {
      mask[i] = 1;
      se += err2[i];
    }
  }
  const area1 = size1.width * size1.height;
  const area2 = size2.width * size2.height;
  return {
    ok: best.inliers >= minInliers,
    model: kind,
    transform: best.H,
    inlierMask: mask,
    inliers: best.inliers,
    inlierRatio: n ? best.inliers / n : 0,
    reprojError: best.inliers ? Math.sqrt(se / best.inliers) : 0,
    iterations,
    overlap1: Math.min(1, hullArea(c.x1, c.y1, mask) / area1),
    overlap2: Math.min(1, hullArea(c.x2, c.y2, mask) / area2),
  };
}

/** Samples needed so that one is all-inlier with probability `conf` at inlier ratio w. */
export function iterationsFor(w: number, s: number, conf: number): number {
  const good = w ** s;
  if (good >= 1) return 1;
  if (good <= 0) return Infinity;
  return Math.ceil(Math.log(1 - conf) / Math.log(1 - good));
}

function drawSample(rng: Rng, n: number, out: Int32Array): boolean {
  for (let k = 0; k < out.length; k++) {
    let tries = 0;
    let i: number;
    do {
      i = rng.int(n);
      if (++tries > 32) return false;
    } while (out.subarray(0, k).includes(i));
    out[k] = i;
  }
  return true;
}

/**
 * A minimal sample that cannot define a reliable model: two points nearly coincide in either image
 * (the same corner detected on two pyramid levels), three are nearly collinear, or, for a
 * homography, the four points' triangles do not all keep (or all flip) their orientation, which no
 * homography of a real scene plane does.
 */
function degenerate(c: Correspondences, idx: Int32Array, kind: ModelKind, sep1: number, sep2: number): boolean {
  const m = idx.length;
  for (let a = 0; a < m; a++) {
    for (let b = a + 1; b < m; b++) {
      const i = idx[a];
      const j = idx[b];
      if ((c.x1[i] - c.x1[j]) ** 2 + (c.y1[i] - c.y1[j]) ** 2 < sep1) return true;
      if ((c.x2[i] - c.x2[j]) ** 2 + (c.y2[i] - c.y2[j]) ** 2 < sep2) return true;
    }
  }
  if (kind === 'similarity') return false;
  let orient = 0;
  for (let a = 0; a < m; a++) {
    for (let b = a + 1; b < m; b++) {
      for (let d = b + 1; d < m; d++) {
        const o1 = thinness(c.x1, c.y1, idx[a], idx[b], idx[d]);
        const o2 = thinness(c.x2, c.y2, idx[a], idx[b], idx[d]);
        if (Math.abs(o1) < 0.02 || Math.abs(o2) < 0.02) return true;
        const o = Math.sign(o1) * Math.sign(o2);
        if (orient === 0) orient = o;
        else if (o !== orient) return true;
      }
    }
  }
  return false;
}

/** Signed twice-area of a triangle over its longest side squared: near 0 when collinear. */
function thinness(xs: Float64Array, ys: Float64Array, i: number, j: number, k: number): number {
  const ax = xs[j] - xs[i], ay = ys[j] - ys[i];
  const bx = xs[k] - xs[i], by = ys[k] - ys[i];
  const cx = xs[k] - xs[j], cy = ys[k] - ys[j];
  const longest = Math.max(ax * ax + ay * ay, bx * bx + by * by, cx * cx + cy * cy);
  return longest > 0 ? (ax * by - ay * bx) / longest : 0;
}

function empty(kind: ModelKind, n: number, iterations: number): RansacResult {
  return {
    ok: false, model: kind, transform: null, inlierMask: new Uint8Array(n), inliers: 0, inlierRatio: 0,
    reprojError: 0, iterations, overlap1: 0, overlap2: 0,
  };
}
