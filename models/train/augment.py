"""Copy-edit augmentations and the decoded training-image cache for the copy-desc descriptor.

Run with Debian's /usr/bin/python3 (numpy, PIL, torch 1.13).

Cache: every JPEG under the training root is decoded once, converted to RGB and downscaled
(Lanczos, never upscaled) so that its shorter side is at most CACHE_SHORT px, then stored in one
flat uint8 file plus an index (offset, h, w) -- out/cache/train_<short>.u8 / .idx.npy. Workers
memory-map it, so a training step costs no JPEG decoding of the sources.

Views: `make_view(img, rng, other, strength)` applies a random chain of copy edits (crop, flips,
90-degree and small rotations, colour jitter, grayscale, blur/sharpen, text/shape overlays,
padding, pasting into another image, pasting a piece of another image on top, JPEG
re-encoding) and ends with the same preprocessing as src/core/signals/embedding.ts: 'squash'
resize to SIZE x SIZE with exact (fractional) area averaging where an axis shrinks and bilinear
where it grows (axis_matrix reproduces src/core/image/resize.ts), then x = (pixel / 255 - mean) / std.
"""
from __future__ import annotations

import io
import math
import os
import random
import sys
import time

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

SIZE = 112
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
CACHE_SHORT = 160

_FONT_FILES = [
    '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
    '/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf',
]
_font_cache: dict = {}


def _font(size: int):
    key = size
    f = _font_cache.get(key)
    if f is None:
        path = next((p for p in _FONT_FILES if os.path.exists(p)), None)
        f = ImageFont.truetype(path, size) if path else ImageFont.load_default()
        _font_cache[key] = f
    return f


# ---------------------------------------------------------------------------------------------
# Cache

def list_images(root: str) -> list[str]:
    out = []
    for d, _, files in os.walk(root):
        for f in files:
            if f.lower().endswith(('.jpg', '.jpeg', '.png')):
                out.append(os.path.join(d, f))
    out.sort()
    return out


def build_cache(root: str, prefix: str, short: int = CACHE_SHORT) -> None:
    files = list_images(root)
    idx = np.zeros((len(files), 3), dtype=np.int64)
    off = 0
    t0 = time.time()
    tmp = prefix + '.u8.tmp'
    with open(tmp, 'wb') as fh:
        for k, p in enumerate(files):
            im = Image.open(p).convert('RGB')
            w, h = im.size
            s = min(w, h)
            if s > short:
                r = short / s
                im = im.resize((max(1, round(w * r)), max(1, round(h * r))), Image.LANCZOS)
            a = np.asarray(im, dtype=np.uint8)
            fh.write(a.tobytes())
            idx[k] = (off, a.shape[0], a.shape[1])
            off += a.size
    os.replace(tmp, prefix + '.u8')
    np.save(prefix + '.idx.npy', idx)
    with open(prefix + '.files.txt', 'w') as fh:
        fh.write('\n'.join(os.path.relpath(p, root) for p in files) + '\n')
    print(f'cache: {len(files)} images, {off / 1e6:.1f} MB, {time.time() - t0:.1f}s', file=sys.stderr)


class ImageCache:
    def __init__(self, prefix: str):
        self.idx = np.load(prefix + '.idx.npy')
        self.data = np.memmap(prefix + '.u8', dtype=np.uint8, mode='r')

    def __len__(self) -> int:
        return len(self.idx)

    def get(self, i: int) -> Image.Image:
        off, h, w = (int(v) for v in self.idx[i])
        a = np.asarray(self.data[off:off + h * w * 3]).reshape(h, w, 3)
        return Image.fromarray(a)


# ---------------------------------------------------------------------------------------------
# Edits (each takes and returns an RGB PIL image)

def rand_color(rng: random.Random):
    return tuple(rng.randrange(256) for _ in range(3))


def random_resized_crop(img, rng, scale=(0.2, 1.0), ratio=(0.5, 2.0)):
    w, h = img.size
    area = w * h
    for _ in range(10):
        a = area * rng.uniform(*scale)
        r = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        cw = int(round(math.sqrt(a * r)))
        ch = int(round(math.sqrt(a / r)))
        if 8 <= cw <= w and 8 <= ch <= h:
            x = rng.randint(0, w - cw)
            y = rng.randint(0, h - ch)
            return img.crop((x, y, x + cw, y + ch))
    return img


def rotate_small(img, rng, max_deg=20.0):
    deg = rng.uniform(-max_deg, max_deg)
    mode = rng.random()
    if mode < 0.4:
        # Rotated inside the frame, corners filled with a colour.
        return img.rotate(deg, resample=Image.BILINEAR, expand=False, fillcolor=rand_color(rng) if rng.random() < 0.5 else (0, 0, 0))
    if mode < 0.7:
        return img.rotate(deg, resample=Image.BILINEAR, expand=True, fillcolor=rand_color(rng) if rng.random() < 0.5 else (0, 0, 0))
    # Rotate and crop to the largest axis-aligned inner rectangle (no fill).
    w, h = img.size
    r = img.rotate(deg, resample=Image.BILINEAR, expand=True)
    a = math.radians(abs(deg))
    sin, cos = math.sin(a), math.cos(a)
    side_long, side_short = (w, h) if w >= h else (h, w)
    if side_short <= 2.0 * sin * cos * side_long or abs(sin - cos) < 1e-10:
        x = 0.5 * side_short
        wr, hr = (x / sin, x / cos) if w >= h else (x / cos, x / sin)
    else:
        cos2 = cos * cos - sin * sin
        wr, hr = (w * cos - h * sin) / cos2, (h * cos - w * sin) / cos2
    rw, rh = r.size
    wr, hr = max(8, int(wr)), max(8, int(hr))
    x0, y0 = (rw - wr) // 2, (rh - hr) // 2
    return r.crop((x0, y0, x0 + wr, y0 + hr))


def color_jitter(img, rng):
    ops = [0, 1, 2, 3]
    rng.shuffle(ops)
    for o in ops:
        if rng.random() < 0.7:
            if o == 0:
                img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.5, 1.6))
            elif o == 1:
                img = ImageEnhance.Contrast(img).enhance(rng.uniform(0.5, 1.6))
            elif o == 2:
                img = ImageEnhance.Color(img).enhance(rng.uniform(0.3, 1.8))
            else:
                hsv = np.asarray(img.convert('HSV')).copy()
                hsv[..., 0] = (hsv[..., 0].astype(np.int16) + rng.randint(-25, 25)) % 256
                img = Image.fromarray(hsv, 'HSV').convert('RGB')
    return img


def grayscale(img, rng):
    g = ImageOps.grayscale(img)
    if rng.random() < 0.2:
        g = ImageOps.autocontrast(g)
    return g.convert('RGB')


def blur(img, rng):
    return img.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 2.0)))


def sharpen(img, rng):
    return img.filter(ImageFilter.UnsharpMask(radius=rng.uniform(1, 3), percent=rng.randint(80, 250), threshold=2))


_WORDS = ['SALE', 'copy', 'meme', 'LOL', 'when you', 'the', '2024', 'photo', 'wow', 'NEW', 'shared via',
          '@user', 'breaking', 'me:', 'nobody:', 'free', 'look at this', 'OMG', '#tbt', 'credit']


def text_overlay(img, rng):
    img = img.copy()
    w, h = img.size
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(1, 3)):
        size = max(8, int(min(w, h) * rng.uniform(0.06, 0.22)))
        txt = ' '.join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))
        x = rng.randint(-size, max(0, w - size))
        y = rng.randint(-size // 2, max(0, h - size))
        col = rand_color(rng) if rng.random() < 0.5 else rng.choice([(255, 255, 255), (0, 0, 0)])
        stroke = rng.choice([0, 0, 1, 2])
        d.text((x, y), txt, font=_font(size), fill=col, stroke_width=stroke,
               stroke_fill=(0, 0, 0) if col != (0, 0, 0) else (255, 255, 255))
    if rng.random() < 0.3:
        # Meme-style caption bar.
        bar = int(h * rng.uniform(0.1, 0.25))
        canvas = Image.new('RGB', (w, h + bar), (255, 255, 255) if rng.random() < 0.7 else (0, 0, 0))
        top = rng.random() < 0.5
        canvas.paste(img, (0, bar if top else 0))
        dd = ImageDraw.Draw(canvas)
        size = max(8, int(bar * 0.6))
        dd.text((rng.randint(0, max(1, w // 4)), (0 if top else h) + bar // 5), rng.choice(_WORDS),
                font=_font(size), fill=(0, 0, 0) if canvas.getpixel((0, 0))[0] > 128 else (255, 255, 255))
        img = canvas
    return img


def shape_overlay(img, rng):
    img = img.copy()
    w, h = img.size
    over = Image.new('RGBA', (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(over)
    for _ in range(rng.randint(1, 4)):
        s = int(min(w, h) * rng.uniform(0.08, 0.35))
        x, y = rng.randint(-s // 2, w - s // 2), rng.randint(-s // 2, h - s // 2)
        col = rand_color(rng) + (rng.randint(120, 255),)
        k = rng.random()
        if k < 0.35:
            d.ellipse((x, y, x + s, y + s), fill=col)
        elif k < 0.7:
            d.rectangle((x, y, x + s, y + int(s * rng.uniform(0.3, 1.5))), fill=col)
        else:
            pts = [(x + rng.randint(0, s), y + rng.randint(0, s)) for _ in range(3)]
            d.polygon(pts, fill=col)
    return Image.alpha_composite(img.convert('RGBA'), over).convert('RGB')


def pad(img, rng):
    w, h = img.size
    f = rng.uniform(0.03, 0.3)
    l, r = int(w * f * rng.random()), int(w * f * rng.random())
    t, b = int(h * f * rng.random()), int(h * f * rng.random())
    col = rand_color(rng) if rng.random() < 0.6 else rng.choice([(0, 0, 0), (255, 255, 255)])
    return ImageOps.expand(img, border=(l, t, r, b), fill=col)


def paste_into(img, rng, other):
    """The image becomes a region of another (background) image."""
    bg = other
    bw, bh = bg.size
    f = rng.uniform(0.45, 0.9)
    w, h = img.size
    s = min(bw * f / w, bh * f / h)
    nw, nh = max(8, int(w * s)), max(8, int(h * s))
    im = img.resize((nw, nh), Image.BILINEAR)
    bg = bg.copy()
    bg.paste(im, (rng.randint(0, bw - nw), rng.randint(0, bh - nh)))
    return bg


def paste_piece(img, rng, other):
    """A piece of another image pasted on top."""
    img = img.copy()
    w, h = img.size
    ow, oh = other.size
    f = rng.uniform(0.15, 0.45)
    pw, ph = max(4, int(ow * f)), max(4, int(oh * f))
    x, y = rng.randint(0, ow - pw), rng.randint(0, oh - ph)
    piece = other.crop((x, y, x + pw, y + ph))
    s = rng.uniform(0.15, 0.45) * min(w, h) / max(pw, ph)
    piece = piece.resize((max(4, int(pw * s)), max(4, int(ph * s))), Image.BILINEAR)
    img.paste(piece, (rng.randint(0, max(0, w - piece.size[0])), rng.randint(0, max(0, h - piece.size[1]))))
    return img


def jpeg(img, rng, lo=15, hi=85):
    buf = io.BytesIO()
    img.save(buf, format='JPEG', quality=rng.randint(lo, hi))
    buf.seek(0)
    return Image.open(buf).convert('RGB')


def rescale(img, rng):
    """Down- (and sometimes up-) scale, as re-uploads do."""
    w, h = img.size
    s = rng.uniform(0.4, 1.3)
    return img.resize((max(8, int(w * s)), max(8, int(h * s))), rng.choice([Image.BILINEAR, Image.BICUBIC, Image.LANCZOS, Image.NEAREST]))


# ---------------------------------------------------------------------------------------------
# View = chain of edits + the TS preprocessing

_TAPS: dict = {}


def axis_taps(src_len: int, dst_len: int, start: float = 0.0, span: float | None = None):
    """(idx [dst_len, n], weights [dst_len, n]) exactly as axisTaps in src/core/image/resize.ts:
    where the axis shrinks, the exact area average over [start + i*scale, start + (i+1)*scale) with
    fractional edge weights; where it grows, bilinear on pixel centres; taps outside the image are
    clamped onto the edge pixels; weights normalised to sum 1. (PIL's BOX filter rounds the window
    to whole pixels, so it is not the same.)"""
    span = float(src_len) if span is None else span
    key = (src_len, dst_len, start, span)
    r = _TAPS.get(key)
    if r is not None:
        return r
    scale = span / dst_len
    i = np.arange(dst_len, dtype=np.float64)
    if scale > 1:
        a = start + i * scale
        b = a + scale
        s0 = np.floor(a).astype(np.int64)
        n = int(np.max(np.ceil(b) - s0))
        j = s0[:, None] + np.arange(n)[None, :]
        w = np.clip(np.minimum(b[:, None], j + 1) - np.maximum(a[:, None], j), 0, None)
    else:
        c = start + (i + 0.5) * scale - 0.5
        s0 = np.floor(c).astype(np.int64)
        t = c - s0
        j = np.stack([s0, s0 + 1], 1)
        w = np.stack([1 - t, t], 1)
    w = w / w.sum(1, keepdims=True)
    r = (np.clip(j, 0, src_len - 1), w.astype(np.float32))
    if len(_TAPS) < 8192:
        _TAPS[key] = r
    return r


def squash_float(img: Image.Image, size: int = SIZE) -> np.ndarray:
    """'squash' resize as src/core/signals/embedding.ts preprocess: float32 CHW in 0..255, not rounded."""
    a = np.asarray(img, dtype=np.float32)
    h, w = a.shape[:2]
    jh, wh = axis_taps(h, size)
    jw, ww = axis_taps(w, size)
    t = (a[jh] * wh[:, :, None, None]).sum(1)  # [y, w, c]
    o = (t[:, jw] * ww[None, :, :, None]).sum(2)  # [y, x, c]
    return np.ascontiguousarray(o.transpose(2, 0, 1))


def squash_resize(img: Image.Image, size: int = SIZE) -> Image.Image:
    """For pictures only (rounded to uint8)."""
    return Image.fromarray(np.clip(np.rint(squash_float(img, size)), 0, 255).astype(np.uint8).transpose(1, 2, 0))


_MEAN = np.array(MEAN, dtype=np.float32).reshape(3, 1, 1)
_STD = np.array(STD, dtype=np.float32).reshape(3, 1, 1)


def to_array(chw: np.ndarray) -> np.ndarray:
    """x = (pixel / 255 - mean) / std, CHW float32, from squash_float output."""
    return (chw / 255.0 - _MEAN) / _STD


def heavy_edit(img, rng: random.Random, other_fn) -> Image.Image:
    """Random copy-edit chain (probabilities chosen for copy detection, rotations and grayscale
    deliberately frequent)."""
    if rng.random() < 0.1:
        img = paste_into(img, rng, other_fn())
    if rng.random() < 0.8:
        img = random_resized_crop(img, rng)
    if rng.random() < 0.5:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    if rng.random() < 0.08:
        img = img.transpose(Image.FLIP_TOP_BOTTOM)
    if rng.random() < 0.3:
        img = img.transpose(rng.choice([Image.ROTATE_90, Image.ROTATE_180, Image.ROTATE_270]))
    if rng.random() < 0.3:
        img = rotate_small(img, rng)
    if rng.random() < 0.6:
        img = color_jitter(img, rng)
    if rng.random() < 0.25:
        img = grayscale(img, rng)
    k = rng.random()
    if k < 0.2:
        img = blur(img, rng)
    elif k < 0.3:
        img = sharpen(img, rng)
    if rng.random() < 0.2:
        img = text_overlay(img, rng)
    if rng.random() < 0.15:
        img = shape_overlay(img, rng)
    if rng.random() < 0.12:
        img = paste_piece(img, rng, other_fn())
    if rng.random() < 0.12:
        img = pad(img, rng)
    if rng.random() < 0.3:
        img = rescale(img, rng)
    if rng.random() < 0.5:
        img = jpeg(img, rng)
    return img


def make_pair(img, rng: random.Random, other_fn, clean_p: float = 0.35):
    """Two views of one image. With probability clean_p the first view is the unedited image (as a
    reference in the index is); otherwise both are edited."""
    a = img if rng.random() < clean_p else heavy_edit(img, rng, other_fn)
    b = heavy_edit(img, rng, other_fn)
    return to_array(squash_float(a)), to_array(squash_float(b))


if __name__ == '__main__':
    # Quick visual check: python3 augment.py <cache-prefix> <out.png>
    cache = ImageCache(sys.argv[1])
    rng = random.Random(0)
    tiles = []
    for i in range(8):
        img = cache.get(rng.randrange(len(cache)))
        row = [squash_resize(img)]
        for _ in range(7):
            row.append(squash_resize(heavy_edit(img, rng, lambda: cache.get(rng.randrange(len(cache))))))
        tiles.append(row)
    sheet = Image.new('RGB', (SIZE * 8, SIZE * 8))
    for r, row in enumerate(tiles):
        for c, t in enumerate(row):
            sheet.paste(t, (c * SIZE, r * SIZE))
    sheet.save(sys.argv[2])
    t0 = time.time()
    for _ in range(200):
        make_pair(cache.get(rng.randrange(len(cache))), rng, lambda: cache.get(rng.randrange(len(cache))))
    print(f'{(time.time() - t0) / 200 * 1000:.1f} ms per pair')
