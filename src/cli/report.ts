import type { Metrics } from '../core/eval/metrics.ts';

/** The same human-readable lines as bench/score.py prints, so the two can be compared by eye. */
export function formatMetrics(m: Metrics): string {
  const lines = [
    `queries ${m.nQueries} (positives ${m.nPositive}, distractors ${m.nDistractor}); scored prediction pairs ${m.nPredPairs}`,
  ];
  const all = Object.values(m.top1ByTier).reduce((a, t) => [a[0] + t.correct, a[1] + t.total], [0, 0]);
  lines.push(`top-1 accuracy (positives): ${m.top1.toFixed(4)}  (${all[0]}/${all[1]})`);
  for (const [t, v] of Object.entries(m.top1ByTier)) lines.push(`  ${t.padEnd(7)}: ${v.accuracy.toFixed(4)}  (${v.correct}/${v.total})`);
  lines.push(`micro-AP: ${m.microAP.toFixed(4)}`);
  lines.push(`recall@precision0.90: ${m.recallAtP90.toFixed(4)}  (score threshold ${fmt(m.thresholdAtP90)}; distractor FPR there ${m.distractorFprAtP90.toFixed(4)})`);
  if (m.atThreshold) {
    const t = m.atThreshold;
    lines.push(`at score >= ${fmt(t.threshold)}: precision ${t.precision.toFixed(4)} recall ${t.recall.toFixed(4)} distractor FPR ${t.distractorFpr.toFixed(4)} (${t.nPred} pairs)`);
  }
  return lines.join('\n');
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : 'inf';
}
