/**
 * Learned local descriptors at ORB keypoints: the keypoints, orientations and scales of ORB, but
 * each keypoint described by a small CNN (models/patch-desc.onnx, trained self-supervised on
 * homography-warped patches of the training photos) instead of rBRIEF's 256 pixel tests. The
 * result is LocalFeatures<Float32Array>, matched by L2 distance (match-float.ts) and verified by
 * the same RANSAC as rBRIEF, so the two descriptors can be compared on identical keypoints.
 *
 * Core stays runtime-free: the network runs behind an injected OnnxRunner (onnxruntime-web in
 * Node and Workers). Deterministic: the keypoints and patches are, and the model runs one fixed
 * batch layout per image.
 */
import type { RGBAImage } from '../image/types.ts';
import type { OnnxRunner } from '../signals/embedding.ts';
import { matchFloat } from './match-float.ts';
import type { MatchOptions } from './match.ts';
import { orbFromPyramid, orbPyramid, type LocalFeatures, type OrbOptions } from './orb.ts';
import { cutPatches, type PatchGeometry } from './patches.ts';
import { verifyMatches, type VerifyOptions, type VerifyResult } from './verify.ts';

export interface PatchDescConfig {
  name: string;
  /** ONNX file, relative to the config. */
  file: string;
  version?: number;
  sha256?: string;
  /** Input `name` [N, 1, size, size], raw gray 0..255 (the model standardises each patch). */
  input: { name: string; size: number; step: number };
  /** Output `name` [N, dim], unit length. */
  output: { name: string; dim: number };
  /** Patches per model call (bounds the WASM heap; default 512). */
  batch?: number;
  description?: string;
  licence?: string;
  source?: string;
}

export type LearnedFeatures = LocalFeatures<Float32Array>;

const TOP_KEYS = new Set(['name', 'file', 'version', 'sha256', 'input', 'output', 'batch', 'description', 'licence', 'source']);

/** Validates a patch-desc JSON config; throws one error naming every problem by path. */
export function parsePatchDescConfig(json: unknown): PatchDescConfig {
  const problems: string[] = [];
  const obj = (v: unknown, path: string): Record<string, unknown> => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    problems.push(`${path} must be an object`);
    return {};
  };
  const str = (o: Record<string, unknown>, k: string, path: string): string => {
    if (typeof o[k] === 'string' && o[k]) return o[k] as string;
    problems.push(`${path}.${k} must be a non-empty string`);
    return '';
  };
  const int = (o: Record<string, unknown>, k: string, path: string, min: number, max: number): number => {
    const v = o[k];
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    problems.push(`${path}.${k} must be an integer in ${min}..${max}`);
    return min;
  };
  const root = obj(json, '$');
  for (const k of Object.keys(root)) if (!TOP_KEYS.has(k) && !k.startsWith('$')) problems.push(`$.${k} is not a known key`);
  const input = obj(root.input, '$.input');
  const output = obj(root.output, '$.output');
  const step = input.step;
  if (!(typeof step === 'number' && step > 0 && step <= 4)) problems.push('$.input.step must be a number in (0, 4]');
  const cfg: PatchDescConfig = {
    name: str(root, 'name', '$'),
    file: str(root, 'file', '$'),
    input: { name: str(input, 'name', '$.input'), size: int(input, 'size', '$.input', 8, 128), step: step as number },
    output: { name: str(output, 'name', '$.output'), dim: int(output, 'dim', '$.output', 4, 1024) },
  };
  if (cfg.output.dim % 4) problems.push('$.output.dim must be a multiple of 4');
  if (root.version !== undefined) cfg.version = int(root, 'version', '$', 0, 1e9);
  if (root.batch !== undefined) cfg.batch = int(root, 'batch', '$', 1, 4096);
  if (root.sha256 !== undefined) {
    if (typeof root.sha256 === 'string' && /^[0-9a-f]{64}$/.test(root.sha256)) cfg.sha256 = root.sha256;
    else problems.push('$.sha256 must be 64 lowercase hex digits');
  }
  for (const k of ['description', 'licence', 'source'] as const) if (root[k] !== undefined) cfg[k] = str(root, k, '$');
  if (problems.length) throw new Error(`invalid patch-desc config: ${problems.join('; ')}`);
  return cfg;
}

/** The model's patch geometry. */
export function patchGeometry(cfg: PatchDescConfig): PatchGeometry {
  return { size: cfg.input.size, step: cfg.input.step };
}

/** Learned descriptors of `patches` ([n, size, size] back to back), n x dim floats. */
export async function describePatches(patches: Float32Array, cfg: PatchDescConfig, runner: OnnxRunner): Promise<Float32Array> {
  const { size } = cfg.input;
  const { dim } = cfg.output;
  const area = size * size;
  const n = patches.length / area;
  const out = new Float32Array(n * dim);
  const batch = cfg.batch ?? 512;
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const z = await runner.run(cfg.input.name, patches.subarray(s * area, (s + m) * area), [m, 1, size, size], cfg.output.name);
    if (z.length !== m * dim) throw new Error(`${cfg.name}: expected ${m} x ${dim} outputs, got ${z.length}`);
    out.set(z, s * dim);
  }
  return out;
}

/** ORB keypoints of `img` described by the learned model instead of rBRIEF. */
export async function extractLearned(img: RGBAImage, cfg: PatchDescConfig, runner: OnnxRunner, opts: OrbOptions = {}): Promise<LearnedFeatures> {
  const pyr = orbPyramid(img, opts);
  return describeAt(orbFromPyramid(pyr, opts), pyr, cfg, runner);
}

/**
 * Learned descriptors at the keypoints of ORB features already extracted from the same pyramid
 * (so one extraction can yield both descriptors, as the comparison needs).
 */
export async function describeAt(
  feats: LocalFeatures<Uint8Array | Float32Array>,
  pyr: ReturnType<typeof orbPyramid>,
  cfg: PatchDescConfig,
  runner: OnnxRunner,
): Promise<LearnedFeatures> {
  const descriptors = feats.count ? await describePatches(cutPatches(pyr, feats, patchGeometry(cfg)), cfg, runner) : new Float32Array(0);
  return { ...feats, descriptors };
}

/** verifyPair for learned descriptors: L2 ratio + mutual matching, then the same RANSAC. */
export function verifyLearnedPair(
  a: LearnedFeatures,
  b: LearnedFeatures,
  dim: number,
  opts: Pick<VerifyOptions, 'ransac' | 'scoreHalf'> & { match?: MatchOptions } = {},
): VerifyResult<Float32Array> {
  return verifyMatches(a, b, matchFloat(a.descriptors, b.descriptors, dim, opts.match), opts);
}
