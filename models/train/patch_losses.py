"""Losses for patch-desc: HardNet's hardest-in-batch triplet margin loss and an InfoNCE option.

Rows i of `a` and `b` are the two views of one keypoint. Negatives that are not truly different
(another keypoint of the same photo within `near` original pixels, e.g. one corner found on two
pyramid levels) are masked out, otherwise the loss would push apart views of the same structure.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _negatives_mask(pos: torch.Tensor, img: torch.Tensor, near: float) -> torch.Tensor:
    same = img[:, None] == img[None, :]
    close = torch.cdist(pos, pos) < near
    m = same & close
    m.fill_diagonal_(True)
    return m


def hardnet(a, b, pos, img, margin: float = 1.0, near: float = 12.0):
    """mean relu(margin + d(a_i, b_i) - min(hardest negative of a_i among b, of b_i among a))."""
    d = torch.sqrt(torch.clamp(2 - 2 * a @ b.t(), min=1e-8))
    d_pos = d.diagonal()
    masked = d.masked_fill(_negatives_mask(pos, img, near), 10.0)
    d_neg = torch.minimum(masked.min(dim=1).values, masked.min(dim=0).values)
    return F.relu(margin + d_pos - d_neg).mean(), d_pos.mean().detach(), d_neg.mean().detach()


def infonce(a, b, pos, img, temperature: float = 0.05, near: float = 12.0):
    s = a @ b.t() / temperature
    mask = _negatives_mask(pos, img, near)
    mask.fill_diagonal_(False)
    s = s.masked_fill(mask, float('-inf'))
    t = torch.arange(a.shape[0])
    loss = 0.5 * (F.cross_entropy(s, t) + F.cross_entropy(s.t(), t))
    d = torch.sqrt(torch.clamp(2 - 2 * (a * b).sum(1), min=0))
    return loss, d.mean().detach(), torch.zeros(())
