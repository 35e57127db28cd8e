"""Self-supervised training of the copy-desc descriptor on ../shared/train (unlabelled).

  /usr/bin/python3 models/train/train.py --loss infonce --minutes 60 --out out/train/main

Wall-clock budget: the LR schedule (linear warm-up, then cosine to 0) is a function of the
training time spent so far / --minutes, so the run ends on schedule whatever the throughput.
Every --ckpt-every seconds the model, optimizer, step and time spent go to <out>/ckpt.pt
(atomic rename); --resume continues from it with the same schedule. Loss per --log-every steps
goes to <out>/log.csv.
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment  # noqa: E402
from losses import compute_loss  # noqa: E402
from model import CopyDesc, count_params  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


class PairDataset(torch.utils.data.Dataset):
    def __init__(self, prefix: str, clean_p: float):
        self.prefix = prefix
        self.clean_p = clean_p
        self.cache = None
        self.n = len(np.load(prefix + '.idx.npy'))

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.cache is None:
            self.cache = augment.ImageCache(self.prefix)
        rng = random  # seeded per worker in worker_init
        img = self.cache.get(i)
        other = lambda: self.cache.get(random.randrange(self.n))  # noqa: E731
        a, b = augment.make_pair(img, rng, other, self.clean_p)
        return torch.from_numpy(np.stack([a, b]))


def worker_init(wid):
    torch.set_num_threads(1)
    s = torch.initial_seed() & 0xFFFFFFFF
    random.seed(s)
    np.random.seed(s)


def lr_at(frac: float, base: float, warm: float) -> float:
    if frac < warm:
        return base * max(frac / warm, 0.02)
    p = min(1.0, (frac - warm) / (1 - warm))
    return base * 0.5 * (1 + math.cos(math.pi * p))


def save_ckpt(path, model, opt, step, spent, args):
    tmp = path + '.tmp'
    torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'step': step, 'spent': spent,
                'args': vars(args)}, tmp)
    os.replace(tmp, path)


def finish_run(out: str, summary: str) -> None:
    """Marks the run done (<out>/DONE) and exits at once: the data workers need not be joined."""
    with open(os.path.join(out, 'DONE'), 'w') as fh:
        fh.write(summary + '\n')
    print(f'done: {summary}', file=sys.stderr)
    os._exit(0)


def resume_ckpt(path, model, opt) -> tuple[int, float]:
    """Loads model and optimizer state from `path` if it exists; returns (step, seconds spent)."""
    if not os.path.exists(path):
        return 0, 0.0
    ck = torch.load(path, map_location='cpu')
    model.load_state_dict(ck['model'])
    opt.load_state_dict(ck['opt'])
    print(f'resumed at step {ck["step"]}, {ck["spent"] / 60:.1f} min spent', file=sys.stderr)
    return ck['step'], ck['spent']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--loss', choices=['infonce', 'triplet'], default='infonce')
    ap.add_argument('--minutes', type=float, default=60.0, help='training wall-clock budget')
    ap.add_argument('--batch', type=int, default=128, help='images per batch (2 views each)')
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--wd', type=float, default=0.05)
    ap.add_argument('--warmup', type=float, default=0.03, help='fraction of the budget')
    ap.add_argument('--temperature', type=float, default=0.07)
    ap.add_argument('--koleo', type=float, default=1.0)
    ap.add_argument('--margin', type=float, default=0.3)
    ap.add_argument('--clean-p', type=float, default=0.35)
    ap.add_argument('--out', required=True)
    ap.add_argument('--resume', action='store_true')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--workers', type=int, default=1)
    ap.add_argument('--ckpt-every', type=float, default=120.0, help='seconds')
    ap.add_argument('--log-every', type=int, default=10, help='steps')
    ap.add_argument('--cache', default=os.path.join(ROOT, 'out', 'cache', 'train_160'))
    ap.add_argument('--data', default=os.path.abspath(os.path.join(ROOT, '..', 'shared', 'train')))
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    if not os.path.exists(args.cache + '.u8'):
        os.makedirs(os.path.dirname(args.cache), exist_ok=True)
        augment.build_cache(args.data, args.cache)

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    model = CopyDesc().to(memory_format=torch.channels_last)  # ~1.4x faster convs on CPU (oneDNN)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wd)
    ckpt_path = os.path.join(args.out, 'ckpt.pt')
    step, spent = resume_ckpt(ckpt_path, model, opt) if args.resume else (0, 0.0)
    if step:
        torch.manual_seed(args.seed + step)
    budget = args.minutes * 60.0
    print(f'params {count_params(model)}; budget {args.minutes} min; loss {args.loss}', file=sys.stderr)

    ds = PairDataset(args.cache, args.clean_p)
    dl = torch.utils.data.DataLoader(ds, batch_size=args.batch, shuffle=True, drop_last=True,
                                     num_workers=args.workers, worker_init_fn=worker_init,
                                     persistent_workers=args.workers > 0, prefetch_factor=2 if args.workers > 0 else None)
    log_path = os.path.join(args.out, 'log.csv')
    new_log = not (args.resume and os.path.exists(log_path))
    logf = open(log_path, 'w' if new_log else 'a', newline='')
    logw = csv.writer(logf)
    if new_log:
        logw.writerow(['step', 'minutes', 'lr', 'loss', 'main', 'koleo', 'img_per_s', 'data_wait_frac'])
    model.train()
    t_last_ckpt = time.time()
    acc = [0.0, 0.0, 0.0, 0]
    wait = 0.0
    t_log = time.time()
    imgs_since = 0
    done = False
    while not done:
        for batch in dl:
            t0 = time.time()
            frac = spent / budget
            if frac >= 1.0:
                done = True
                break
            lr = lr_at(frac, args.lr, args.warmup)
            for g in opt.param_groups:
                g['lr'] = lr
            x = batch.view(-1, 3, augment.SIZE, augment.SIZE)  # rows 2i, 2i+1 = views of image i
            x = x.contiguous(memory_format=torch.channels_last)
            wait += t0 - main._prev_end if hasattr(main, '_prev_end') else 0.0
            z = model(x)
            loss, main_l, reg = compute_loss(args.loss, z, args.temperature, args.koleo, args.margin)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            now = time.time()
            # Time spent counts the data wait too (previous step end -> now), i.e. wall clock.
            spent += now - main._prev_end if hasattr(main, '_prev_end') else now - t0
            main._prev_end = now
            acc[0] += loss.item(); acc[1] += main_l.item(); acc[2] += reg.item(); acc[3] += 1
            imgs_since += batch.shape[0]
            if step % args.log_every == 0:
                ips = imgs_since / (now - t_log)
                logw.writerow([step, f'{spent / 60:.2f}', f'{lr:.3e}', f'{acc[0] / acc[3]:.4f}',
                               f'{acc[1] / acc[3]:.4f}', f'{acc[2] / acc[3]:.4f}', f'{ips:.1f}', f'{wait / (now - t_log):.2f}'])
                logf.flush()
                print(f'step {step} {spent / 60:.1f}min lr {lr:.2e} loss {acc[0] / acc[3]:.4f} '
                      f'(main {acc[1] / acc[3]:.4f} koleo {acc[2] / acc[3]:.4f}) {ips:.1f} img/s, data wait {wait / (now - t_log):.0%}', file=sys.stderr, flush=True)
                acc = [0.0, 0.0, 0.0, 0]
                t_log = now
                imgs_since = 0
                wait = 0.0
            if now - t_last_ckpt >= args.ckpt_every:
                save_ckpt(ckpt_path, model, opt, step, spent, args)
                t_last_ckpt = time.time()
                main._prev_end = t_last_ckpt  # checkpoint writing is not training time
    save_ckpt(ckpt_path, model, opt, step, spent, args)
    finish_run(args.out, f'step {step} minutes {spent / 60:.2f}')


if __name__ == '__main__':
    main()
