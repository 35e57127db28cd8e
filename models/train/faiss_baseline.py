"""FAISS baseline for `copycat bench-index` (issue 8): not training and never served, but the
benchmark's reference point, which needs Debian's python3-faiss (1.7.3). Reads the vectors the
TypeScript benchmark wrote, computes exact ground truth (IndexFlatIP), and times IndexIVFPQ with
the same nlist / M / nbits / nprobe wrapped in IndexRefineFlat (the same exact re-ranking), one
query at a time on one thread. Writes a JSON summary and the ground truth for the TS side.

usage: python3 models/train/faiss_baseline.py DIR NLIST M NPROBE REFINE TRAIN_N
DIR holds base.f32 (n x d), queries.f32 (q x d), meta.json {n, d, q}.
"""
import json
import sys
import time

import faiss
import numpy as np


def main() -> None:
    d_dir, nlist, m, nprobe, refine, train_n = sys.argv[1], *map(int, sys.argv[2:7])
    meta = json.load(open(f"{d_dir}/meta.json"))
    n, d, q = meta["n"], meta["d"], meta["q"]
    base = np.fromfile(f"{d_dir}/base.f32", dtype=np.float32).reshape(n, d)
    queries = np.fromfile(f"{d_dir}/queries.f32", dtype=np.float32).reshape(q, d)
    faiss.omp_set_num_threads(1)
    flat = faiss.IndexFlatIP(d)
    flat.add(base)
    _, gt = flat.search(queries, 10)
    gt.astype(np.int32).tofile(f"{d_dir}/gt.i32")
    exact_copy = None
    try:
        copies = np.fromfile(f"{d_dir}/copies.f32", dtype=np.float32).reshape(-1, d)
        sources = np.fromfile(f"{d_dir}/copies_src.i32", dtype=np.int32)
        _, top = flat.search(copies, 10)
        # The ceiling for any index: how often exact search itself keeps the source in the top 10.
        exact_copy = float(np.mean([sources[i] in top[i] for i in range(len(sources))]))
    except FileNotFoundError:
        pass
    del flat

    quantizer = faiss.IndexFlatIP(d)
    ivf = faiss.IndexIVFPQ(quantizer, d, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
    t0 = time.time()
    rng = np.random.default_rng(1)
    ivf.train(base[rng.choice(n, size=min(train_n, n), replace=False)])
    # The refine wrapper keeps its own flat copy, so it must see every add.
    index = faiss.IndexRefineFlat(ivf)
    index.k_factor = refine
    index.add(base)
    build_s = time.time() - t0
    ivf.nprobe = nprobe
    times, found = [], np.zeros((q, 10), dtype=np.int64)
    for i in range(q):
        t = time.perf_counter()
        _, ids = index.search(queries[i : i + 1], 10)
        times.append((time.perf_counter() - t) * 1000)
        found[i] = ids[0]
    recall = float(np.mean([len(set(found[i]) & set(gt[i])) / 10 for i in range(q)]))
    out = {
        "faiss_version": faiss.__version__, "faiss_build_s": build_s, "faiss_p50_ms": float(np.percentile(times, 50)),
        "faiss_p99_ms": float(np.percentile(times, 99)), "faiss_recall_at_10": recall,
        "faiss_description": f"IVF{nlist},PQ{m}x8,RefineFlat(k_factor={refine}),nprobe={nprobe}",
        "exact_true_copy_top10_at_n": exact_copy,
    }
    json.dump(out, open(f"{d_dir}/faiss.json", "w"))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
