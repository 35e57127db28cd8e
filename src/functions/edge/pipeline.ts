/**
 * The Worker's and the Durable Object's shared view of which signals and fusion model are live.
 * The learned descriptor (models/copy-desc.*) is bundled as modules: the ONNX engine as a compiled
 * WebAssembly.Module, the network and its pack (whitening, PQ codebooks, background set) as data.
 */
// A relative path, not 'onnxruntime-web/ort-wasm-simd-threaded.wasm': wrangler's module collector
// does not read package export maps (which map that name into dist/), while vite does.
import ortWasm from '../../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import modelConfig from '../../../models/copy-desc.json';
import modelBytes from '../../../models/copy-desc.onnx';
import packBytes from '../../../models/copy-desc.pack.bin';
import { DEFAULT_FUSION } from '../../core/fusion/defaults.ts';
import type { FusionModel } from '../../core/fusion/fusion.ts';
import { describePdq } from '../../core/pipeline.ts';
import { createDescriptorSignal, packFromBytes } from '../../core/signals/descriptor.ts';
import { createEmbeddingSignal, parseEncoderConfig } from '../../core/signals/embedding.ts';
import { resolveSignals } from '../../core/signals/registry.ts';
import type { Fingerprint, Signal } from '../../core/signals/signal.ts';
import { createEdgeOnnxRunner } from './onnx.ts';

export interface EdgePipeline {
  signals: Signal[];
  fusion: FusionModel;
  describePdq(fp: Fingerprint): { pdq?: string; pdqQuality?: number };
}

let cached: EdgePipeline | null = null;

function descriptorSignal(): Signal {
  const encoder = createEmbeddingSignal(parseEncoderConfig(modelConfig), createEdgeOnnxRunner(modelBytes, ortWasm));
  return createDescriptorSignal(encoder, packFromBytes(new Uint8Array(packBytes))) as Signal;
}

export function createEdgePipeline(): EdgePipeline {
  if (!cached) {
    const extra = DEFAULT_FUSION.signals.includes('embed') ? [descriptorSignal()] : [];
    cached = { signals: resolveSignals(DEFAULT_FUSION.signals, extra), fusion: DEFAULT_FUSION, describePdq };
  }
  return cached;
}
