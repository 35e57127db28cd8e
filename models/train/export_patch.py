"""Export a patch-desc checkpoint to ONNX + the config read by src/core/local/patch-desc.ts.

  /usr/bin/python3 models/train/export_patch.py --ckpt out/patch/main/ckpt.pt \
      [--onnx models/patch-desc.onnx] [--json models/patch-desc.json]

ONNX: opset 13, input "patches" float32 [N,1,32,32] raw gray 0..255 (dynamic N), output
"descriptor" [N,64], L2-normalised. Eval mode, so BatchNorm is folded into the convolutions and
dropout is gone. Checks onnx against torch on held-out patches before writing the config.
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
import patch_data  # noqa: E402
from patch_model import PatchDesc, count_params  # noqa: E402

MODELS = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ckpt', required=True, help='e.g. out/patch/main/ckpt.pt')
    ap.add_argument('--onnx', default=os.path.join(MODELS, 'patch-desc.onnx'))
    ap.add_argument('--json', default=os.path.join(MODELS, 'patch-desc.json'))
    args = ap.parse_args()

    ck = torch.load(args.ckpt, map_location='cpu')
    model = PatchDesc()
    model.load_state_dict(ck['model'])
    model.eval()
    x = torch.rand(4, 1, patch_data.SIZE, patch_data.SIZE) * 255
    tmp = args.onnx + '.tmp'
    torch.onnx.export(model, x, tmp, opset_version=13, input_names=['patches'], output_names=['descriptor'],
                      dynamic_axes={'patches': {0: 'N'}, 'descriptor': {0: 'N'}}, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(tmp)
    m.graph.output[0].type.tensor_type.shape.dim[1].dim_value = model.dim
    onnx.checker.check_model(m)
    m.producer_name = 'copycat models/train/export_patch.py'
    onnx.save(m, tmp)
    os.replace(tmp, args.onnx)
    try:
        import onnxruntime as ort  # optional: the TS tests check onnxruntime-web against this too
        sess = ort.InferenceSession(args.onnx)
        diff = float(np.abs(sess.run(None, {'patches': x.numpy()})[0] - model(x).detach().numpy()).max())
        print(f'onnxruntime vs torch max |diff| {diff:.2e}', file=sys.stderr)
    except ImportError:
        pass
    data = open(args.onnx, 'rb').read()
    a = ck.get('args', {})
    cfg = {
        'name': 'patch-desc',
        'file': os.path.basename(args.onnx),
        'version': 1,
        'sha256': hashlib.sha256(data).hexdigest(),
        'input': {'name': 'patches', 'size': patch_data.SIZE, 'step': patch_data.STEP},
        'output': {'name': 'descriptor', 'dim': model.dim},
        'batch': 512,
        'description': (
            f'Learned local patch descriptor at ORB keypoints: L2Net/HardNet-style CNN '
            f'({count_params(model) / 1e3:.0f} K params), 32x32 raw gray patch cut from the keypoint\'s pyramid level, '
            f'rotated by its angle, {patch_data.STEP} level px per sample; standardised inside the model; '
            f'64-d L2-normalised. Self-supervised on homography-warped patches of ../shared/train '
            f'(held out: every 20th photo), loss {a.get("loss", "hardnet")}, {ck["step"]} steps x {a.get("batch", 512)} pairs, '
            f'{ck["spent"] / 60:.1f} min on 2 shared CPU cores. See models/README.md.'),
        'licence': 'Same licence as this repository (trained here; weights learned from ../shared/train, see models/README.md for its terms).',
        'source': 'models/train/{patch_data,patch_model,patch_losses,train_patch,export_patch}.py',
    }
    with open(args.json, 'w') as fh:
        json.dump(cfg, fh, indent=2)
        fh.write('\n')
    ops = sorted({n.op_type for n in m.graph.node})
    print(f'wrote {args.onnx} ({len(data)} bytes, ops {ops}) and {args.json}', file=sys.stderr)


if __name__ == '__main__':
    main()
