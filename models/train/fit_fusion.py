#!/usr/bin/env python3
"""Fits the fusion model (models/fusion.json) on a labelled calibration set, never on a benchmark.

Why: fusion.ts scores a shortlisted candidate c of a query as sigmoid(bias + sum_i
    weights[i]*sim_i(c) + marginWeights[i]*(sim_i(c) - mean_i) + gapWeights[i]*(sim_i(c) - best_i(not c)))
where mean_i is signal i's mean similarity over that query's shortlist and best_i(not c) the highest
similarity among the query's other shortlisted candidates. The weights were hand-set; this fits them
by L2-regularised logistic regression (Newton/IRLS, bias unpenalised) on candidate rows labelled 1
when the candidate is the query's true source, and checks that the ranking generalises: micro-AP and
top-1 (as src/core/eval/metrics.ts: top-10 rows per query, scores rounded to 6 decimals, pessimistic
ties) on held-out halves of the calibration queries, for several feature forms (FORMS; some are not
implemented by fusion.ts and are there for information only).

Inputs: the JSONL of `copycat bench --dump-candidates` ({"query", "cands": [[refId, {signal: sim}]]})
and truth.csv (query,source,tier,transform) of a set from make_calibration_set.py. Writes the --form
fit (L2 strength chosen by held-out micro-AP) to --out with copyThreshold at precision 0.99 and
reviewThreshold at precision 0.9 (max recall) on the whole calibration set.

  /usr/bin/python3 models/train/make_calibration_set.py --out out/calib --seed 1   # and --seed 2 -> out/calib2
  node bin/copycat.js bench --refs out/calib/refs --queries out/calib/queries --truth out/calib/truth.csv \
      --dump-candidates out/calib/cands.jsonl --quiet                              # likewise for out/calib2
  /usr/bin/python3 models/train/fit_fusion.py --cands out/calib/cands.jsonl --truth out/calib/truth.csv \
      --test-cands out/calib2/cands.jsonl --test-truth out/calib2/truth.csv --out models/fusion.json \
      --note "models/train/make_calibration_set.py --seed 1 (...) then copycat bench --dump-candidates"
"""
import argparse
import csv
import json
import subprocess

import numpy as np

HAND_W, HAND_B = np.array([10, 0, 3, 0, 2, 0], float), -10.0  # the old hand-set weights [10, 3, 2], no margins


def load(cands_path, truth_path):
    truth = {r['query']: r for r in csv.DictReader(open(truth_path, newline=''))}
    qs = []
    for line in open(cands_path):
        d = json.loads(line)
        t = truth[d['query']]
        qs.append({'q': d['query'], 'src': t['source'], 'tier': t['tier'] or 'all',
                   'ids': [c[0] for c in d['cands']], 'ida': np.array([c[0] for c in d['cands']]), 'sims': [c[1] for c in d['cands']]})
    missing = set(truth) - {q['q'] for q in qs}
    if missing:
        raise SystemExit(f'{len(missing)} truth queries have no candidate line, e.g. {sorted(missing)[:3]}')
    return qs


# Feature forms compared: 'margin' is what fusion.ts implements; the others are for information.
FORMS = {
    'hand': ('sim', 'margin'),        # the old hand-set weights, not fitted
    'raw': ('sim',),                  # sims only
    'margin': ('sim', 'margin'),      # fusion.ts: sim and sim - shortlist mean, interleaved per signal
    'zmargin': ('sim', 'margin', 'z'),
    'gap': ('sim', 'margin', 'gap'),
    'simgap': ('sim', 'gap'),
    'max': ('sim', 'margin', 'max'),
    'sq': ('sim', 'margin', 'sq'),
}


GAP_FLOOR = None  # per-signal floor under "best other" (set in main, written as gapFloor)


def gap_floor(qs, signals, pct=5):
    """Low percentile of each query's best non-source similarity: what "the crowd" is at least, so a
    tiny catalog (no other candidate) does not make any candidate look like a clear winner."""
    best = []
    for q in qs:
        rows = [s for i, s in zip(q['ids'], q['sims']) if i != q['src']]
        best.append([max((r.get(n, 0.0) for r in rows), default=0.0) for n in signals])
    return np.round(np.percentile(np.array(best), pct, axis=0), 4)


def query_features(q, signals, groups):
    """Feature matrix of one query's candidates, columns grouped as in FORMS."""
    S = np.array([[s.get(n, 0.0) for n in signals] for s in q['sims']], float).reshape(-1, len(signals))
    mean = S.mean(0) if len(S) else np.zeros(len(signals))
    cols = []
    if 'margin' in groups:
        cols.append(np.stack([S, S - mean], 2).reshape(len(S), -1))
    elif 'sim' in groups:
        cols.append(S)
    if 'z' in groups:
        cols.append((S - mean) / (S.std(0) + 1e-6))
    if 'gap' in groups:  # margin over the best OTHER candidate of this query, per signal
        top2 = -np.sort(-S, 0)[:2] if len(S) > 1 else np.vstack([S, np.zeros_like(S)])
        other = np.where(S >= top2[0], top2[1], top2[0])
        cols.append(S - (np.maximum(other, GAP_FLOOR) if GAP_FLOOR is not None else other))
    if 'sq' in groups:
        cols.append(S ** 2)
        cols.append(np.stack([S[:, i] * S[:, j] for i in range(S.shape[1]) for j in range(i + 1, S.shape[1])], 1))
    if 'max' in groups:
        cols.append((S - mean).max(1, keepdims=True))
    return np.hstack(cols)


def build(qs, signals, form):
    X = [query_features(q, signals, FORMS[form]) for q in qs]
    y = [np.array([i == q['src'] for i in q['ids']], float) for q in qs]
    return X, y


def to_model(form, w, n):
    """fusion.json weight fields from a fitted weight vector of a form fusion.ts implements."""
    groups, r = FORMS[form], lambda v: [round(float(x), 4) for x in v]
    out = {'weights': r(w[0:2 * n:2] if 'margin' in groups else w[:n]),
           'marginWeights': r(w[1:2 * n:2]) if 'margin' in groups else [0.0] * n, 'gapWeights': [0.0] * n}
    off = 2 * n if 'margin' in groups else n
    if 'gap' in groups:
        out['gapWeights'], off = r(w[off:off + n]), off + n
    assert off == len(w), f'form {form} has features fusion.ts does not implement'
    return out


def fit_logistic(X, y, lam, iters=50):
    """Newton/IRLS for summed log-loss + lam/2 * |w|^2 (bias unpenalised); returns (w, b)."""
    A = np.hstack([X, np.ones((len(X), 1))])
    theta = np.zeros(A.shape[1])
    R = lam * np.eye(A.shape[1])
    R[-1, -1] = 0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(A @ theta, -35, 35)))
        g = A.T @ (p - y) + R @ theta
        H = (A * (p * (1 - p))[:, None]).T @ A + R + 1e-9 * np.eye(A.shape[1])
        step = np.linalg.solve(H, g)
        theta -= step
        if np.max(np.abs(step)) < 1e-9:
            break
    return theta[:-1], theta[-1]


def predictions(qs, X, w, b, top=10):
    """Top-`top` (query, source, score) rows per query, as runPredict + bench produce them."""
    rows = []
    for q, x in zip(qs, X):
        sc = np.round(1 / (1 + np.exp(-np.clip(x @ w + b, -700, 700))), 6)
        order = np.lexsort((q['ida'], -sc))[:top]
        rows += [(q['q'], q['ids'][k], float(sc[k])) for k in order]
    return rows


def metrics(qs, rows):
    """micro-AP (pessimistic ties) and top-1 overall / per tier, as src/core/eval/metrics.ts."""
    src = {q['q']: q['src'] for q in qs}
    npos = sum(1 for q in qs if q['src'])
    items = sorted(rows, key=lambda r: (-r[2], r[0], r[1]))
    ap, ctp, prev, curve = 0.0, 0, 0.0, []
    for k, (qq, s, sc) in enumerate(items, 1):
        ctp += src[qq] == s
        if k == len(items) or items[k][2] != sc:
            p, r = ctp / k, ctp / npos
            ap += p * (r - prev)
            prev = r
            curve.append((sc, p, r))
    best = {}
    for qq, s, sc in items:
        best.setdefault(qq, s)
    top1 = {}
    for t in ('all', 'easy', 'medium', 'hard'):
        pos = [q for q in qs if q['src'] and (t == 'all' or q['tier'] == t)]
        if pos:
            top1[t] = sum(best.get(q['q']) == q['src'] for q in pos) / len(pos)
    return ap, top1, curve


def threshold_at(curve, precision):
    """Lowest score whose precision (rows scoring >= it) is >= `precision`, taking the max recall."""
    best = (float('inf'), 0.0, 0.0)
    for sc, p, r in curve:
        if p >= precision and r > best[2]:
            best = (sc, p, r)
    return best


def fit_or_hand(qs, signals, form, lam):
    if form == 'hand':
        return HAND_W, HAND_B
    X, y = build(qs, signals, form)
    return fit_logistic(np.vstack(X), np.concatenate(y), lam)


def held_out(qs, signals, form, lam, splits, seed):
    """Mean and sd over `splits` random 50/50 query splits, each half fitted on the other."""
    aps, t1s = [], []
    rng = np.random.default_rng(seed)
    X, y = build(qs, signals, form)
    for _ in range(splits):
        perm = rng.permutation(len(qs))
        halves = [perm[: len(qs) // 2], perm[len(qs) // 2:]]
        for tr, te in (halves, halves[::-1]):
            if form == 'hand':
                w, b = HAND_W, HAND_B
            else:
                w, b = fit_logistic(np.vstack([X[i] for i in tr]), np.concatenate([y[i] for i in tr]), lam)
            sub = [qs[i] for i in te]
            ap, top1, _ = metrics(sub, predictions(sub, [X[i] for i in te], w, b))
            aps.append(ap)
            t1s.append(top1['all'])
    return np.mean(aps), np.std(aps), np.mean(t1s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--cands', default='out/calib/cands.jsonl')
    ap.add_argument('--truth', default='out/calib/truth.csv')
    ap.add_argument('--out', default='models/fusion.json', help="'' to only compare variants")
    ap.add_argument('--signals', default='pdq,hist_hsv,hist_gray')
    ap.add_argument('--lams', default='0.001,0.01,0.1,1,10', help='L2 strengths compared; the best held-out is used')
    ap.add_argument('--splits', type=int, default=5)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--test-cands', default='', help='candidates of a second calibration set (another --seed)')
    ap.add_argument('--test-truth', default='')
    ap.add_argument('--form', default='simgap', choices=['raw', 'margin', 'gap', 'simgap'],
                    help='feature form written to --out (the forms fusion.ts implements)')
    ap.add_argument('--note', default='', help='how the calibration set and candidates were made, for fittedOn')
    a = ap.parse_args()
    signals = a.signals.split(',')
    qs = load(a.cands, a.truth)
    global GAP_FLOOR
    GAP_FLOOR = gap_floor(qs, signals)
    print(f'gap floor (5th percentile of best non-source similarity): {GAP_FLOOR.tolist()}')
    npos = sum(1 for q in qs if q['src'])
    ncand = sum(len(q['ids']) for q in qs)
    print(f'{len(qs)} queries ({npos} copies, {len(qs) - npos} distractors), {ncand} candidate rows, signals {signals}')
    lams = [float(x) for x in a.lams.split(',')]
    print(f'held-out micro-AP over {a.splits}x2 half splits (mean +- sd, top-1):')
    res = {}
    # The old hand-set weights exist only for the three classic signals.
    forms = [f for f in FORMS if f != 'hand' or signals == ['pdq', 'hist_hsv', 'hist_gray']]
    for form in forms:
        for lam in ([0.0] if form == 'hand' else lams):
            m, sd, t1 = held_out(qs, signals, form, lam, a.splits, a.seed)
            res[(form, lam)] = m
            print(f'  {form:8s} lam={lam:<7g} uAP {m:.4f} +- {sd:.4f}  top-1 {t1:.4f}')
    if a.test_cands:  # a second, independently generated set: fit each form on all of this one, test there
        tq = load(a.test_cands, a.test_truth)
        print(f'fitted on all {len(qs)} queries, tested on {a.test_cands} ({len(tq)} queries):')
        for form in forms:
            lam = 0.0 if form == 'hand' else max(lams, key=lambda l: res[(form, l)])
            w, b = fit_or_hand(qs, signals, form, lam)
            ap_t, top1, _ = metrics(tq, predictions(tq, build(tq, signals, form)[0], w, b))
            print(f'  {form:8s} lam={lam:<7g} uAP {ap_t:.4f}  top-1 {json.dumps({k: round(v, 4) for k, v in top1.items()})}')
    lam = max(lams, key=lambda l: res[(a.form, l)])
    X, y = build(qs, signals, a.form)
    w, b = fit_logistic(np.vstack(X), np.concatenate(y), lam)
    w, b = np.round(w, 4), round(float(b), 4)  # thresholds and metrics of the model exactly as written
    uap, top1, curve = metrics(qs, predictions(qs, X, w, b))
    copy_t, review_t = threshold_at(curve, 0.99), threshold_at(curve, 0.9)
    parts = to_model(a.form, w, len(signals))
    print(f'chosen: {a.form}, lam={lam:g}: {json.dumps(parts)} bias {b:.4f}')
    print(f'in-sample micro-AP {uap:.4f}, top-1 {json.dumps({k: round(v, 4) for k, v in top1.items()})}')
    print(f'copyThreshold {copy_t[0]:.6f} (precision {copy_t[1]:.4f}, recall {copy_t[2]:.4f}); '
          f'reviewThreshold {review_t[0]:.6f} (precision {review_t[1]:.4f}, recall {review_t[2]:.4f})')
    if not a.out:
        return
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    model = {
        'signals': signals, **parts, 'gapFloor': GAP_FLOOR.tolist(), 'bias': round(float(b), 4),
        'copyThreshold': round(copy_t[0], 6), 'reviewThreshold': round(review_t[0], 6),
        'fittedOn': (f'models/train/fit_fusion.py --form {a.form} (L2 logistic, lambda {lam:g}, chosen by held-out micro-AP) on '
                     f'{a.cands}: {len(qs)} queries ({npos} copies, {len(qs) - npos} distractors), {ncand} candidate rows, '
                     f'from {a.note or a.truth}; code at {commit or "?"} (plus working-tree edits). Calibration-set '
                     f'micro-AP {uap:.4f} in-sample, {res[(a.form, lam)]:.4f} held-out (hand-set weights {res.get(("hand", 0.0), float("nan")):.4f}); copyThreshold = score at '
                     f'precision {copy_t[1]:.3f} (recall {copy_t[2]:.3f}), reviewThreshold = score at precision '
                     f'{review_t[1]:.3f} (recall {review_t[2]:.3f}) on that set. Not fitted on any benchmark.'),
    }
    with open(a.out, 'w') as fh:
        fh.write(json.dumps(model, indent=2) + '\n')
    print(f'wrote {a.out}')


if __name__ == '__main__':
    main()
