/** The shipped fusion models (weights, copy threshold, review band); see models/README.md. */
import classicJson from '../../../models/fusion-classic.json';
import fusionJson from '../../../models/fusion.json';
import type { FusionModel } from './fusion.ts';

/** The default: every signal, the learned descriptor included. */
export const DEFAULT_FUSION: FusionModel = fusionJson as FusionModel;

/** Fitted for the classic signals alone (pdq, hist_hsv, hist_gray), for runs without a model. */
export const CLASSIC_FUSION: FusionModel = classicJson as FusionModel;

/** The shipped model fitted for exactly this set of signals (any order), if there is one. */
export function fusionFittedFor(names: string[]): FusionModel | undefined {
  const key = [...names].sort().join(',');
  return [DEFAULT_FUSION, CLASSIC_FUSION].find((m) => [...m.signals].sort().join(',') === key);
}

/** A single-signal run scores by that signal's raw similarity, so `--signals pdq` ranks by PDQ alone. */
export function singleSignalFusion(name: string): FusionModel {
  return {
    kind: 'identity', signals: [name], weights: [1], marginWeights: [0], bias: 0,
    copyThreshold: 0.9, reviewThreshold: 0.8, fittedOn: 'raw similarity, thresholds not calibrated',
  };
}
