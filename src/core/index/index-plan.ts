/**
 * Which index each signal's shortlist lives in, the same for the Durable Object shard and the CLI
 * (so that `copycat bench` measures what the service serves): the descriptor in an inverted file
 * built from a shipped quantizer (scanned exhaustively while small, then `nprobe` cells), PDQ as
 * bits (scanned while small, then multi-index hashing within a radius), the rest by the core default; signals outside `shortlistSignals` keep no hot index.
 */
import { defaultIndexFactory, shortlistingOnly, type IndexFactory } from './catalog.ts';
import { HammingIndex } from './hamming-index.ts';
import { ivfpqFromBytes } from './ivf-pq-io.ts';

export interface IndexPlan {
  /** Trained IVF-PQ state for the descriptor (models/copy-desc.ivf.bin); absent: PQ codes, scanned whole. */
  ivf?: Uint8Array;
  /** The signal the IVF is for. */
  ivfSignal?: string;
  nprobe?: number;
  exhaustiveBelow?: number;
  shortlistSignals?: readonly string[];
  /**
   * Binary signals (PDQ) at scale: once an index holds `mihAbove` codes, look up only codes within
   * this Hamming radius through multi-index hashing (0: always scan everything).
   */
  binaryRadius?: number;
  mihAbove?: number;
}

export const DEFAULT_NPROBE = 64;
/** PDQ's usual match threshold (ThreatExchange): beyond it PDQ says nothing the descriptor does not. */
export const DEFAULT_BINARY_RADIUS = 31;
/**
 * The colour histograms add no candidate the descriptor and PDQ miss: on s1 with verification
 * every metric is identical without their shortlists (docs/scaling.md), and they cost 2 KB of
 * hot memory per reference. They are still re-scored for every shortlisted reference.
 */
export const DEFAULT_SHORTLIST_SIGNALS = ['embed', 'pdq'];

/** The default shortlisting signals among those in use; all of them when none of the defaults is. */
export function defaultShortlist(names: readonly string[]): string[] | undefined {
  const chosen = DEFAULT_SHORTLIST_SIGNALS.filter((n) => names.includes(n));
  return chosen.length ? chosen : undefined;
}
export const DEFAULT_EXHAUSTIVE_BELOW = 20_000;

export function plannedIndexFactory(plan: IndexPlan, base: IndexFactory = defaultIndexFactory): IndexFactory {
  const target = plan.ivfSignal ?? 'embed';
  const withIvf: IndexFactory = (signal) => {
    if (plan.ivf && signal.name === target) {
      // refine 0: the catalog re-scores its shortlist exactly from the stored fingerprints anyway.
      const ix = ivfpqFromBytes(plan.ivf, {
        nprobe: plan.nprobe ?? DEFAULT_NPROBE, refine: 0, exhaustiveBelow: plan.exhaustiveBelow ?? DEFAULT_EXHAUSTIVE_BELOW,
      });
      if (ix.dim !== signal.index.dimensions) throw new Error(`the IVF model has ${ix.dim} dimensions, signal ${signal.name} ${signal.index.dimensions}`);
      return ix;
    }
    if (signal.index.binary && (plan.binaryRadius ?? 0) > 0 && signal.index.dimensions === 256) {
      return new HammingIndex(256, { mih: { radius: plan.binaryRadius!, above: plan.mihAbove ?? DEFAULT_EXHAUSTIVE_BELOW } });
    }
    return base(signal);
  };
  return shortlistingOnly(plan.shortlistSignals, withIvf);
}
