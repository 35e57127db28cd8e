#!/usr/bin/env python3
"""Writes models/tiny-encoder.onnx: a deterministic, hand-built image encoder used to test the
embedding signal end to end (config -> preprocess -> ONNX Runtime -> vector) without shipping a
large learned model. It is NOT a learned model; its weights are fixed filters plus a seeded
random projection, so rebuilding it gives byte-identical output.

  input  'input'     float32 [N, 3, 32, 32]  (RGB, scaled to [0,1], then (x - 0.5) / 0.25)
  output 'embedding' float32 [N, 64]         (not normalised: the signal L2-normalises)

Features (128) before the projection, each group standardised per image so that brightness and
contrast changes barely move them:
  * luma 8x8 grid (64): the layout of light and dark, the strongest copy cue at this size;
  * gradient energy |d/dx|, |d/dy| of luma on a 4x4 grid (32): where the edges are;
  * chroma (R-G, B-(R+G)/2) 4x4 grid (32), not standardised and down-weighted, so colour helps
    but a grayscale copy still lands near its source.
Then a fixed Gaussian projection 128 -> 64 (numpy seed 20240611), which preserves cosine
similarity approximately (Johnson-Lindenstrauss).

Run with Debian's python3-onnx 1.12 + python3-numpy (opset 13):
  /usr/bin/python3 models/train/make_test_encoder.py [out.onnx]
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, checker, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', 'tiny-encoder.onnx')
SEED = 20240611
S = 32  # input side

nodes = []
inits = []


def const(name, arr):
    inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name))
    return name


def node(op, inputs, output, **attrs):
    nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
    return output


def standardise(x, tag):
    """Per-sample zero mean, unit variance over axis 1 of an [N, K] tensor."""
    m = node('ReduceMean', [x], f'{tag}_mean', axes=[1], keepdims=1)
    d = node('Sub', [x, m], f'{tag}_centred')
    sq = node('Mul', [d, d], f'{tag}_sq')
    v = node('ReduceMean', [sq], f'{tag}_var', axes=[1], keepdims=1)
    ve = node('Add', [v, const(f'{tag}_eps', [1e-4])], f'{tag}_var_eps')
    sd = node('Sqrt', [ve], f'{tag}_std')
    return node('Div', [d, sd], f'{tag}_std_out')


# Undo the input normalisation (x*0.25 + 0.5) inside the first 1x1 conv that makes luma + chroma.
# Rows: luma (BT.601), R-G, B-(R+G)/2.
mix = np.array([[0.299, 0.587, 0.114], [1.0, -1.0, 0.0], [-0.5, -0.5, 1.0]], dtype=np.float32)
w1 = (mix * 0.25).reshape(3, 3, 1, 1)
b1 = mix.sum(axis=1) * 0.5
ycc = node('Conv', ['input', const('mix_w', w1), const('mix_b', b1)], 'ycc', kernel_shape=[1, 1])

# Split luma and chroma with 1x1 selection convs (keeps it to opset-13 basics, no Split sizes).
luma = node('Conv', ['ycc', const('sel_y', np.array([1, 0, 0], np.float32).reshape(1, 3, 1, 1))], 'luma',
            kernel_shape=[1, 1])
chroma = node('Conv', ['ycc', const('sel_c', np.array([[0, 1, 0], [0, 0, 1]], np.float32).reshape(2, 3, 1, 1))],
              'chroma', kernel_shape=[1, 1])

# Luma 8x8 grid.
lgrid = node('AveragePool', [luma], 'luma_grid', kernel_shape=[4, 4], strides=[4, 4])
lflat = node('Flatten', [lgrid], 'luma_flat', axis=1)
lfeat = standardise(lflat, 'lf')

# Gradients (Sobel) on luma, magnitude per orientation, pooled to 4x4.
sob_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32) / 8.0
sob = np.stack([sob_x, sob_x.T])[:, None, :, :]
grad = node('Conv', [luma, const('sobel', sob)], 'grad', kernel_shape=[3, 3], pads=[1, 1, 1, 1])
gabs = node('Abs', [grad], 'grad_abs')
ggrid = node('AveragePool', [gabs], 'grad_grid', kernel_shape=[8, 8], strides=[8, 8])
gflat = node('Flatten', [ggrid], 'grad_flat', axis=1)
gfeat = standardise(gflat, 'gf')

# Chroma 4x4 grid, scaled so colour contributes but does not dominate.
cgrid = node('AveragePool', [chroma], 'chroma_grid', kernel_shape=[8, 8], strides=[8, 8])
cflat = node('Flatten', [cgrid], 'chroma_flat', axis=1)
cfeat = node('Mul', [cflat, const('chroma_gain', [2.0])], 'chroma_feat')

# Weights per group, then concat -> [N, 128] -> projection -> [N, 64].
lw = node('Mul', [lfeat, const('w_luma', [1.0])], 'lw')
gw = node('Mul', [gfeat, const('w_grad', [0.7])], 'gw')
feats = node('Concat', [lw, gw, cfeat], 'features', axis=1)
rng = np.random.default_rng(SEED)
proj = rng.standard_normal((128, 64)).astype(np.float32) / np.sqrt(64.0)
node('MatMul', [feats, const('proj', proj)], 'embedding')

graph = helper.make_graph(
    nodes,
    'tiny-encoder',
    [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['N', 3, S, S])],
    [helper.make_tensor_value_info('embedding', TensorProto.FLOAT, ['N', 64])],
    inits,
)
model = helper.make_model(graph, producer_name='copycat/make_test_encoder.py',
                          opset_imports=[helper.make_opsetid('', 13)])
model.ir_version = 7  # readable by every ONNX Runtime since 1.6
model.doc_string = 'Deterministic test encoder for copycat: luma/gradient/chroma grids + seeded projection.'
checker.check_model(model)
onnx.save(model, OUT)
print(f'wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)')
