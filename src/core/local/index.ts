/**
 * Local features and geometric verification for origin checks: ORB keypoints, exact and LSH
 * matching of their binary descriptors, RANSAC homography / affine / similarity fits and the
 * pairwise verdict built from them. Pure TypeScript on typed arrays (Workers forbid native
 * OpenCV and threads), deterministic for a given input and seed.
 */
export { extractOrb, BRIEF_PATTERN, DESCRIPTOR_BYTES, MAX_FEATURES, type LocalFeatures, type OrbOptions } from './orb.ts';
export { matchBruteForce, nearestTwo, DEFAULT_MATCH, type Matches, type MatchOptions } from './match.ts';
export { LshIndex, matchLsh, measureLshRecall, type LshOptions, type LshRecall, type NearestTwo } from './lsh.ts';
export { hamming, popcount32, asWords } from './hamming.ts';
export {
  affineLeastSquares,
  applyTransform,
  fitModel,
  homographyLeastSquares,
  homographyMinimal,
  invert3x3,
  plausibleTransform,
  similarityLeastSquares,
  SAMPLE_SIZE,
  type Correspondences,
  type ModelKind,
} from './models.ts';
export { ransac, iterationsFor, type RansacOptions, type RansacResult, type Size } from './ransac.ts';
export { hullArea } from './hull.ts';
export { warpPerspective } from './warp.ts';
export { serializeLocalFeatures, deserializeLocalFeatures, localFeaturesBytes } from './serialize.ts';
export { verifyPair, correspondences, type VerifyOptions, type VerifyResult } from './verify.ts';
export { toGray, grayWithin, resizePlane, gaussianBlur, buildPyramid, type PyramidLevel } from './pyramid.ts';
