"""Small ResNet-style CNN for the copy-desc descriptor: 112x112 RGB -> GeM -> 256-d, L2-normalised.

About 1.7 M parameters (~6.7 MB as float32 ONNX). Only ops that onnxruntime-web's wasm backend
runs: Conv, BatchNorm (folded at export), Relu, Add, Pow, ReduceMean, Gemm, ReduceL2, Div.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.short is None else self.short(x)
        return F.relu(y + s)


class GeM(nn.Module):
    def __init__(self, p: float = 3.0, eps: float = 1e-6):
        super().__init__()
        self.p = p
        self.eps = eps

    def forward(self, x):
        # Input is post-ReLU (>= 0), so + eps keeps pow well defined without Clip.
        x = (x + self.eps).pow(self.p)
        x = x.mean(dim=(2, 3))
        return x.pow(1.0 / self.p)


class CopyDesc(nn.Module):
    def __init__(self, widths=(32, 48, 96, 192), dim: int = 256, blocks=(2, 2, 2)):
        super().__init__()
        w0, w1, w2, w3 = widths
        self.stem = nn.Sequential(
            nn.Conv2d(3, w0, 3, 2, 1, bias=False), nn.BatchNorm2d(w0), nn.ReLU(inplace=True),  # 56
        )
        layers = []
        cin = w0
        for w, n in zip((w1, w2, w3), blocks):
            layers.append(BasicBlock(cin, w, 2))  # 28, 14, 7
            for _ in range(n - 1):
                layers.append(BasicBlock(w, w, 1))
            cin = w
        self.body = nn.Sequential(*layers)
        self.pool = GeM(3.0)
        self.proj = nn.Linear(w3, dim)

    def forward(self, x):
        x = self.body(self.stem(x))
        x = self.proj(self.pool(x))
        return F.normalize(x, dim=1)


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


if __name__ == '__main__':
    m = CopyDesc()
    print(count_params(m))
    print(m(torch.randn(2, 3, 112, 112)).shape)
