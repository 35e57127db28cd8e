"""FAISS baseline for `copycat bench-index` (issue 8): not training and never served, but the
benchmark's reference point, which needs Debian's python3-faiss (1.7.3). Reads the vectors the
TypeScript benchmark wrote, computes exact ground truth (IndexFlatIP) and times exact search one
query at a time (the brute-force reference), then builds IndexIVFPQ with the same nlist / M /
nbits wrapped in IndexRefineFlat (the same exact re-ranking) ONCE and sweeps nprobe (and the
refine factor) over it, one query at a time on one thread. Writes a JSON summary and the ground
truth for the TS side.

With a CELL_SCALE file (float32 per dimension: sqrt of the descriptor's PCA eigenvalues, what
`--cell-scale eigen` gives our index), a second IVF-PQ cuts its cells in the scaled space as ours
does: k-means on scaled vectors, coarse centroids mapped back (c / s) for residuals and scores,
assignment by L2 in the scaled space. IndexIVFPQ cannot scale for its quantizer only, so the
assignment is done outside (a flat L2 index over the scaled centroids) and handed to
add_core / search_preassigned, and the refine step is an exact numpy re-rank of k_factor * k
candidates; the few Python calls per query are included in its time (a few tens of microseconds).

usage: python3 models/train/faiss_baseline.py DIR NLIST M NPROBES REFINES TRAIN_N [CELL_SCALE]
NPROBES and REFINES are comma lists; the nprobe sweep is also run on a finer grid (x1.5 steps)
so that FAISS's time at equal recall can be read off. DIR holds base.f32 (n x d), queries.f32
(q x d), meta.json {n, d, q}, and optionally copies.f32 / copies_src.i32 (s1 positives and the
rows of their sources).
"""
import json
import sys
import time

import faiss
import numpy as np

FLAT_QUERIES = 200


def parse_list(s: str) -> list:
    return [int(x) for x in s.split(",") if x.strip()]


def fine_grid(nprobes: list, nlist: int) -> list:
    """The requested nprobes plus the points between them in x1.5 / x2 steps (capped at nlist)."""
    grid = set(p for p in nprobes if p <= nlist)
    p = 1
    while p <= nlist:
        grid.add(p)
        if p * 3 // 2 <= nlist and p >= 2:
            grid.add(p * 3 // 2)
        p *= 2
    grid.add(nlist)
    lo = min(nprobes)
    return sorted(x for x in grid if x >= min(lo, 8))


def stats(times: list) -> tuple:
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def sweep(search, queries, gt, copies, sources, nprobes, refines, set_params, requested) -> list:
    """For each (refine, nprobe): p50/p99 per query, recall@10 vs exact, true-copy top-10 rate."""
    rows = []
    q = len(queries)
    for refine in refines:
        for nprobe in nprobes:
            set_params(nprobe, refine)
            times, found = [], np.zeros((q, 10), dtype=np.int64)
            for i in range(q):
                t = time.perf_counter()
                ids = search(queries[i : i + 1])
                times.append((time.perf_counter() - t) * 1000)
                found[i] = ids
            recall = float(np.mean([len(set(found[i]) & set(gt[i])) / 10 for i in range(q)]))
            copy = None
            if copies is not None:
                copy = float(np.mean([sources[i] in search(copies[i : i + 1]) for i in range(len(sources))]))
            p50, p99 = stats(times)
            rows.append({
                "nprobe": nprobe, "refine": refine, "p50_ms": p50, "p99_ms": p99, "recall_at_10": recall,
                "true_copy_top10": copy, "requested": nprobe in requested,
            })
            print(f"faiss nprobe={nprobe} refine={refine}: p50 {p50:.3f} ms recall {recall:.3f} copy {copy}", file=sys.stderr, flush=True)
    return rows


def main() -> None:
    d_dir, nlist, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    requested, refines, train_n = parse_list(sys.argv[4]), parse_list(sys.argv[5]), int(sys.argv[6])
    scale_path = sys.argv[7] if len(sys.argv) > 7 else None
    nprobes = fine_grid(requested, nlist)
    meta = json.load(open(f"{d_dir}/meta.json"))
    n, d, q = meta["n"], meta["d"], meta["q"]
    base = np.fromfile(f"{d_dir}/base.f32", dtype=np.float32).reshape(n, d)
    queries = np.fromfile(f"{d_dir}/queries.f32", dtype=np.float32).reshape(q, d)
    faiss.omp_set_num_threads(1)
    flat = faiss.IndexFlatIP(d)
    flat.add(base)
    _, gt = flat.search(queries, 10)
    gt.astype(np.int32).tofile(f"{d_dir}/gt.i32")
    # Brute force, one query at a time (the reference any index has to beat).
    flat_times = []
    for i in range(min(q, FLAT_QUERIES)):
        t = time.perf_counter()
        flat.search(queries[i : i + 1], 10)
        flat_times.append((time.perf_counter() - t) * 1000)
    flat_p50, flat_p99 = stats(flat_times)
    print(f"faiss flat: p50 {flat_p50:.2f} ms", file=sys.stderr, flush=True)
    exact_copy, copies, sources = None, None, None
    try:
        copies = np.fromfile(f"{d_dir}/copies.f32", dtype=np.float32).reshape(-1, d)
        sources = np.fromfile(f"{d_dir}/copies_src.i32", dtype=np.int32)
        _, top = flat.search(copies, 10)
        # The ceiling for any index: how often exact search itself keeps the source in the top 10.
        exact_copy = float(np.mean([sources[i] in top[i] for i in range(len(sources))]))
    except FileNotFoundError:
        pass
    del flat

    rng = np.random.default_rng(1)
    train = base[rng.choice(n, size=min(train_n, n), replace=False)]

    # Cells as served (whitened space): the stock IVFPQ + RefineFlat.
    quantizer = faiss.IndexFlatIP(d)
    ivf = faiss.IndexIVFPQ(quantizer, d, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
    t0 = time.time()
    ivf.train(train)
    # The refine wrapper keeps its own flat copy, so it must see every add.
    index = faiss.IndexRefineFlat(ivf)
    index.add(base)
    build_s = time.time() - t0
    print(f"faiss build (whitened cells): {build_s:.1f} s", file=sys.stderr, flush=True)

    def set_whitened(nprobe, refine):
        ivf.nprobe = nprobe
        index.k_factor = refine

    rows = sweep(lambda x: index.search(x, 10)[1][0], queries, gt, copies, sources, nprobes, refines, set_whitened, requested)
    del index, ivf, quantizer

    out = {
        "faiss_version": faiss.__version__, "faiss_build_s": build_s,
        "faiss_flat_p50_ms": flat_p50, "faiss_flat_p99_ms": flat_p99, "faiss_flat_queries": len(flat_times),
        "faiss_description": f"IVF{nlist},PQ{m}x8,RefineFlat (IndexFlatIP quantizer, whitened cells)",
        "exact_true_copy_top10_at_n": exact_copy, "faiss_sweep": rows,
    }

    if scale_path:
        s = np.fromfile(scale_path, dtype=np.float32)
        assert s.shape == (d,)
        t0 = time.time()
        km = faiss.Kmeans(d, nlist, niter=20, seed=1)
        km.train(train * s)
        cells = km.centroids.copy()
        coarse = np.where(s > 0, cells / np.where(s > 0, s, 1), 0).astype(np.float32)
        cell_q = faiss.IndexFlatL2(d)
        cell_q.add(cells)
        # The IVF's own quantizer only reconstructs centroids (residuals, and q.c for inner product).
        quantizer = faiss.IndexFlatL2(d)
        quantizer.add(coarse)
        ivf = faiss.IndexIVFPQ(quantizer, d, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
        _, a = cell_q.search(train * s, 1)
        ivf.pq.train(train - coarse[a[:, 0]])
        ivf.is_trained = True
        for i in range(0, n, 100_000):
            chunk = base[i : i + 100_000]
            _, a = cell_q.search(chunk * s, 1)
            ivf.add_core(len(chunk), faiss.swig_ptr(np.ascontiguousarray(chunk)), None, faiss.swig_ptr(np.ascontiguousarray(a[:, 0])))
        eigen_build_s = time.time() - t0
        print(f"faiss build (eigen cells): {eigen_build_s:.1f} s", file=sys.stderr, flush=True)
        params = {"nprobe": 1, "refine": 1}

        def set_eigen(nprobe, refine):
            ivf.nprobe = nprobe
            params["nprobe"], params["refine"] = nprobe, refine

        def search_eigen(x):
            nprobe, k = params["nprobe"], 10 * params["refine"]
            cd, ca = cell_q.search(x * s, nprobe)
            dist = np.empty((1, k), dtype=np.float32)
            ids = np.empty((1, k), dtype=np.int64)
            ivf.search_preassigned(1, faiss.swig_ptr(x), k, faiss.swig_ptr(ca), faiss.swig_ptr(cd), faiss.swig_ptr(dist), faiss.swig_ptr(ids), False)
            cand = ids[0][ids[0] >= 0]
            exact = base[cand] @ x[0]
            top = np.argpartition(-exact, min(10, len(cand) - 1))[:10] if len(cand) > 10 else np.arange(len(cand))
            return cand[top[np.argsort(-exact[top])]]

        out["faiss_eigen_build_s"] = eigen_build_s
        out["faiss_eigen_description"] = f"IVF{nlist},PQ{m}x8 (cells cut in the eigen-scaled space, assignment outside, search_preassigned + numpy re-rank)"
        out["faiss_eigen_sweep"] = sweep(search_eigen, queries, gt, copies, sources, nprobes, refines, set_eigen, requested)

    json.dump(out, open(f"{d_dir}/faiss.json", "w"))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
