"""Self-supervised patch pairs for the patch-desc local descriptor, cut the way copycat cuts them.

A training photo (gray, longest side <= 640 like ORB's working copy) is warped by a random
homography with photometric jitter. Corners are found on A's area pyramid (Harris, NMS), oriented by
ORB's intensity centroid; each is projected into B, where the patch is cut on the pyramid level
whose scale is nearest to the true one and oriented by B's own centroid angle, exactly as ORB would
see it at test time. So the residual scale (up to +-15 %), orientation and localisation errors of
the real detector are in the training pairs, and the descriptor learns to absorb them.

The pyramid (fractional area resize, each level from the previous) and the patch sampler (bilinear,
edge clamp, 32 x 32 at `STEP` level pixels, rotated by the keypoint angle) mirror
src/core/local/pyramid.ts and src/core/local/patches.ts; keep them in step.

Held out: every 20th photo of the sorted relative paths (`split_photos`), never trained on, is the
evaluation slice (also used by the TypeScript comparison).
"""
from __future__ import annotations

import io
import math
import os
import random

import numpy as np
import torch
from PIL import Image, ImageFilter

SIZE = 32
STEP = 1.25  # level pixels per patch pixel: a 40 px support, a little wider than ORB's 31 px disc
SCALE_FACTOR = 1.3
LEVELS = 6
MAX_SIDE = 640
HALF = 15
BORDER = 16
UMAX = [int(math.floor(math.sqrt(HALF * HALF - v * v) + 0.5)) for v in range(HALF + 1)]


def list_photos(root: str) -> list[str]:
    out = []
    for d, _, files in os.walk(root):
        for f in files:
            if f.lower().endswith(('.jpg', '.jpeg', '.png')):
                out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def split_photos(root: str) -> tuple[list[str], list[str]]:
    """(train, held_out): held out = index % 20 == 0 in the sorted relative paths."""
    paths = list_photos(root)
    return [p for i, p in enumerate(paths) if i % 20], [p for i, p in enumerate(paths) if i % 20 == 0]


def area_taps(src: int, dst: int) -> np.ndarray:
    """[dst, src] matrix of the fractional area average (pyramid.ts areaTaps)."""
    scale = src / dst
    m = np.zeros((dst, src), np.float32)
    for i in range(dst):
        a = i * scale
        b = min(src, a + scale)
        for j in range(int(math.floor(a)), min(src, int(math.ceil(b)))):
            m[i, j] = min(b, j + 1) - max(a, j)
        m[i] /= m[i].sum()
    return m


def area_resize(p: np.ndarray, w: int, h: int) -> np.ndarray:
    if p.shape == (h, w):
        return p.copy()
    return area_taps(p.shape[0], h) @ p @ area_taps(p.shape[1], w).T


def load_gray(path: str) -> np.ndarray:
    """Rec. 601 luma, area-shrunk so the longest side is <= MAX_SIDE (pyramid.ts grayWithin)."""
    im = np.asarray(Image.open(path).convert('RGB'), np.float32)
    g = 0.299 * im[..., 0] + 0.587 * im[..., 1] + 0.114 * im[..., 2]
    f = min(1.0, MAX_SIDE / max(g.shape))
    return area_resize(g, max(1, round(g.shape[1] * f)), max(1, round(g.shape[0] * f)))


def pyramid(base: np.ndarray, min_side: int = 2 * BORDER + 8) -> list[tuple[np.ndarray, float, float]]:
    """[(plane, sx, sy)]: working pixels per level pixel, as buildPyramid."""
    H, W = base.shape
    out = [(base, 1.0, 1.0)]
    for lv in range(1, LEVELS):
        s = SCALE_FACTOR ** lv
        w, h = round(W / s), round(H / s)
        if min(w, h) < min_side:
            break
        out.append((area_resize(out[-1][0], w, h), W / w, H / h))
    return out


def harris(p: np.ndarray) -> np.ndarray:
    t = torch.from_numpy(p)[None, None]
    kx = torch.tensor([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float32)[None, None] / 8
    gx = torch.nn.functional.conv2d(t, kx, padding=1)
    gy = torch.nn.functional.conv2d(t, kx.transpose(2, 3), padding=1)
    box = lambda z: torch.nn.functional.avg_pool2d(z, 5, 1, 2)  # noqa: E731
    a, b, c = box(gx * gx), box(gy * gy), box(gx * gy)
    r = a * b - c * c - 0.04 * (a + b) ** 2
    peak = (r == torch.nn.functional.max_pool2d(r, 7, 1, 3)) & (r > 1e-2)
    return (r * peak)[0, 0].numpy()


def centroid_angle(p: np.ndarray, x: int, y: int) -> float:
    """ORB's orientation (orb.ts centroidAngle) at integer (x, y) of a level plane."""
    m10 = m01 = 0.0
    for v in range(-HALF, HALF + 1):
        d = UMAX[abs(v)]
        row = p[y + v, x - d:x + d + 1]
        u = np.arange(-d, d + 1, dtype=np.float32)
        m10 += float((u * row).sum())
        m01 += v * float(row.sum())
    return math.atan2(m01, m10)


def sample_patches(p: np.ndarray, cx: np.ndarray, cy: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """[K, SIZE, SIZE] bilinear samples of the rotated grid (patches.ts cutPatch)."""
    H, W = p.shape
    g = (np.arange(SIZE, dtype=np.float32) - (SIZE - 1) / 2) * STEP
    u, v = np.meshgrid(g, g)  # u across, v down
    c, s = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    x = np.clip(cx[:, None, None] + c * u - s * v, 0, W - 1)
    y = np.clip(cy[:, None, None] + s * u + c * v, 0, H - 1)
    x0 = np.minimum(np.floor(x).astype(np.int64), max(W - 2, 0))
    y0 = np.minimum(np.floor(y).astype(np.int64), max(H - 2, 0))
    fx, fy = x - x0, y - y0
    x1, y1 = np.minimum(x0 + 1, W - 1), np.minimum(y0 + 1, H - 1)
    top = p[y0, x0] + (p[y0, x1] - p[y0, x0]) * fx
    bot = p[y1, x0] + (p[y1, x1] - p[y1, x0]) * fx
    return (top + (bot - top) * fy).astype(np.float32)


def random_homography(W: int, H: int, rng: random.Random) -> np.ndarray:
    """Maps A pixels to B pixels (B has A's size): any rotation, scale 0.5-1.6, mild shear and
    perspective, centre shifted by up to 15 %."""
    ang = rng.uniform(-math.pi, math.pi) if rng.random() < 0.7 else rng.uniform(-0.3, 0.3)
    sc = math.exp(rng.uniform(math.log(0.5), math.log(1.6)))
    asp = math.exp(rng.uniform(-0.15, 0.15))
    sh = rng.uniform(-0.15, 0.15)
    c, s = math.cos(ang), math.sin(ang)
    A = np.array([[c, -s], [s, c]]) @ np.array([[sc * asp, sh], [0, sc / asp]])
    T1 = np.array([[1, 0, -(W - 1) / 2], [0, 1, -(H - 1) / 2], [0, 0, 1]])
    M = np.eye(3)
    M[:2, :2] = A
    side = max(W, H)
    P = np.eye(3)
    P[2, 0] = rng.uniform(-0.4, 0.4) / side
    P[2, 1] = rng.uniform(-0.4, 0.4) / side
    T2 = np.array([[1, 0, (W - 1) / 2 + rng.uniform(-0.15, 0.15) * W],
                   [0, 1, (H - 1) / 2 + rng.uniform(-0.15, 0.15) * H], [0, 0, 1]])
    return T2 @ P @ M @ T1


def warp(g: np.ndarray, Hm: np.ndarray) -> np.ndarray:
    """B = A warped by Hm (bilinear, pre-blurred when shrinking so B is not aliased)."""
    Hh, W = g.shape
    J = Hm[:2, :2] / Hm[2, 2]
    shrink = math.sqrt(abs(np.linalg.det(J)))
    src = g
    if shrink < 0.85:
        sigma = 0.6 * math.sqrt(1 / shrink ** 2 - 1)
        src = np.asarray(Image.fromarray(np.clip(g, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(sigma)), np.float32)
    inv = np.linalg.inv(Hm)
    ys, xs = np.mgrid[0:Hh, 0:W].astype(np.float64)
    w = inv[2, 0] * xs + inv[2, 1] * ys + inv[2, 2]
    sx = (inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]) / w
    sy = (inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]) / w
    grid = torch.from_numpy(np.stack([sx / (W - 1) * 2 - 1, sy / (Hh - 1) * 2 - 1], -1)[None]).float()
    # Outside the picture: its mean gray, so the border is not a free, strong corner.
    fill = float(g.mean())
    out = torch.nn.functional.grid_sample(torch.from_numpy(src - fill)[None, None], grid, mode='bilinear',
                                          padding_mode='zeros', align_corners=True)[0, 0].numpy()
    return out + np.float32(fill)


def photometric(g: np.ndarray, rng: random.Random) -> np.ndarray:
    """Copy-edit photometry: contrast, brightness, gamma, blur, noise, JPEG."""
    x = g / 255.0
    if rng.random() < 0.8:
        x = np.clip(x * rng.uniform(0.6, 1.4) + rng.uniform(-0.15, 0.15), 0, 1)
        x = x ** math.exp(rng.uniform(-0.4, 0.4))
    x = (x * 255).astype(np.float32)
    im = Image.fromarray(np.clip(x, 0, 255).astype(np.uint8))
    if rng.random() < 0.3:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    if rng.random() < 0.5:
        buf = io.BytesIO()
        im.save(buf, 'JPEG', quality=rng.randint(30, 90))
        im = Image.open(io.BytesIO(buf.getvalue()))
    x = np.asarray(im, np.float32)
    if rng.random() < 0.4:
        x = x + np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(1, 6), x.shape).astype(np.float32)
    return np.clip(x, 0, 255).astype(np.float32)


def make_pairs(g: np.ndarray, rng: random.Random, per_image: int = 48):
    """(patches A [K,32,32], patches B [K,32,32], positions in A's original pixels [K,2])."""
    H, W = g.shape
    if min(H, W) < 2 * BORDER + 8:
        return None
    Hm = random_homography(W, H, rng)
    b = photometric(warp(g, Hm), rng)
    pa, pb = pyramid(g), pyramid(b)
    # Candidate corners per level, quota falling with the level area as ORB's does.
    cands = []
    for lv, (p, sx, sy) in enumerate(pa):
        r = harris(p)
        r[:BORDER] = r[-BORDER:] = 0
        r[:, :BORDER] = r[:, -BORDER:] = 0
        ys, xs = np.nonzero(r)
        order = np.argsort(-r[ys, xs])[: max(4, int(per_image * 0.7 ** lv))]
        for i in rng.sample(list(order), min(len(order), max(2, int(per_image * 0.45 * 0.7 ** lv)))):
            cands.append((lv, int(xs[i]), int(ys[i])))
    rng.shuffle(cands)
    A, B, pos = [], [], []
    for lv, x, y in cands:
        p, sx, sy = pa[lv]
        ox, oy = (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5
        q = Hm @ np.array([ox, oy, 1.0])
        bx, by = q[0] / q[2], q[1] / q[2]
        # Local scale of the warp at this point, from its Jacobian.
        e = 1.0
        qx = Hm @ np.array([ox + e, oy, 1.0])
        qy = Hm @ np.array([ox, oy + e, 1.0])
        jx = np.array([qx[0] / qx[2] - bx, qx[1] / qx[2] - by])
        jy = np.array([qy[0] / qy[2] - bx, qy[1] / qy[2] - by])
        loc = math.sqrt(abs(jx[0] * jy[1] - jx[1] * jy[0]))
        want = math.sqrt(sx * sy) * loc
        lb = min(len(pb) - 1, max(0, round(math.log(max(want, 1e-6)) / math.log(SCALE_FACTOR))))
        if abs(math.log(want) / math.log(SCALE_FACTOR) - lb) > 1.0:
            continue  # outside B's pyramid: ORB could not have found it at a comparable scale
        qb, sbx, sby = pb[lb]
        # Detector localisation noise: about half a level pixel, then the integer grid.
        ix = round((bx + 0.5) / sbx - 0.5 + rng.gauss(0, 0.5))
        iy = round((by + 0.5) / sby - 0.5 + rng.gauss(0, 0.5))
        if not (BORDER <= ix < qb.shape[1] - BORDER and BORDER <= iy < qb.shape[0] - BORDER):
            continue
        # B must show real content there (not the fill around the warped picture).
        inv = np.linalg.inv(Hm) @ np.array([(ix + 0.5) * sbx - 0.5, (iy + 0.5) * sby - 0.5, 1.0])
        if not (BORDER * sx <= inv[0] / inv[2] < W - BORDER * sx and BORDER * sy <= inv[1] / inv[2] < H - BORDER * sy):
            continue
        A.append((lv, x, y, centroid_angle(p, x, y)))
        B.append((lb, ix, iy, centroid_angle(qb, ix, iy)))
        pos.append((ox, oy))
        if len(pos) >= per_image:
            break
    if len(pos) < 4:
        return None
    return cut(pa, A), cut(pb, B), np.array(pos, np.float32)


def cut(pyr, kps) -> np.ndarray:
    out = np.zeros((len(kps), SIZE, SIZE), np.float32)
    for lv in {k[0] for k in kps}:
        idx = [i for i, k in enumerate(kps) if k[0] == lv]
        arr = np.array([kps[i][1:] for i in idx], np.float64)
        out[idx] = sample_patches(pyr[lv][0], arr[:, 0], arr[:, 1], arr[:, 2])
    return out


class PatchPairs(torch.utils.data.IterableDataset):
    """Endless stream of (a, b, pos, image_id) rows, `per_image` from each random photo."""

    def __init__(self, root: str, paths: list[str], per_image: int = 48, seed: int = 0):
        self.root, self.paths, self.per_image, self.seed = root, paths, per_image, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info else 0
        rng = random.Random(self.seed * 1000 + wid + torch.initial_seed() % 100000)
        n = 0
        while True:
            path = self.paths[rng.randrange(len(self.paths))]
            try:
                g = load_gray(os.path.join(self.root, path))
                r = make_pairs(g, rng, self.per_image)
            except (OSError, ValueError, np.linalg.LinAlgError):
                continue
            if r is None:
                continue
            n += 1
            a, b, pos = r
            for i in range(len(a)):
                yield a[i], b[i], pos[i], n * 64 + wid


if __name__ == '__main__':
    import sys
    import time
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'train')
    tr, ho = split_photos(root)
    print(len(tr), len(ho))
    rng = random.Random(1)
    t = time.time()
    k = 0
    sheet = []
    for p in tr[:: len(tr) // 20][:20]:
        r = make_pairs(load_gray(os.path.join(root, p)), rng)
        if r:
            k += len(r[0])
            sheet.append(np.concatenate([np.concatenate(list(r[0][:8]), 1), np.concatenate(list(r[1][:8]), 1)], 0)) if len(r[0]) >= 8 else None
    print(f'{k} pairs in {time.time() - t:.2f}s')
    if len(sys.argv) > 2:
        Image.fromarray(np.clip(np.concatenate(sheet[:10], 0), 0, 255).astype(np.uint8)).save(sys.argv[2])
