/**
 * Node glue for the CLI: WASM codecs from node_modules, the signal list from names, and one
 * "fingerprint this file" step that every command shares (the Worker does the same through
 * src/functions/edge, over the same core).
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_FUSION, fusionFittedFor, singleSignalFusion } from '../core/fusion/defaults.ts';
import type { FusionModel } from '../core/fusion/fusion.ts';
import { fingerprintBytes, type LocalMode } from '../core/pipeline.ts';
import type { QueryFeatures } from '../core/verify/rerank.ts';
import type { VerifyOptions } from '../core/local/index.ts';
import { flatIndexFactory, shortlistingOnly, type IndexFactory } from '../core/index/catalog.ts';
import { DEFAULT_BINARY_RADIUS, defaultShortlist, plannedIndexFactory } from '../core/index/index-plan.ts';
import { resolveSignals } from '../core/signals/registry.ts';
import type { Fingerprint, Signal } from '../core/signals/signal.ts';
import { initNodeCodecs } from '../functions/node/codecs.ts';
import { loadNodeModelSignal } from '../functions/node/onnx.ts';
import { loadNearestKernel } from '../functions/node/nearest-wasm.ts';
import { ROOT } from './devserver.ts';

export const DEFAULT_SIGNALS = DEFAULT_FUSION.signals;
/** The encoder behind the `embed` signal unless --model names another config. */
export const DEFAULT_MODEL = `${ROOT}models/copy-desc.json`;

export interface Pipeline {
  signals: Signal[];
  fusion: FusionModel;
  /** How each signal's shortlist is indexed (PQ codes where a signal ships a quantizer, by default). */
  indexFactory: IndexFactory;
  fingerprintFile(path: string, local?: LocalMode): Promise<{ fingerprint: Fingerprint; ms: number; local?: QueryFeatures }>;
  /** Geometric verification settings: the WASM SIMD matcher, as the origin uses. */
  verify: VerifyOptions;
}

export interface PipelineOptions {
  model?: string;
  /** Exact float shortlists everywhere instead of PQ codes (to measure what PQ costs). */
  flatIndex?: boolean;
  /** Override the descriptor pack's score-normalisation weight (0 = whitening only). */
  beta?: number;
  /** Signals with a hot shortlist index (default embed,pdq as the service); the rest are re-scored only. */
  shortlistSignals?: string[];
}

export async function createPipeline(names: string[] = DEFAULT_SIGNALS, o: PipelineOptions = {}): Promise<Pipeline> {
  await initNodeCodecs();
  const extra = names.includes('embed') ? [await loadNodeModelSignal(o.model ?? DEFAULT_MODEL, { beta: o.beta })] : [];
  const signals = resolveSignals(names, extra);
  const kernel = await loadNearestKernel();
  return {
    signals,
    verify: { match: { kernel } },
    indexFactory: indexFactoryFor(names, o),
    // Resolved on use: fingerprinting needs no fusion model, searching does.
    get fusion() {
      return names.length === 1 ? singleSignalFusion(names[0]) : fusionFor(names);
    },
    async fingerprintFile(path, local = 'none') {
      const bytes = new Uint8Array(readFileSync(path));
      const t0 = performance.now();
      const res = await fingerprintBytes(signals, bytes, undefined, local);
      return { fingerprint: res.fingerprint, ms: performance.now() - t0, local: res.local };
    },
  };
}

/**
 * The service's index plan (shard-index.ts): the descriptor in the shipped IVF-PQ when it is the
 * default model, PDQ as bits, histograms re-scored only; --flat-index measures exact shortlists.
 */
function indexFactoryFor(names: string[], o: PipelineOptions): IndexFactory {
  const shortlistSignals = o.shortlistSignals ?? defaultShortlist(names);
  if (o.flatIndex) return shortlistingOnly(shortlistSignals, flatIndexFactory);
  const shipped = (o.model ?? DEFAULT_MODEL) === DEFAULT_MODEL;
  return plannedIndexFactory({
    ivf: shipped ? new Uint8Array(readFileSync(`${ROOT}models/copy-desc.ivf.bin`)) : undefined,
    shortlistSignals, binaryRadius: DEFAULT_BINARY_RADIUS,
  });
}

/**
 * The shipped fusion restricted to the chosen signals (a dropped signal's weights are dropped too).
 * A signal the model has no weights for gets weight 0, with a warning: its similarities still
 * reach --dump-candidates, which is how a refit that includes it starts.
 */
function fusionFor(names: string[]): FusionModel {
  const fitted = fusionFittedFor(names);
  if (fitted) return reorder(fitted, names);
  const missing = names.filter((n) => !DEFAULT_FUSION.signals.includes(n));
  if (missing.length) {
    process.stderr.write(`copycat: warning: no fusion weights for ${missing.join(', ')}; they score 0 until models/fusion.json is refitted\n`);
  }
  const pick = (arr: number[] | undefined, zero = 0) =>
    arr && names.map((n) => (DEFAULT_FUSION.signals.includes(n) ? arr[DEFAULT_FUSION.signals.indexOf(n)] : zero));
  return {
    ...DEFAULT_FUSION,
    signals: names,
    weights: pick(DEFAULT_FUSION.weights)!,
    marginWeights: pick(DEFAULT_FUSION.marginWeights)!,
    gapWeights: pick(DEFAULT_FUSION.gapWeights),
    gapFloor: pick(DEFAULT_FUSION.gapFloor),
  };
}

/** A fitted model with its per-signal arrays in the caller's signal order. */
function reorder(m: FusionModel, names: string[]): FusionModel {
  const idx = names.map((n) => m.signals.indexOf(n));
  const pick = (arr: number[] | undefined) => arr && idx.map((i) => arr[i]);
  return {
    ...m, signals: names, weights: pick(m.weights)!, marginWeights: pick(m.marginWeights)!,
    gapWeights: pick(m.gapWeights), gapFloor: pick(m.gapFloor),
  };
}
