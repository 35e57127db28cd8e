/** The shipped fusion model (weights, copy threshold, review band); see models/README.md. */
import fusionJson from '../../../models/fusion.json';
import type { FusionModel } from './fusion.ts';

export const DEFAULT_FUSION: FusionModel = fusionJson as FusionModel;

/** A single-signal run scores by that signal's raw similarity, so `--signals pdq` ranks by PDQ alone. */
export function singleSignalFusion(name: string): FusionModel {
  return {
    kind: 'identity', signals: [name], weights: [1], marginWeights: [0], bias: 0,
    copyThreshold: 0.9, reviewThreshold: 0.8, fittedOn: 'raw similarity, thresholds not calibrated',
  };
}
