/**
 * Fusion turns per-signal similarities into one score in [0, 1] that a human can read as "how sure
 * are we this is a copy": a logistic model over each signal's similarity and its margin over the
 * query's other candidates (a copy stands out from the crowd; a busy texture matches everything a
 * little). Weights, the copy threshold and the review band are data, shipped in
 * models/fusion.json, with a note of what they were fitted on.
 */
export interface FusionModel {
  /** 'identity' scores by the first signal's raw similarity (single-signal runs); default logistic. */
  kind?: 'logistic' | 'identity';
  /** Signal names in feature order; a missing signal contributes 0. */
  signals: string[];
  /** Weight per signal similarity. */
  weights: number[];
  /** Weight per signal margin (similarity minus the query's mean similarity over its shortlist). */
  marginWeights: number[];
  bias: number;
  /** score >= copyThreshold -> "copy"; >= reviewThreshold -> "review"; else "no_match". */
  copyThreshold: number;
  reviewThreshold: number;
  /** Where the numbers came from, for the reader of describe(). */
  fittedOn: string;
}

export type Verdict = 'copy' | 'review' | 'no_match';

export interface Candidate {
  key: string;
  similarities: Record<string, number>;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Per-signal mean similarity over a query's candidates: the baseline a true copy must beat. */
export function candidateMeans(model: FusionModel, cands: Candidate[]): number[] {
  return model.signals.map((s) => {
    if (cands.length === 0) return 0;
    let sum = 0;
    for (const c of cands) sum += c.similarities[s] ?? 0;
    return sum / cands.length;
  });
}

export function features(model: FusionModel, c: Candidate, means: number[]): number[] {
  const f: number[] = [];
  model.signals.forEach((s, i) => {
    const v = c.similarities[s] ?? 0;
    f.push(v, v - means[i]);
  });
  return f;
}

export function fuse(model: FusionModel, c: Candidate, means: number[]): number {
  if (model.kind === 'identity') return c.similarities[model.signals[0]] ?? 0;
  let z = model.bias;
  const f = features(model, c, means);
  for (let i = 0; i < model.signals.length; i++) {
    z += model.weights[i] * f[2 * i] + model.marginWeights[i] * f[2 * i + 1];
  }
  return sigmoid(z);
}

export function verdictFor(model: FusionModel, score: number): Verdict {
  if (score >= model.copyThreshold) return 'copy';
  if (score >= model.reviewThreshold) return 'review';
  return 'no_match';
}
