"""Losses for the copy-desc descriptor (SSCD style).

Embeddings come in as [2N, D], L2-normalised, ordered (img0 view a, img0 view b, img1 view a, ...)
so that rows 2i and 2i+1 are the two views of image i.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _instance_ids(n2: int, device) -> torch.Tensor:
    return torch.arange(n2, device=device) // 2


def infonce(z: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """Each view's positive is the other view of its image; the other 2N-2 views are negatives."""
    n2 = z.shape[0]
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float('-inf'))
    target = torch.arange(n2, device=z.device) ^ 1  # partner index: 2i <-> 2i+1
    return F.cross_entropy(sim, target)


def koleo(z: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Kozachenko-Leonenko entropy regulariser (as SSCD): -mean log distance to the nearest
    embedding of another image (views of the same image are excluded)."""
    ids = _instance_ids(z.shape[0], z.device)
    with torch.no_grad():
        sim = z @ z.t()
        same = ids[:, None] == ids[None, :]
        sim.masked_fill_(same, -2.0)
        nn_idx = sim.argmax(dim=1)
    d = (z - z[nn_idx]).norm(dim=1)
    return -torch.log(d + eps).mean()


def triplet_hard(z: torch.Tensor, margin: float = 0.3) -> torch.Tensor:
    """Triplet loss on cosine similarity with in-batch hard negatives: for each anchor view, the
    positive is the other view of its image and the negative is the most similar view of any other
    image (batch-hard): relu(margin - s(a, p) + s(a, n_hard))."""
    n2 = z.shape[0]
    ids = _instance_ids(n2, z.device)
    sim = z @ z.t()
    partner = torch.arange(n2, device=z.device) ^ 1
    s_pos = sim[torch.arange(n2, device=z.device), partner]
    neg = sim.masked_fill(ids[:, None] == ids[None, :], -2.0)
    s_neg = neg.max(dim=1).values
    return F.relu(margin - s_pos + s_neg).mean()


def compute_loss(kind: str, z: torch.Tensor, temperature=0.07, koleo_w=1.0, margin=0.3):
    if kind == 'infonce':
        main = infonce(z, temperature)
    elif kind == 'triplet':
        main = triplet_hard(z, margin)
    else:
        raise ValueError(kind)
    reg = koleo(z) if koleo_w > 0 else torch.zeros((), device=z.device)
    return main + koleo_w * reg, main.detach(), reg.detach()
