/**
 * How one catalog shard indexes each signal, from its env (core/index/index-plan.ts does the rest):
 * - VECTORIZE_<SIGNAL> bound: that signal's shortlist comes from Cloudflare Vectorize;
 * - CATALOG_SHORTLIST_SIGNALS (default embed,pdq; "all" for every signal): signals left out keep
 *   no hot index and are only re-scored, which is what lets a shard hold ~1M references in 128 MB;
 * - CATALOG_NPROBE, CATALOG_IVF_EXHAUSTIVE_BELOW: the descriptor's inverted file, scanned whole
 *   below that size; above it, PDQ is looked up within CATALOG_PDQ_RADIUS by multi-index hashing.
 * Fingerprints stay in SQLite either way, so exact re-scoring and fusion are unchanged.
 */
import ivfBytes from '../../../models/copy-desc.ivf.bin';
import { defaultIndexFactory, type IndexFactory } from '../../core/index/catalog.ts';
import { DEFAULT_BINARY_RADIUS, DEFAULT_EXHAUSTIVE_BELOW, DEFAULT_NPROBE, DEFAULT_SHORTLIST_SIGNALS, plannedIndexFactory } from '../../core/index/index-plan.ts';
import { VectorizeIndexAdapter } from './vectorize.ts';

interface Env { [k: string]: unknown }

function count(v: unknown, name: string, d: number): number {
  if (v === undefined || v === '') return d;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not "${String(v)}"`);
  return n;
}

export function shardIndexFactory(env: Env): IndexFactory {
  const list = typeof env.CATALOG_SHORTLIST_SIGNALS === 'string' ? env.CATALOG_SHORTLIST_SIGNALS.split(',').map((s) => s.trim()).filter(Boolean) : [];
  const vectorizeOrDefault: IndexFactory = (signal) => {
    const binding = env[`VECTORIZE_${signal.name.toUpperCase()}`] as Vectorize | undefined;
    return binding ? new VectorizeIndexAdapter(binding, signal.index.metric) : defaultIndexFactory(signal);
  };
  return plannedIndexFactory({
    ivf: env.VECTORIZE_EMBED ? undefined : new Uint8Array(ivfBytes),
    nprobe: count(env.CATALOG_NPROBE, 'CATALOG_NPROBE', DEFAULT_NPROBE),
    exhaustiveBelow: count(env.CATALOG_IVF_EXHAUSTIVE_BELOW, 'CATALOG_IVF_EXHAUSTIVE_BELOW', DEFAULT_EXHAUSTIVE_BELOW),
    shortlistSignals: list.length ? list : DEFAULT_SHORTLIST_SIGNALS,
    binaryRadius: count(env.CATALOG_PDQ_RADIUS, 'CATALOG_PDQ_RADIUS', DEFAULT_BINARY_RADIUS),
    mihAbove: count(env.CATALOG_IVF_EXHAUSTIVE_BELOW, 'CATALOG_IVF_EXHAUSTIVE_BELOW', DEFAULT_EXHAUSTIVE_BELOW),
  }, vectorizeOrDefault);
}
