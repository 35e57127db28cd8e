/**
 * Perspective warp of an RGBA image with bilinear sampling, the counterpart of OpenCV's
 * warpPerspective: it makes copies with a known transform for tests and benchmarks, and can
 * render a verified reference in the query's frame. Hand-written because Workers lack OpenCV.
 */
import type { RGBAImage } from '../image/types.ts';
import { invert3x3 } from './models.ts';

/**
 * Image of `width` x `height` whose pixel p shows `img` at H^-1 p, i.e. H maps source pixel
 * coordinates (centres at integers) to output coordinates. Pixels that fall outside the source
 * get `fill` (RGBA).
 */
export function warpPerspective(
  img: RGBAImage,
  H: ArrayLike<number>,
  width: number,
  height: number,
  fill: [number, number, number, number] = [0, 0, 0, 255],
): RGBAImage {
  const inv = invert3x3(H);
  if (!inv) throw new RangeError('warpPerspective: the transform is singular');
  const { width: W, height: Hh, data } = img;
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const w = inv[6] * x + inv[7] * y + inv[8];
      const sx = (inv[0] * x + inv[1] * y + inv[2]) / w;
      const sy = (inv[3] * x + inv[4] * y + inv[5]) / w;
      // Half a pixel of slack so edge pixels of an identity warp are kept.
      if (!(sx >= -0.5 && sy >= -0.5 && sx <= W - 0.5 && sy <= Hh - 0.5)) {
        out[o] = fill[0];
        out[o + 1] = fill[1];
        out[o + 2] = fill[2];
        out[o + 3] = fill[3];
        continue;
      }
      const cx = Math.min(W - 1, Math.max(0, sx));
      const cy = Math.min(Hh - 1, Math.max(0, sy));
      const x0 = Math.min(W - 2, Math.floor(cx));
      const y0 = Math.min(Hh - 2, Math.floor(cy));
      const fx = W > 1 ? cx - x0 : 0;
      const fy = Hh > 1 ? cy - y0 : 0;
      const p00 = (Math.max(0, y0) * W + Math.max(0, x0)) * 4;
      const p01 = p00 + (W > 1 ? 4 : 0);
      const p10 = p00 + (Hh > 1 ? W * 4 : 0);
      const p11 = p10 + (W > 1 ? 4 : 0);
      for (let k = 0; k < 4; k++) {
        const top = data[p00 + k] + (data[p01 + k] - data[p00 + k]) * fx;
        const bottom = data[p10 + k] + (data[p11 + k] - data[p10 + k]) * fx;
        out[o + k] = top + (bottom - top) * fy;
      }
    }
  }
  return { width, height, data: out };
}
