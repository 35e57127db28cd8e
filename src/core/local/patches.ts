/**
 * Oriented, scale-normalised gray patches at ORB keypoints, the input of a learned patch
 * descriptor (models/patch-desc). Each patch is cut from the pyramid level its keypoint was found
 * on, centred on the keypoint and rotated by its orientation, so two views of one corner give
 * nearly the same patch whatever the rotation and (up to the pyramid's step) the scale between
 * them; the network only has to absorb the remainder.
 *
 * The sampling (bilinear, edge clamped, `size` x `size` grid `step` level pixels apart, centred
 * between the middle pixels) is the one models/train/patch_data.py trains on; change both or
 * neither.
 */
import type { Plane } from '../image/types.ts';
import type { LocalFeatures, OrbPyramid } from './orb.ts';

export interface PatchGeometry {
  /** Patch side in samples (default 32). */
  size: number;
  /** Level pixels between samples (default 1.25: a 40 px support around ORB's 31 px disc). */
  step: number;
}

export const DEFAULT_PATCH: PatchGeometry = { size: 32, step: 1.25 };

/**
 * Samples the `size` x `size` patch of `plane` centred at (cx, cy), its u axis along `angle`
 * (radians, y down), into out[offset ...] row by row. Raw gray values, no normalisation.
 */
export function cutPatch(plane: Plane, cx: number, cy: number, angle: number, g: PatchGeometry, out: Float32Array, offset: number): void {
  const { width: W, height: H, data } = plane;
  const { size, step } = g;
  const c = Math.cos(angle) * step;
  const s = Math.sin(angle) * step;
  const half = (size - 1) / 2;
  const maxX0 = Math.max(W - 2, 0);
  const maxY0 = Math.max(H - 2, 0);
  let o = offset;
  for (let i = 0; i < size; i++) {
    const v = i - half;
    for (let j = 0; j < size; j++, o++) {
      const u = j - half;
      const x = Math.min(W - 1, Math.max(0, cx + c * u - s * v));
      const y = Math.min(H - 1, Math.max(0, cy + s * u + c * v));
      const x0 = Math.min(Math.floor(x), maxX0);
      const y0 = Math.min(Math.floor(y), maxY0);
      const fx = x - x0;
      const fy = y - y0;
      const x1 = Math.min(x0 + 1, W - 1);
      const y1 = Math.min(y0 + 1, H - 1);
      const p00 = data[y0 * W + x0];
      const p01 = data[y0 * W + x1];
      const p10 = data[y1 * W + x0];
      const p11 = data[y1 * W + x1];
      const top = p00 + (p01 - p00) * fx;
      const bottom = p10 + (p11 - p10) * fx;
      out[o] = top + (bottom - top) * fy;
    }
  }
}

/**
 * The patches of all keypoints of `feats`, [count, size, size] back to back, from the pyramid they
 * were detected on (orbPyramid with the same options as the extraction).
 */
export function cutPatches(pyr: OrbPyramid, feats: LocalFeatures<Uint8Array | Float32Array>, g: PatchGeometry = DEFAULT_PATCH): Float32Array {
  const n = feats.count;
  const area = g.size * g.size;
  const out = new Float32Array(n * area);
  for (let k = 0; k < n; k++) {
    const lvl = pyr.levels[feats.level[k]];
    if (!lvl) throw new RangeError(`keypoint ${k} is on level ${feats.level[k]}, the pyramid has ${pyr.levels.length}`);
    // Back from original pixels to the level's integer grid, inverting orb.ts's (p + 0.5) * s - 0.5.
    const cx = Math.round((feats.x[k] + 0.5) / (lvl.sx * pyr.fx) - 0.5);
    const cy = Math.round((feats.y[k] + 0.5) / (lvl.sy * pyr.fy) - 0.5);
    cutPatch(lvl.plane, cx, cy, feats.angle[k], g, out, k * area);
  }
  return out;
}
