/**
 * `copycat build-ivf`: trains the IVF-PQ shard's quantizer for the served descriptor ("embed":
 * copy-desc, PCA-whitened by its pack) and writes it as a model file (`models/copy-desc.ivf.bin`,
 * see core/index/ivf-pq-io.ts), so the Durable Object loads trained cells instead of training at
 * run time. The training vectors are drawn exactly as `bench-index` draws its base: a mixture
 * centred on the served vectors of ../shared/train photos (never a benchmark) with the spread of
 * real nearest neighbours. Cells are cut in the un-whitened space (`--cell-scale eigen` of
 * bench-index, which measured best at 1M). Deterministic given the model, the photos and --seed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { IVFPQIndex } from '../core/index/ivf-pq-index.ts';
import { ivfpqToBytes } from '../core/index/ivf-pq-io.ts';
import { Rng } from '../core/quant/rng.ts';
import { initNodeCodecs } from '../functions/node/codecs.ts';
import { loadNodeModelSignal } from '../functions/node/onnx.ts';
import { mixtureSpread, sampleMixture, trainingCentres, unwhitenScale } from './bench-index.ts';
import { ROOT } from './devserver.ts';
import { DEFAULT_MODEL } from './runtime.ts';

export interface BuildIvfOptions {
  /** Where the model file goes (default models/copy-desc.ivf.bin). */
  out?: string;
  /** Encoder config with a pack (default models/copy-desc.json): the descriptor the cells are for. */
  model?: string;
  /** Coarse cells (default 1024). */
  nlist?: number;
  /** PQ sub-quantizers, bytes per code (default 32). */
  m?: number;
  /** Training vectors drawn from the mixture (default 65,536: 64 per cell). */
  trainN?: number;
  /** Training photos whose served vectors centre the mixture (default 1,500, as bench-index). */
  trainImages?: number;
  /** k-means iterations, coarse and per PQ subspace (default 20). */
  iters?: number;
  seed?: number;
}

/** Command-line values (strings, as parseArgs gives them) to options; absent ones take the defaults. */
export function buildIvfOptions(o: Record<string, unknown>): BuildIvfOptions {
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  return {
    out: o.out as string | undefined, model: o.model as string | undefined, nlist: num(o.nlist), m: num(o.m),
    trainN: num(o.n), trainImages: num(o.limit), seed: num(o.seed),
  };
}

export async function buildIvf(opts: BuildIvfOptions = {}) {
  const o = {
    out: `${ROOT}models/copy-desc.ivf.bin`, model: DEFAULT_MODEL, nlist: 1024, m: 32, trainN: 65_536, trainImages: 1500, iters: 20, seed: 1,
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  } as Required<BuildIvfOptions>;
  for (const [name, v] of Object.entries({ nlist: o.nlist, m: o.m, trainN: o.trainN, trainImages: o.trainImages, iters: o.iters })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`build-ivf: ${name} must be a positive integer, got ${v}`);
  }
  if (o.trainN < o.nlist) throw new Error(`build-ivf: ${o.trainN} training vectors cannot make ${o.nlist} cells`);
  const t0 = performance.now();
  const secs = () => ((performance.now() - t0) / 1000).toFixed(1);

  await initNodeCodecs();
  const signal = await loadNodeModelSignal(o.model);
  const dim = signal.index.dimensions;
  const cellScale = unwhitenScale(o.model);
  if (cellScale.length !== dim) throw new Error(`build-ivf: the pack whitens to ${cellScale.length} dimensions, the signal serves ${dim}`);
  const real = await trainingCentres(signal, o.trainImages);
  const { k, cos, sigma } = mixtureSpread(real, dim);
  const sample = new Float32Array(o.trainN * dim);
  sampleMixture(real, k, dim, sigma, o.trainN, new Rng(o.seed), sample, 0);
  console.error(`[${secs()}s] ${o.trainN} training vectors x ${dim} (mixture of ${k} train embeddings, nearest-neighbour cosine ${cos.toFixed(3)}, sigma ${sigma.toFixed(3)})`);
  console.error(`[${secs()}s] training IVF${o.nlist} (k-means, cells cut un-whitened) then PQ${o.m}x8 on the residuals, ${o.iters} iterations each; minutes on 2 cores...`);
  const tTrain = performance.now();
  const ix = IVFPQIndex.train(sample, o.trainN, dim, { nlist: o.nlist, m: o.m, iters: o.iters, seed: o.seed, cellScale });
  const trainS = (performance.now() - tTrain) / 1000;
  const bytes = ivfpqToBytes(ix);
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, bytes);
  const description = `IVF${ix.nlist},${ix.pq.describe()}`;
  console.error(`[${secs()}s] trained in ${trainS.toFixed(1)}s; wrote ${o.out} (${bytes.length} bytes, ${description})`);
  return {
    out: o.out, bytes: bytes.length, description, dim, nlist: o.nlist, m: o.m, train_n: o.trainN, train_images: k, iters: o.iters,
    seed: o.seed, nn_cosine: cos, sigma, train_s: trainS, total_s: (performance.now() - t0) / 1000,
  };
}
