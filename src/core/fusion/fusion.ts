/**
 * Fusion turns per-signal similarities into one score in [0, 1] that a human can read as "how sure
 * are we this is a copy": a logistic model over each signal's similarity, its margin over the mean
 * of the query's shortlist, and its gap to the best OTHER shortlisted candidate (a copy stands out
 * from the crowd; a busy texture matches everything a little; a distractor has no clear winner).
 * Weights, the copy threshold and the review band are data, shipped in models/fusion.json, with a
 * note of what they were fitted on (models/train/fit_fusion.py).
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
  /**
   * Weight per signal gap (similarity minus the highest similarity among the query's OTHER
   * shortlisted candidates); absent = all 0. Must have one entry per signal.
   */
  gapWeights?: number[];
  /**
   * Per signal, the least "best other" similarity assumed (a low percentile of the calibration
   * set's): with few images indexed there is no crowd to stand out from, and without a floor
   * any lone candidate would look like a clear winner.
   */
  gapFloor?: number[];
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

/** Per-signal statistics of a query's shortlist that each candidate is measured against. */
export interface ShortlistStats {
  /** Mean similarity over the shortlist. */
  mean: number[];
  /** Highest and second-highest similarity over the shortlist (0 where there is none). */
  best: number[];
  second: number[];
}

/** The shortlist statistics fuse() needs. */
export function shortlistStats(model: FusionModel, cands: Candidate[]): ShortlistStats {
  const n = model.signals.length;
  const stats: ShortlistStats = { mean: new Array(n).fill(0), best: new Array(n).fill(0), second: new Array(n).fill(0) };
  model.signals.forEach((s, i) => {
    let sum = 0, best = -Infinity, second = -Infinity;
    for (const c of cands) {
      const v = c.similarities[s] ?? 0;
      sum += v;
      if (v > best) { second = best; best = v; } else if (v > second) second = v;
    }
    if (cands.length) stats.mean[i] = sum / cands.length;
    if (best > -Infinity) stats.best[i] = best;
    if (second > -Infinity) stats.second[i] = second;
  });
  return stats;
}

/** Per signal: similarity, margin over the shortlist mean, gap to the best other candidate. */
export function features(model: FusionModel, c: Candidate, stats: ShortlistStats): number[] {
  const f: number[] = [];
  model.signals.forEach((s, i) => {
    const v = c.similarities[s] ?? 0;
    const bestOther = Math.max(v >= stats.best[i] ? stats.second[i] : stats.best[i], model.gapFloor?.[i] ?? 0);
    f.push(v, v - stats.mean[i], v - bestOther);
  });
  return f;
}

export function fuse(model: FusionModel, c: Candidate, stats: ShortlistStats): number {
  if (model.kind === 'identity') return c.similarities[model.signals[0]] ?? 0;
  const n = model.signals.length;
  const gw = model.gapWeights ?? new Array(n).fill(0);
  if (gw.length !== n || model.weights.length !== n || model.marginWeights.length !== n) {
    // A model restricted to a subset of signals must restrict every per-signal array alike.
    throw new Error(`fusion model weights (${model.weights.length}/${model.marginWeights.length}/${gw.length}) do not match its ${n} signals (${model.signals.join(',')})`);
  }
  let z = model.bias;
  const f = features(model, c, stats);
  for (let i = 0; i < n; i++) {
    z += model.weights[i] * f[3 * i] + model.marginWeights[i] * f[3 * i + 1] + gw[i] * f[3 * i + 2];
  }
  return sigmoid(z);
}

export function verdictFor(model: FusionModel, score: number): Verdict {
  if (score >= model.copyThreshold) return 'copy';
  if (score >= model.reviewThreshold) return 'review';
  return 'no_match';
}
