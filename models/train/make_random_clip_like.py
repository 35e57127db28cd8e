#!/usr/bin/env python3
"""Writes models/test/clip-like-random.onnx: a tiny RANDOM-weight stand-in with exactly the I/O
signature of a Hugging Face-style CLIP ViT-B/32 image-tower export, so the CLIP config
(models/clip-vit-b32.json: 224x224 input 'pixel_values', 512-d output 'image_embeds') can be tested
end to end without the 350 MB real model. Its embeddings mean nothing.

  input  'pixel_values' float32 [N, 3, 224, 224]
  output 'image_embeds' float32 [N, 512]

Graph: 32x32/stride-32 patchify conv (3 -> 48 channels, like ViT-B/32's patch embedding but
narrow) -> Relu -> global average pool -> flatten -> linear 48 -> 512. numpy seed 32.

  /usr/bin/python3 models/train/make_random_clip_like.py [out.onnx]
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, checker, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', 'test', 'clip-like-random.onnx')
rng = np.random.default_rng(32)
C = 48

w_patch = (rng.standard_normal((C, 3, 32, 32)) / np.sqrt(3 * 32 * 32)).astype(np.float32)
b_patch = (rng.standard_normal(C) * 0.1).astype(np.float32)
w_proj = (rng.standard_normal((C, 512)) / np.sqrt(C)).astype(np.float32)
b_proj = (rng.standard_normal(512) * 0.01).astype(np.float32)
inits = [numpy_helper.from_array(a, n) for a, n in
         [(w_patch, 'patch_w'), (b_patch, 'patch_b'), (w_proj, 'proj_w'), (b_proj, 'proj_b')]]
nodes = [
    helper.make_node('Conv', ['pixel_values', 'patch_w', 'patch_b'], ['patches'], kernel_shape=[32, 32],
                     strides=[32, 32]),
    helper.make_node('Relu', ['patches'], ['patches_relu']),
    helper.make_node('GlobalAveragePool', ['patches_relu'], ['pooled']),
    helper.make_node('Flatten', ['pooled'], ['pooled_flat'], axis=1),
    helper.make_node('MatMul', ['pooled_flat', 'proj_w'], ['proj']),
    helper.make_node('Add', ['proj', 'proj_b'], ['image_embeds']),
]
graph = helper.make_graph(
    nodes,
    'clip-like-random',
    [helper.make_tensor_value_info('pixel_values', TensorProto.FLOAT, ['batch_size', 3, 224, 224])],
    [helper.make_tensor_value_info('image_embeds', TensorProto.FLOAT, ['batch_size', 512])],
    inits,
)
model = helper.make_model(graph, producer_name='copycat/make_random_clip_like.py',
                          opset_imports=[helper.make_opsetid('', 13)])
model.ir_version = 7
model.doc_string = 'Random-weight stand-in with the CLIP ViT-B/32 image tower I/O signature. Test only.'
checker.check_model(model)
os.makedirs(os.path.dirname(os.path.abspath(OUT)), exist_ok=True)
onnx.save(model, OUT)
print(f'wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)')
