// The ONNX embedding path inside workerd: imported WASM engine + data-module model, same numbers as Node.
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import { describe, expect, inject, it } from 'vitest';
import clipCfgJson from '../../models/clip-vit-b32.json';
import clipLikeModel from '../../models/test/clip-like-random.onnx';
import tinyCfgJson from '../../models/tiny-encoder.json';
import tinyModel from '../../models/tiny-encoder.onnx';
import { decodeImage } from '../../src/core/image/decode.ts';
import { createEmbeddingSignal, parseEncoderConfig } from '../../src/core/signals/embedding.ts';
import { initEdgeCodecs } from '../../src/functions/edge/codecs.ts';
import { createEdgeOnnxRunner } from '../../src/functions/edge/onnx.ts';

const fx = inject('fixtures');
const bytes = (name: string) => Uint8Array.from(atob(fx[name]), (c) => c.charCodeAt(0));

describe('embedding signal in workerd', () => {
  it('gives the tiny encoder the same vector as the Node runner, and a copy beats an unrelated image', async () => {
    await initEdgeCodecs();
    const signal = createEmbeddingSignal(parseEncoderConfig(tinyCfgJson), createEdgeOnnxRunner(tinyModel, ortWasm));
    const a = await signal.extract(await decodeImage(bytes('a_jpg')));
    const node = JSON.parse(fx.tiny_embed_a) as number[];
    expect(a.length).toBe(64);
    for (let i = 0; i < 64; i++) expect(a[i]).toBeCloseTo(node[i], 5);
    const copy = await signal.extract(await decodeImage(bytes('a_copy_jpg')));
    const other = await signal.extract(await decodeImage(bytes('b_jpg')));
    expect(signal.similarity(copy, a)).toBeGreaterThan(signal.similarity(copy, other));
  });

  it('runs a CLIP-shaped encoder (pixel_values -> image_embeds, 512-d) from the CLIP config', async () => {
    const signal = createEmbeddingSignal(parseEncoderConfig(clipCfgJson), createEdgeOnnxRunner(clipLikeModel, ortWasm));
    const v = await signal.extract(await decodeImage(bytes('c_png')));
    expect(v.length).toBe(512);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
  });
});
