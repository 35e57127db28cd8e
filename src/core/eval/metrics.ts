/**
 * Copy-detection metrics with the exact definitions of ../shared/bench/score.py (DISC21 micro-AP
 * with pessimistic ties, top-1 per tier, recall at precision 0.9, distractor false-positive rate), so
 * `copycat bench` and score.py agree to the last digit on the same predictions.
 */
export interface TruthRow { query: string; source: string; tier: string; transform: string }
export interface Prediction { query: string; source: string; score: number }

export interface Metrics {
  nQueries: number; nPositive: number; nDistractor: number; nPredPairs: number;
  top1: number;
  top1ByTier: Record<string, { accuracy: number; correct: number; total: number }>;
  microAP: number;
  recallAtP90: number;
  thresholdAtP90: number;
  distractorFprAtP90: number;
  atThreshold?: { threshold: number; precision: number; recall: number; distractorFpr: number; nPred: number };
}

/** Same id normalisation as score.py: basename without extension. */
export function normId(x: string): string {
  const b = x.trim().split('/').pop() ?? '';
  const dot = b.lastIndexOf('.');
  return dot > 0 ? b.slice(0, dot) : b;
}

const TIER_ORDER: Record<string, number> = { easy: 0, medium: 1, hard: 2 };

export function evaluate(truthRows: TruthRow[], preds: Prediction[], threshold?: number): Metrics {
  const truth = new Map(truthRows.map((r) => [normId(r.query), { ...r, source: normId(r.source), tier: r.tier || 'all' }]));
  const pos = new Map([...truth].filter(([, v]) => v.source));
  const dis = new Set([...truth].filter(([, v]) => !v.source).map(([q]) => q));
  const best = new Map<string, { q: string; s: string; sc: number }>();
  for (const p of preds) {
    const q = normId(p.query), s = normId(p.source);
    if (!truth.has(q) || !s) continue;
    const k = `${q}\u0000${s}`;
    const cur = best.get(k);
    if (!cur || p.score > cur.sc) best.set(k, { q, s, sc: p.score });
  }
  const top = new Map<string, { s: string; sc: number }>();
  for (const { q, s, sc } of best.values()) {
    const t = top.get(q);
    if (!t || sc > t.sc || (sc === t.sc && s < t.s)) top.set(q, { s, sc });
  }
  const tiers = [...new Set([...pos.values()].map((v) => v.tier))].sort((a, b) => (TIER_ORDER[a] ?? 9) - (TIER_ORDER[b] ?? 9));
  const top1ByTier: Metrics['top1ByTier'] = {};
  for (const t of ['all', ...tiers]) {
    const qs = [...pos].filter(([, v]) => t === 'all' || v.tier === t);
    const ok = qs.filter(([q, v]) => top.get(q)?.s === v.source).length;
    top1ByTier[t] = { accuracy: qs.length ? ok / qs.length : NaN, correct: ok, total: qs.length };
  }
  const items = [...best.values()].sort((a, b) => b.sc - a.sc || (a.q < b.q ? -1 : a.q > b.q ? 1 : a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  let uap = 0, r90 = 0, t90 = Infinity;
  const npos = pos.size;
  if (items.length && npos) {
    let ctp = 0, prev = 0;
    for (let k = 1; k <= items.length; k++) {
      const it = items[k - 1];
      if (pos.get(it.q)?.source === it.s) ctp++;
      if (k === items.length || items[k].sc !== it.sc) {
        const p = ctp / k, r = ctp / npos;
        uap += p * (r - prev); prev = r;
        if (p >= 0.9 && r > r90) { r90 = r; t90 = it.sc; }
      }
    }
  }
  const disFpr = (t: number) => {
    if (!dis.size) return NaN;
    const hit = new Set([...best.values()].filter((b) => dis.has(b.q) && b.sc >= t).map((b) => b.q));
    return hit.size / dis.size;
  };
  const { all, ...byTier } = top1ByTier;
  const m: Metrics = {
    nQueries: truth.size, nPositive: npos, nDistractor: dis.size, nPredPairs: items.length,
    top1: all.accuracy, top1ByTier: byTier, microAP: uap, recallAtP90: r90, thresholdAtP90: t90,
    distractorFprAtP90: disFpr(t90),
  };
  if (threshold !== undefined) {
    const sel = [...best.values()].filter((b) => b.sc >= threshold);
    const ntp = sel.filter((b) => pos.get(b.q)?.source === b.s).length;
    m.atThreshold = { threshold, precision: sel.length ? ntp / sel.length : NaN, recall: npos ? ntp / npos : NaN, distractorFpr: disFpr(threshold), nPred: sel.length };
  }
  return m;
}

/** Minimal CSV for our own files (no quoted commas in ids or transforms we read). */
export function parseCsv(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  if (!lines.length) return [];
  const head = splitCsvLine(lines[0]).map((h) => h.trim().toLowerCase());
  return lines.slice(1).map((l) => {
    const cells = splitCsvLine(l);
    return Object.fromEntries(head.map((h, i) => [h, cells[i] ?? '']));
  });
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false; else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}
