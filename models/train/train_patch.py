"""Self-supervised training of patch-desc on homography-warped patches of ../shared/train.

  /usr/bin/python3 models/train/train_patch.py --minutes 35 --out out/patch/main

As train.py: the LR schedule (warm-up, cosine to 0) follows wall-clock training time / --minutes,
so the run ends on time whatever the machine's load; every --ckpt-every seconds the model,
optimizer, step and time spent go to <out>/ckpt.pt (atomic rename) and the held-out evaluation
(1,000 fixed pairs from held-out photos: nearest-neighbour accuracy among them, FPR at 95 %
recall) is logged; --resume continues the same schedule. One torch thread plus one data worker.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import patch_data  # noqa: E402
from patch_losses import hardnet, infonce  # noqa: E402
from patch_model import PatchDesc, count_params  # noqa: E402
from train import finish_run, lr_at, resume_ckpt, save_ckpt  # noqa: E402  (copy-desc's schedule and checkpoints)

LOG_COLUMNS = ['step', 'minutes', 'lr', 'loss', 'd_pos', 'd_neg', 'pairs_per_s', 'eval_acc', 'eval_fpr95']
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def eval_set(root: str, paths: list[str], n: int = 1000, seed: int = 7):
    rng = random.Random(seed)
    np.random.seed(seed)
    A, B = [], []
    for p in paths:
        r = patch_data.make_pairs(patch_data.load_gray(os.path.join(root, p)), rng, 8)
        if r is not None:
            A.append(r[0]); B.append(r[1])
        if sum(len(x) for x in A) >= n:
            break
    return torch.from_numpy(np.concatenate(A)[:n, None]), torch.from_numpy(np.concatenate(B)[:n, None])


@torch.no_grad()
def evaluate(model, ea, eb) -> tuple[float, float]:
    model.eval()
    a, b = model(ea), model(eb)
    model.train()
    s = a @ b.t()
    acc = (s.argmax(1) == torch.arange(len(a))).float().mean().item()
    pos = s.diagonal()
    neg = s.masked_fill(torch.eye(len(a), dtype=torch.bool), -2).flatten()
    neg = neg[neg > -2]
    thr = torch.quantile(pos, 0.05)
    return acc, (neg >= thr).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--loss', choices=['hardnet', 'infonce'], default='hardnet')
    ap.add_argument('--minutes', type=float, default=35.0)
    ap.add_argument('--batch', type=int, default=512, help='patch pairs per batch')
    ap.add_argument('--per-image', type=int, default=48)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--wd', type=float, default=1e-4)
    ap.add_argument('--warmup', type=float, default=0.03)
    ap.add_argument('--margin', type=float, default=1.0)
    ap.add_argument('--out', required=True)
    ap.add_argument('--resume', action='store_true')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--ckpt-every', type=float, default=180.0, help='seconds')
    ap.add_argument('--log-every', type=int, default=20)
    ap.add_argument('--data', default=os.path.abspath(os.path.join(ROOT, '..', 'shared', 'train')))
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    train_paths, held = patch_data.split_photos(args.data)
    ea, eb = eval_set(args.data, held)
    torch.manual_seed(args.seed)
    model = PatchDesc().to(memory_format=torch.channels_last)  # ~1.6x faster oneDNN convs here
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wd)
    ckpt_path = os.path.join(args.out, 'ckpt.pt')
    step, spent = resume_ckpt(ckpt_path, model, opt) if args.resume else (0, 0.0)
    budget = args.minutes * 60.0
    acc0, fpr0 = evaluate(model, ea, eb)
    print(f'params {count_params(model)}; {len(train_paths)} train / {len(held)} held-out photos; '
          f'eval pairs {len(ea)}; start acc {acc0:.3f} fpr95 {fpr0:.3f}', file=sys.stderr, flush=True)

    ds = patch_data.PatchPairs(args.data, train_paths, args.per_image, args.seed + step)
    dl = torch.utils.data.DataLoader(ds, batch_size=args.batch, num_workers=1, prefetch_factor=4,
                                     worker_init_fn=lambda _: torch.set_num_threads(1))
    loss_fn = hardnet if args.loss == 'hardnet' else infonce
    log_path = os.path.join(args.out, 'log.csv')
    new_log = not (args.resume and os.path.exists(log_path))
    logf = open(log_path, 'w' if new_log else 'a', newline='')
    logw = csv.writer(logf)
    if new_log:
        logw.writerow(LOG_COLUMNS)
    model.train()
    t_ckpt = time.time()
    acc = [0.0, 0.0, 0.0, 0]
    t_log = prev = time.time()
    pairs = 0
    for a, b, pos, img in dl:
        if spent >= budget:
            break
        lr = lr_at(spent / budget, args.lr, args.warmup)
        for g in opt.param_groups:
            g['lr'] = lr
        z = model(torch.cat([a, b])[:, None].contiguous(memory_format=torch.channels_last))
        loss, dp, dn = loss_fn(z[: len(a)], z[len(a):], pos, img)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        now = time.time()
        spent += now - prev
        prev = now
        acc[0] += loss.item(); acc[1] += dp.item(); acc[2] += dn.item(); acc[3] += 1
        pairs += len(a)
        ev = ('', '')
        if now - t_ckpt >= args.ckpt_every:
            ea_acc, ea_fpr = evaluate(model, ea, eb)
            ev = (f'{ea_acc:.4f}', f'{ea_fpr:.4f}')
            save_ckpt(ckpt_path, model, opt, step, spent, args)
            print(f'  eval acc {ev[0]} fpr95 {ev[1]} (ckpt)', file=sys.stderr, flush=True)
            t_ckpt = prev = time.time()  # evaluation and checkpointing are not training time
        if step % args.log_every == 0 or ev[0]:
            # One row per log interval: means since the last row, then the held-out numbers if any.
            row = dict(zip(LOG_COLUMNS, [step, f'{spent / 60:.2f}', f'{lr:.3e}', *(f'{x / max(acc[3], 1):.4f}' for x in acc[:3]),
                                         f'{pairs / (now - t_log):.0f}', *ev]))
            logw.writerow(row.values())
            logf.flush()
            print(' '.join(f'{k} {v}' for k, v in row.items() if v != ''), file=sys.stderr, flush=True)
            acc, t_log, pairs = [0.0, 0.0, 0.0, 0], now, 0
    ea_acc, ea_fpr = evaluate(model, ea, eb)
    save_ckpt(ckpt_path, model, opt, step, spent, args)
    logw.writerow([step, f'{spent / 60:.2f}', '0', '', '', '', '', f'{ea_acc:.4f}', f'{ea_fpr:.4f}'])
    logf.close()
    finish_run(args.out, f'step {step} minutes {spent / 60:.2f} eval_acc {ea_acc:.4f} eval_fpr95 {ea_fpr:.4f}')


if __name__ == '__main__':
    main()
