#!/usr/bin/env python3
"""Builds a labelled synthetic copy-detection set from ../shared/train ONLY, to fit and calibrate
the fusion model (models/fusion.json) without touching the s1 benchmark.

Why: fusion weights and the copy/review thresholds need labelled (query, source) pairs, and s1 is the
benchmark, which must stay unseen. This makes a set in the spirit of s1 (edit families and tiers as
../shared/bench/s1/gen/README.md describes them; no s1 code or image used) from other photos.

What: a seeded shuffle of ../shared/train, skipping near-duplicates (16x16 grayscale thumbnail
correlation > --dup-corr with a photo already taken), gives three disjoint pools: --refs references
(copied as R#####.jpg, longest side <= 768, JPEG q92), --distractors never-indexed photos and
--backgrounds never-indexed photos used only as paste-into backgrounds. --positives of the refs get one
edited copy each, every distractor gets one edited copy; queries are named Q + 10 random hex digits.
Tier per query 30/40/30 easy/medium/hard, then one edit family uniformly within the tier. Output
JPEG q70-95 unless the edit is an encode. Writes OUT/refs, OUT/queries, OUT/truth.csv
(query,source,tier,transform; source empty = distractor). Deterministic given --seed.

  /usr/bin/python3 models/train/make_calibration_set.py --train ../shared/train --out out/calib --seed 1
"""
import argparse
import csv
import math
import os
import random
import shutil

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

FONT_DIR = '/usr/share/fonts/truetype/dejavu'
FONTS = ['DejaVuSans-Bold.ttf', 'DejaVuSans.ttf', 'DejaVuSerif-Bold.ttf', 'DejaVuSansMono.ttf']
WORDS = ('sale new hello world copy photo summer vibes best day ever free ship now limited offer wow '
         'look at this lol omg breaking news original content follow like share 2024 top tips').split()


def font(px, rng):
    return ImageFont.truetype(os.path.join(FONT_DIR, rng.choice(FONTS)), max(8, int(px)))


def rand_color(rng):
    return tuple(rng.randrange(256) for _ in range(3))


def thumb(path):
    a = np.asarray(Image.open(path).convert('L').resize((16, 16), Image.BILINEAR), np.float64).ravel()
    a -= a.mean()
    n = np.linalg.norm(a)
    return a / n if n > 1e-9 else None


def load(path):
    im = ImageOps.exif_transpose(Image.open(path)).convert('RGB')
    im.thumbnail((768, 768), Image.LANCZOS)  # only ever shrinks: longest side <= 768
    return im


# ---- edits: each takes (im, rng, ctx) and returns (im, label, fmt); fmt None = default JPEG ----
def scaled(im, s, sy=None):
    return im.resize((max(1, round(im.width * s)), max(1, round(im.height * (s if sy is None else sy)))), Image.LANCZOS)


def e_rescale(im, r, c):
    s = max(r.uniform(0.3, 1.5), 96 / max(im.size))  # train photos are small (<= 256 px): keep >= 96 px
    return scaled(im, s), f'rescale{s:.2f}', None


def e_jpeg(im, r, c):
    return im, f'jpeg{(q := r.randint(20, 90))}', ('JPEG', {'quality': q})


def e_webp(im, r, c):
    return im, f'webp{(q := r.randint(50, 90))}', ('WEBP', {'quality': q})


def e_png(im, r, c):
    s = r.uniform(0.45, 0.7)
    return scaled(im, s), f'png{s:.2f}', ('PNG', {})


def e_brightcon(im, r, c):
    b, k = r.uniform(0.8, 1.2), r.uniform(0.8, 1.2)
    return ImageEnhance.Contrast(ImageEnhance.Brightness(im).enhance(b)).enhance(k), f'bc{b:.2f}_{k:.2f}', None


def e_gray(im, r, c):
    return im.convert('L').convert('RGB'), 'gray', None


def e_border(im, r, c):
    px = max(2, round(r.randint(2, 24) * max(im.size) / 512))
    return ImageOps.expand(im, border=px, fill=rand_color(r)), f'border{px}', None


def crop_area(im, r, lo, hi):
    a = r.uniform(lo, hi)
    ar = r.uniform(0.75, 1.33)
    w = min(im.width, round(im.width * math.sqrt(a * ar)))
    h = min(im.height, round(im.height * a / (w / im.width)))
    x, y = r.randint(0, im.width - w), r.randint(0, im.height - h)
    return im.crop((x, y, x + w, y + h)), f'crop{w * h / (im.width * im.height):.2f}'


def e_crop_med(im, r, c):
    return (*crop_area(im, r, 0.5, 0.87), None)


def e_crop_hard(im, r, c):
    return (*crop_area(im, r, 0.23, 0.5), None)


def e_hflip(im, r, c):
    return ImageOps.mirror(im), 'hflip', None


def e_rotate(im, r, c):
    deg = r.uniform(5, 20) * r.choice([-1, 1])
    fill = r.choice([(0, 0, 0), (255, 255, 255)])
    return im.rotate(deg, Image.BICUBIC, expand=r.random() < 0.5, fillcolor=fill), f'rot{deg:.1f}', None


def e_jitter(im, r, c):
    b, k, s, h = r.uniform(0.6, 1.4), r.uniform(0.6, 1.4), r.uniform(0.3, 1.7), r.uniform(-0.1, 0.1)
    im = ImageEnhance.Color(ImageEnhance.Contrast(ImageEnhance.Brightness(im).enhance(b)).enhance(k)).enhance(s)
    hsv = np.asarray(im.convert('HSV')).copy()
    hsv[..., 0] = (hsv[..., 0].astype(int) + int(h * 255)) % 256
    return Image.fromarray(hsv, 'HSV').convert('RGB'), f'jitter{b:.2f}_{k:.2f}_{s:.2f}_{h:.2f}', None


def e_blur(im, r, c):
    rad = r.uniform(1.5, 4) * max(im.size) / 512  # s1 radii are for ~768 px photos
    return im.filter(ImageFilter.GaussianBlur(max(0.8, rad))), f'blur{rad:.1f}', None


def e_noise(im, r, c):
    s = r.uniform(8, 30)
    a = np.asarray(im, np.float32) + c['np'].normal(0, s, (im.height, im.width, 3))
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)), f'noise{s:.0f}', None


def e_text(im, r, c):
    im = im.copy()
    d = ImageDraw.Draw(im)
    n = r.randint(1, 3)
    for _ in range(n):
        f = font(im.height * r.uniform(0.06, 0.15), r)
        txt = ' '.join(r.choice(WORDS) for _ in range(r.randint(1, 3)))
        d.text((r.randint(0, im.width // 2), r.randint(0, im.height * 4 // 5)), txt, fill=rand_color(r), font=f,
               stroke_width=r.choice([0, 1, 2]), stroke_fill=rand_color(r))
    return im, f'text{n}', None


def e_aspect(im, r, c):
    return scaled(im, (a := r.uniform(0.6, 1.5)), 1.0), f'aspect{a:.2f}', None


def e_logo(im, r, c):
    im, frac = im.copy(), r.uniform(0.10, 0.22)
    sz = max(8, round(min(im.size) * frac))
    patch = Image.new('RGBA', (sz, sz), (0, 0, 0, 0))
    d, col, kind = ImageDraw.Draw(patch), rand_color(r) + (255,), r.choice(['circle', 'square', 'star', 'face'])
    if kind == 'star':
        rad = [sz / 2 if i % 2 == 0 else sz / 5 for i in range(10)]
        d.polygon([(sz / 2 + rad[i] * math.cos(math.pi * i / 5 - math.pi / 2),
                    sz / 2 + rad[i] * math.sin(math.pi * i / 5 - math.pi / 2)) for i in range(10)], fill=col)
    elif kind == 'square':
        d.rounded_rectangle((0, 0, sz - 1, sz - 1), radius=sz // 5, fill=col)
        d.text((sz * 0.2, sz * 0.15), r.choice('ABCXYZ'), fill=rand_color(r) + (255,), font=font(sz * 0.6, r))
    else:
        d.ellipse((0, 0, sz - 1, sz - 1), fill=(255, 210, 0, 255) if kind == 'face' else col)
        if kind == 'face':
            d.ellipse((sz * .25, sz * .3, sz * .4, sz * .45), fill=(0, 0, 0, 255))
            d.ellipse((sz * .6, sz * .3, sz * .75, sz * .45), fill=(0, 0, 0, 255))
            d.arc((sz * .25, sz * .4, sz * .75, sz * .8), 20, 160, fill=(0, 0, 0, 255), width=max(1, sz // 15))
    im.paste(patch, (r.randint(0, im.width - sz), r.randint(0, im.height - sz)), patch)
    return im, f'{kind}{frac:.2f}', None


def e_paste(im, r, c):
    bg = load(c['bgs'][r.randrange(len(c['bgs']))])
    bg = bg.resize((max(bg.width, im.width), round(bg.height * max(bg.width, im.width) / bg.width)), Image.LANCZOS)
    cov = r.uniform(0.3, 0.7)
    s = math.sqrt(cov * bg.width * bg.height / (im.width * im.height))
    s = min(s, bg.width / im.width, bg.height / im.height)
    fg = scaled(im, s)
    bg.paste(fg, (r.randint(0, bg.width - fg.width), r.randint(0, bg.height - fg.height)))
    return bg, f'paste{fg.width * fg.height / (bg.width * bg.height):.2f}', None


def e_meme(im, r, c):
    top, bot = (r.uniform(0.12, 0.25) if r.random() < 0.8 else 0), r.uniform(0.12, 0.25)
    ht, hb = round(im.height * top), round(im.height * bot)
    out = Image.new('RGB', (im.width, im.height + ht + hb), r.choice([(255, 255, 255), (0, 0, 0)]))
    out.paste(im, (0, ht))
    d = ImageDraw.Draw(out)
    ink = (0, 0, 0) if out.getpixel((0, 0)) == (255, 255, 255) else (255, 255, 255)
    for y, h in ((0, ht), (ht + im.height, hb)):
        if h:
            f = font(h * 0.6, r)
            d.text((im.width * 0.05, y + h * 0.15), ' '.join(r.choice(WORDS) for _ in range(3)).upper(), fill=ink, font=f)
    return out, f'meme{top:.2f}_{bot:.2f}', None


def e_perspective(im, r, c):
    (w, h), m = im.size, r.uniform(0.08, 0.2)
    dst = [(0, 0), (w, 0), (w, h), (0, h)]
    src = [(x + r.uniform(-m, m) * w, y + r.uniform(-m, m) * h) for x, y in dst]
    A = [row for (x, y), (u, v) in zip(dst, src)  # maps output (x, y) -> input (u, v)
         for row in ([x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y])]
    coef = np.linalg.solve(np.array(A, float), np.array([c for uv in src for c in uv], float))
    return im.transform((w, h), Image.PERSPECTIVE, tuple(coef), Image.BICUBIC, fillcolor=(0, 0, 0)), f'persp{m:.2f}', None


def e_rot90(im, r, c):
    return im.rotate((k := r.choice([90, 180, 270])), expand=True), f'rot{k}', None


MEDIUM = [e_crop_med, e_hflip, e_rotate, e_jitter, e_blur, e_noise, e_text, e_aspect, e_logo]


def e_combo(im, r, c):
    labs = []
    for e in r.sample(MEDIUM, r.randint(3, 4)):
        im, lab, _ = e(im, r, c)
        labs.append(lab)
    return im, 'combo:' + '+'.join(labs), None


TIERS = {
    'easy': [e_rescale, e_jpeg, e_webp, e_png, e_brightcon, e_gray, e_border],
    'medium': MEDIUM,
    'hard': [e_crop_hard, e_paste, e_meme, e_perspective, e_rot90, e_combo],
}


def pick_pools(train, n_total, dup_corr, rng):
    files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(train) for f in fs if f.lower().endswith('.jpg'))
    rng.shuffle(files)
    taken, thumbs = [], np.zeros((0, 256))
    for f in files:
        t = thumb(f)
        if t is None or (len(thumbs) and float(np.max(thumbs @ t)) > dup_corr):
            continue
        taken.append(f)
        thumbs = np.vstack([thumbs, t])
        if len(taken) == n_total:
            return taken
    raise SystemExit(f'only {len(taken)} usable photos in {train}, need {n_total}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--train', default='../shared/train')
    ap.add_argument('--out', default='out/calib')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--refs', type=int, default=600)
    ap.add_argument('--positives', type=int, default=300, help='refs that get one edited copy each')
    ap.add_argument('--distractors', type=int, default=300)
    ap.add_argument('--backgrounds', type=int, default=150)
    ap.add_argument('--dup-corr', type=float, default=0.9)
    a = ap.parse_args()
    if 'bench' in os.path.abspath(a.train).split(os.sep):
        raise SystemExit('refusing to read a benchmark directory')
    rng = random.Random(a.seed)
    pool = pick_pools(a.train, a.refs + a.distractors + a.backgrounds, a.dup_corr, rng)
    refs, dis, bgs = pool[:a.refs], pool[a.refs:a.refs + a.distractors], pool[a.refs + a.distractors:]
    for sub in ('refs', 'queries'):
        shutil.rmtree(os.path.join(a.out, sub), ignore_errors=True)
        os.makedirs(os.path.join(a.out, sub))
    ref_id = {f: f'R{i:05d}' for i, f in enumerate(refs)}
    for f in refs:
        load(f).save(os.path.join(a.out, 'refs', ref_id[f] + '.jpg'), quality=92)
    jobs = [(f, ref_id[f]) for f in rng.sample(refs, a.positives)] + [(f, '') for f in dis]
    rng.shuffle(jobs)
    rows, used, ctx = [], set(), {'bgs': bgs}
    for i, (f, src) in enumerate(jobs):
        r = random.Random(f'{a.seed}-q{i}')
        ctx['np'] = np.random.default_rng([a.seed, i])
        tier = r.choices(['easy', 'medium', 'hard'], [0.3, 0.4, 0.3])[0]
        im, lab, fmt = r.choice(TIERS[tier])(load(f), r, ctx)
        while (qid := 'Q%010x' % rng.getrandbits(40)) in used:
            pass
        used.add(qid)
        kind, kw = fmt or ('JPEG', {'quality': r.randint(70, 95)})
        ext = {'JPEG': '.jpg', 'WEBP': '.webp', 'PNG': '.png'}[kind]
        im.convert('RGB').save(os.path.join(a.out, 'queries', qid + ext), kind, **kw)
        rows.append((qid, src, tier, lab))
    rows.sort()
    with open(os.path.join(a.out, 'truth.csv'), 'w', newline='') as fh:
        csv.writer(fh, lineterminator='\n').writerows([('query', 'source', 'tier', 'transform')] + rows)
    roles = [('ref', ref_id[f], f) for f in refs] + [('distractor', '', f) for f in dis] + [('background', '', f) for f in bgs]
    with open(os.path.join(a.out, 'roles.csv'), 'w', newline='') as fh:  # provenance, not read by the bench
        csv.writer(fh, lineterminator='\n').writerows([('role', 'id', 'file')] + [(x, i, os.path.relpath(f, a.train)) for x, i, f in roles])
    npos = sum(1 for x in rows if x[1])
    print(f'{len(refs)} refs, {len(rows)} queries ({npos} copies), {len(bgs)} backgrounds, seed {a.seed} -> {a.out}')


if __name__ == '__main__':
    main()
