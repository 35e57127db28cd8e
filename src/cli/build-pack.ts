/**
 * `copycat build-pack`: learns what the descriptor needs besides the network, from training images
 * only (never a benchmark): PCA-whitening of the encoder's embeddings, PQ codebooks on the whitened
 * vectors, and a background set for score normalisation. Deterministic given --seed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { trainPCA } from '../core/quant/pca.ts';
import { trainPQ } from '../core/quant/pq.ts';
import { decodeImage } from '../core/image/decode.ts';
import { packToBytes } from '../core/signals/descriptor.ts';
import { initNodeCodecs } from '../functions/node/codecs.ts';
import { loadNodeEmbeddingSignal } from '../functions/node/onnx.ts';
import { shuffledTrainingImages } from './files.ts';
import { Progress } from './progress.ts';

export interface PackOptions {
  model: string;
  images: string;
  out: string;
  /** Images embedded at most (split between PCA/PQ training and the background set). */
  limit: number;
  pcaDim: number;
  pqM: number;
  background: number;
  k: number;
  beta: number;
  seed: number;
}

export async function buildPack(o: PackOptions): Promise<Record<string, unknown>> {
  const { files } = shuffledTrainingImages(o.images, o.seed, 'a pack');
  await initNodeCodecs();
  const chosen = files.slice(0, o.limit);
  const base = await loadNodeEmbeddingSignal(o.model);
  const dim = base.index.dimensions;
  const raw = new Float32Array(chosen.length * dim);
  let n = 0;
  const bar = new Progress('embed', chosen.length);
  for (const f of chosen) {
    try {
      raw.set(await base.extract(await decodeImage(new Uint8Array(readFileSync(f)))), n * dim);
      n++;
    } catch { /* an unreadable training image is skipped */ }
    bar.tick();
  }
  bar.end();
  const nBg = Math.min(o.background, Math.floor(n / 3));
  const nTrain = n - nBg;
  const t0 = Date.now();
  const pca = trainPCA(raw.subarray(0, nTrain * dim), nTrain, dim, { outDim: o.pcaDim, whiten: true });
  const white = pca.applyBatch(raw.subarray(0, n * dim), n, { normalize: true });
  const pq = trainPQ(white.subarray(0, nTrain * o.pcaDim), nTrain, o.pcaDim, { m: o.pqM, iters: 20, seed: o.seed });
  const background = white.slice(nTrain * o.pcaDim, n * o.pcaDim);
  const bytes = packToBytes({ pca, pq, background, k: o.k, beta: o.beta });
  writeFileSync(o.out, bytes);
  return {
    out: o.out, images: n, trainedOn: nTrain, background: nBg, pca: pca.describe(), pq: pq.describe(),
    k: o.k, beta: o.beta, bytes: bytes.length, trainSeconds: (Date.now() - t0) / 1000,
  };
}
