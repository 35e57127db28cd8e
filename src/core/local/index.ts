/**
 * Local features and geometric verification for origin checks: ORB keypoints, exact and LSH
 * matching of their binary descriptors, optional learned descriptors at the same keypoints
 * (patch-desc, matched by L2), RANSAC homography / affine / similarity fits and the pairwise
 * verdict built from them, and the bag-of-words shortlist (vocabulary tree, inverted index) that
 * finds candidates for them where global signals fail. Pure TypeScript on typed arrays (Workers
 * forbid native OpenCV and threads), deterministic for a given input and seed.
 */
export {
  extractOrb,
  orbPyramid,
  orbFromPyramid,
  BRIEF_PATTERN,
  DESCRIPTOR_BYTES,
  MAX_FEATURES,
  type LocalFeatures,
  type OrbOptions,
  type OrbPyramid,
} from './orb.ts';
export { matchBruteForce, nearestTwo, DEFAULT_MATCH, type Matches, type MatchOptions } from './match.ts';
export { LshIndex, matchLsh, measureLshRecall, type LshOptions, type LshRecall, type NearestTwo } from './lsh.ts';
export { hamming, popcount32, asWords } from './hamming.ts';
export {
  affineLeastSquares,
  applyTransform,
  cornerError,
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
export { verifyPair, verifyMatches, correspondences, type VerifyOptions, type VerifyResult } from './verify.ts';
export { cutPatch, cutPatches, DEFAULT_PATCH, type PatchGeometry } from './patches.ts';
export { matchFloat, l2DistancesTo, DEFAULT_FLOAT_MATCH } from './match-float.ts';
export {
  parsePatchDescConfig,
  patchGeometry,
  describePatches,
  describeAt,
  extractLearned,
  verifyLearnedPair,
  type PatchDescConfig,
  type LearnedFeatures,
} from './patch-desc.ts';
export { toGray, grayWithin, resizePlane, gaussianBlur, buildPyramid, type PyramidLevel } from './pyramid.ts';
export { Vocabulary, trainVocabulary, type VocabularyOptions } from './vocab.ts';
export { InvertedIndex, bagOf, type BagOfWords, type BowHit, type BowSearchOptions } from './bow.ts';
