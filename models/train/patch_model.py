"""patch-desc: a small L2Net/HardNet-style CNN for 32x32 gray patches -> 64-d, L2-normalised.

Input is raw gray (0..255) so the TypeScript side feeds level pixels as they are; the network
normalises each patch itself (mean/std), which makes it invariant to affine brightness changes by
construction. Strided 3x3 convolutions instead of HardNet's full-resolution stack keep it ~150 K
parameters and ~3 M multiply-adds per patch, since onnxruntime-web runs it on one WASM thread for
hundreds of keypoints per image. Ops: ReduceMean, Sub, Mul, Add, Sqrt, Div, Conv, BatchNorm (folded
at export), Relu, Flatten, ReduceL2.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout, affine=False), nn.ReLU(inplace=True)]


class PatchDesc(nn.Module):
    def __init__(self, widths=(12, 24, 32, 48, 64, 64), dim: int = 64, dropout: float = 0.1):
        super().__init__()
        w = widths
        # Only the first layer runs at full resolution, and thin: with 16 channels at 32x32 a
        # training step was 6x slower on one CPU thread (backward of the wide full-res maps).
        self.features = nn.Sequential(
            *conv_bn(1, w[0]), *conv_bn(w[0], w[1], 2),   # 32 -> 16
            *conv_bn(w[1], w[2]), *conv_bn(w[2], w[3], 2),  # 16 -> 8
            *conv_bn(w[3], w[4]), *conv_bn(w[4], w[5], 2),  # 8 -> 4
            nn.Dropout(dropout),
            nn.Conv2d(w[5], dim, 4, bias=False), nn.BatchNorm2d(dim, affine=False),
        )
        self.dim = dim

    def forward(self, x):
        # Per-patch standardisation; the +4 (in 0..255 units^2) keeps flat patches from amplifying noise.
        m = x.mean(dim=(2, 3), keepdim=True)
        v = ((x - m) * (x - m)).mean(dim=(2, 3), keepdim=True)
        x = (x - m) / torch.sqrt(v + 4.0)
        z = self.features(x).flatten(1)
        return F.normalize(z, dim=1)


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


if __name__ == '__main__':
    m = PatchDesc()
    print(count_params(m), m(torch.randn(3, 1, 32, 32) * 50 + 128).shape)
