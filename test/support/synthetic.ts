/**
 * Synthetic test images made from a seed (shapes and gradients over a textured background), so
 * tests have real-looking structure without shipping third-party photos. Pure TS: runs in Node and
 * in workerd.
 */
import type { RGBAImage } from '../../src/core/image/types.ts';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticImage(seed: number, width = 320, height = 240): RGBAImage {
  const r = rng(seed);
  const data = new Uint8ClampedArray(width * height * 4);
  const base = [r() * 255, r() * 255, r() * 255];
  const grad = [r() * 2 - 1, r() * 2 - 1, r() * 2 - 1];
  const shapes = Array.from({ length: 14 }, () => ({
    cx: r() * width, cy: r() * height, rx: 10 + r() * width * 0.3, ry: 10 + r() * height * 0.3,
    round: r() < 0.5, col: [r() * 255, r() * 255, r() * 255],
  }));
  const freq = 0.02 + r() * 0.1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const tex = 20 * Math.sin(x * freq + Math.cos(y * freq * 1.3) * 3);
      let c = base.map((b, k) => b + grad[k] * (x - width / 2) * 0.6 + tex);
      for (const s of shapes) {
        const dx = (x - s.cx) / s.rx, dy = (y - s.cy) / s.ry;
        const inside = s.round ? dx * dx + dy * dy < 1 : Math.abs(dx) < 1 && Math.abs(dy) < 1;
        if (inside) c = s.col.map((v) => v + tex * 0.5);
      }
      data[i] = c[0]; data[i + 1] = c[1]; data[i + 2] = c[2]; data[i + 3] = 255;
    }
  }
  return { width, height, data };
}

/** Area-average resize, for making a rescaled "copy". */
export function resize(img: RGBAImage, w: number, h: number): RGBAImage {
  const out = new Uint8ClampedArray(w * h * 4);
  const sx = img.width / w, sy = img.height / h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor(x * sx), x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx));
      const y0 = Math.floor(y * sy), y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy));
      const acc = [0, 0, 0, 0];
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) {
        const i = (yy * img.width + xx) * 4;
        for (let k = 0; k < 4; k++) acc[k] += img.data[i + k];
      }
      const n = (x1 - x0) * (y1 - y0);
      for (let k = 0; k < 4; k++) out[(y * w + x) * 4 + k] = acc[k] / n;
    }
  }
  return { width: w, height: h, data: out };
}

export function flipHorizontal(img: RGBAImage): RGBAImage {
  const out = new Uint8ClampedArray(img.data.length);
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) {
    const s = (y * img.width + x) * 4, d = (y * img.width + (img.width - 1 - x)) * 4;
    for (let k = 0; k < 4; k++) out[d + k] = img.data[s + k];
  }
  return { width: img.width, height: img.height, data: out };
}
