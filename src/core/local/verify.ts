/**
 * Origin verification of one (query, reference) pair: match ORB descriptors, then ask RANSAC for
 * one geometric transform that explains many of the matches. Unrelated photos share descriptor
 * matches only by chance, and chance matches scatter in position, so the inlier count separates a
 * copy (crop, rescale, rotation, perspective re-shoot) from a look-alike far better than any
 * global signature; it also says where the copy sits in the original.
 */
import { LshIndex, matchLsh, type LshOptions } from './lsh.ts';
import { matchBruteForce, type MatchOptions, type Matches } from './match.ts';
import type { Correspondences } from './models.ts';
import type { LocalFeatures } from './orb.ts';
import { ransac, type RansacOptions } from './ransac.ts';

export interface VerifyOptions {
  match?: MatchOptions;
  /** 'brute' (default, exact) or 'lsh' (approximate, for large descriptor sets). */
  matcher?: 'brute' | 'lsh';
  lsh?: LshOptions;
  /** RANSAC options; `threshold` here is in working pixels of the reference (default 3). */
  ransac?: RansacOptions;
  /** Inliers at which the score reaches 0.5 (default 15). */
  scoreHalf?: number;
}

export interface VerifyResult<D extends Uint16Array | Float32Array = Uint16Array> {
  /** RANSAC found a plausible transform with at least minInliers inliers. */
  verified: boolean;
  inliers: number;
  /** inliers / descriptor matches. */
  inlierRatio: number;
  matches: number;
  /** Row-major 3x3 map from query to reference pixels (original images), or null. */
  transform: Float64Array | null;
  reprojError: number;
  /** Share of each image's area spanned by the convex hull of the inlier keypoints. */
  overlapQuery: number;
  overlapRef: number;
  /** inliers / (inliers + scoreHalf) when verified, else 0: monotone, saturating, in [0, 1). */
  score: number;
  matchList: Matches<D>;
  inlierMask: Uint8Array;
}

type AnyFeatures = LocalFeatures<Uint8Array | Float32Array>;

export function correspondences(a: AnyFeatures, b: AnyFeatures, m: Matches<Uint16Array | Float32Array>): Correspondences {
  const c: Correspondences = {
    n: m.count,
    x1: new Float64Array(m.count),
    y1: new Float64Array(m.count),
    x2: new Float64Array(m.count),
    y2: new Float64Array(m.count),
  };
  for (let k = 0; k < m.count; k++) {
    c.x1[k] = a.x[m.queryIdx[k]];
    c.y1[k] = a.y[m.queryIdx[k]];
    c.x2[k] = b.x[m.trainIdx[k]];
    c.y2[k] = b.y[m.trainIdx[k]];
  }
  return c;
}

/** Verifies that query `a` is a geometric copy of (part of) reference `b`. */
export function verifyPair(a: LocalFeatures, b: LocalFeatures, opts: VerifyOptions = {}): VerifyResult {
  const matches =
    opts.matcher === 'lsh'
      ? matchLsh(a.descriptors, new LshIndex(b.descriptors, opts.lsh), { ...opts.match, lsh: opts.lsh })
      : matchBruteForce(a.descriptors, b.descriptors, opts.match);
  return verifyMatches(a, b, matches, opts);
}

/**
 * The geometric half of verifyPair, for matches found by any matcher (e.g. learned descriptors,
 * patch-desc.ts): RANSAC over the matched keypoints and the verdict built from it.
 */
export function verifyMatches<D extends Uint16Array | Float32Array>(
  a: AnyFeatures,
  b: AnyFeatures,
  matches: Matches<D>,
  opts: Pick<VerifyOptions, 'ransac' | 'scoreHalf'> = {},
): VerifyResult<D> {
  const r = ransac(correspondences(a, b, matches), a, b, {
    ...opts.ransac,
    // Keypoint positions are only as precise as the working copy they came from.
    threshold: (opts.ransac?.threshold ?? 3) * b.workScale,
  });
  const half = opts.scoreHalf ?? 15;
  return {
    verified: r.ok,
    inliers: r.inliers,
    inlierRatio: r.inlierRatio,
    matches: matches.count,
    transform: r.transform,
    reprojError: r.reprojError,
    overlapQuery: r.overlap1,
    overlapRef: r.overlap2,
    score: r.ok ? r.inliers / (r.inliers + half) : 0,
    matchList: matches,
    inlierMask: r.inlierMask,
  };
}
