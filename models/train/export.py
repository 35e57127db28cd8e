"""Export a copy-desc checkpoint to ONNX + the encoder config read by src/core/signals/embedding.ts.

  /usr/bin/python3 models/train/export.py --ckpt out/train/main/ckpt.pt \
      [--onnx models/copy-desc.onnx] [--json models/copy-desc.json] [--multi-crop 1,0.75]

ONNX: opset 13, input "input" float32 [N,3,112,112] (dynamic N), output "embedding" [N,256]
(L2-normalised already; the config still says normalize "l2", which is idempotent and is what the
multi-crop average needs). BatchNorm is folded into the convolutions (eval-mode export).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment  # noqa: E402
from model import CopyDesc, count_params  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ckpt', required=True)
    ap.add_argument('--onnx', default=os.path.join(ROOT, 'models', 'copy-desc.onnx'))
    ap.add_argument('--json', default=os.path.join(ROOT, 'models', 'copy-desc.json'))
    ap.add_argument('--multi-crop', default='', help='e.g. "1,0.75"; empty = single full view')
    ap.add_argument('--description-extra', default='')
    args = ap.parse_args()

    ck = torch.load(args.ckpt, map_location='cpu')
    model = CopyDesc()
    model.load_state_dict(ck['model'])
    model.eval()
    x = torch.randn(2, 3, augment.SIZE, augment.SIZE)
    tmp = args.onnx + '.tmp'
    torch.onnx.export(model, x, tmp, opset_version=13, input_names=['input'], output_names=['embedding'],
                      dynamic_axes={'input': {0: 'N'}, 'embedding': {0: 'N'}}, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(tmp)
    out_dims = m.graph.output[0].type.tensor_type.shape.dim
    out_dims[1].dim_value = 256  # the exporter leaves a symbolic name from the L2-normalise Div
    onnx.checker.check_model(m)
    m.producer_name = 'copycat models/train/export.py'
    onnx.save(m, tmp)
    os.replace(tmp, args.onnx)
    ops = sorted({n.op_type for n in m.graph.node})
    data = open(args.onnx, 'rb').read()
    sha = hashlib.sha256(data).hexdigest()
    a = ck.get('args', {})
    desc = (
        f"Learned copy-detection descriptor (SSCD-style, self-supervised on ../shared/train only): small "
        f"ResNet-style CNN ({count_params(model) / 1e6:.2f} M params), 112x112 squash input, GeM pooling, "
        f"256-d L2-normalised. Loss {a.get('loss', '?')} (T={a.get('temperature', '?')}, KoLeo {a.get('koleo', '?')}), "
        f"{ck['step']} steps x {a.get('batch', '?')} images x 2 views in {ck['spent'] / 60:.1f} min on 2 CPU cores. "
        f"See models/README.md#copy-desc." + (' ' + args.description_extra if args.description_extra else '')
    )
    cfg = {
        'name': 'copy-desc',
        'file': os.path.basename(args.onnx),
        'sha256': sha,
        'version': 1,
        'input': {
            'name': 'input',
            'size': [augment.SIZE, augment.SIZE],
            'layout': 'NCHW',
            'resize': 'squash',
            'mean': list(augment.MEAN),
            'std': list(augment.STD),
            'scale': 1 / 255,
            'colorSpace': 'RGB',
        },
        'output': {'name': 'embedding', 'dim': 256, 'normalize': 'l2'},
    }
    if args.multi_crop:
        cfg['multiCrop'] = [float(v) for v in args.multi_crop.split(',')]
    cfg.update({
        'description': desc,
        'licence': 'Weights trained by this project (models/train/train.py) on ../shared/train; same licence as the '
                   'repository for the code and weights. Training images are third-party (research/non-commercial '
                   'terms for ImageNet samples, DTD, DICM/LIME; CC-BY-4.0 for Caltech-101; see models/README.md#copy-desc '
                   'and ../shared/train/SOURCES.md) and are not distributed with the model.',
        'source': 'models/train/{augment,model,losses,train,export}.py (Debian python3: torch 1.13, onnx 1.12)',
    })
    with open(args.json, 'w') as fh:
        json.dump(cfg, fh, indent=2)
        fh.write('\n')
    print(json.dumps({'onnx': args.onnx, 'bytes': len(data), 'sha256': sha, 'ops': ops, 'step': ck['step'],
                      'minutes': round(ck['spent'] / 60, 2)}))


if __name__ == '__main__':
    main()
