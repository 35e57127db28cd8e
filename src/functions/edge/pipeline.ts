/** The Worker's and the Durable Object's shared view of which signals and fusion model are live. */
import { DEFAULT_FUSION } from '../../core/fusion/defaults.ts';
import type { FusionModel } from '../../core/fusion/fusion.ts';
import { describePdq } from '../../core/pipeline.ts';
import { resolveSignals } from '../../core/signals/registry.ts';
import type { Fingerprint, Signal } from '../../core/signals/signal.ts';

export interface EdgePipeline {
  signals: Signal[];
  fusion: FusionModel;
  describePdq(fp: Fingerprint): { pdq?: string; pdqQuality?: number };
}

let cached: EdgePipeline | null = null;

export function createEdgePipeline(): EdgePipeline {
  cached ??= { signals: resolveSignals(DEFAULT_FUSION.signals), fusion: DEFAULT_FUSION, describePdq };
  return cached;
}
