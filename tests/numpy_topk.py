#!/usr/bin/env python3
"""Independent reference for `bench recall`'s ground truth: exact top-k with numpy.

Usage: numpy_topk.py DATASET_DIR CACHE_JSON FIELD METRIC N

Reads the dataset's Parquet files (pyarrow only, in meta.json order), takes rows
k * total // N (k = 0..N-1) as the queries, as `--query-source dataset` does, computes the exact
neighbours in METRIC (L2 squared, IP or COSINE) and compares keys and scores with the cached
ground truth written by milvus-ingest. Exits non-zero with the first disagreement.
"""

import json
import sys

import numpy as np
import pyarrow.parquet as pq


def main():
    data_dir, cache_path, field, metric, n = sys.argv[1:6]
    n = int(n)
    meta = json.load(open(f"{data_dir}/meta.json"))
    pk = next(f["name"] for f in meta["schema"]["fields"] if f.get("is_primary"))
    vecs, keys = [], []
    for f in meta["generation_info"]["data_files"]:
        t = pq.read_table(f"{data_dir}/{f['file_name']}", columns=[pk, field])
        col = t.column(field).combine_chunks()
        vecs.append(col.values.to_numpy().reshape(len(col), -1).astype(np.float32))
        keys.append(t.column(pk).to_numpy())
    x = np.concatenate(vecs)
    ids = np.concatenate(keys)
    total = len(x)
    q = x[[k * total // n for k in range(n)]]
    if metric == "L2":
        scores = ((q[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
        closer_first = scores
    elif metric == "IP":
        scores = q @ x.T
        closer_first = -scores
    elif metric == "COSINE":
        qn = q / np.linalg.norm(q, axis=1, keepdims=True)
        xn = x / np.linalg.norm(x, axis=1, keepdims=True)
        scores = qn @ xn.T
        closer_first = -scores
    else:
        sys.exit(f"unsupported metric {metric}")
    truth = json.load(open(cache_path))
    k = truth["k"]
    assert len(truth["neighbours"]) == n, (len(truth["neighbours"]), n)
    for i, got in enumerate(truth["neighbours"]):
        order = np.argsort(closer_first[i], kind="stable")[:k]
        want_scores = scores[i][order]
        got_keys = [g[0] for g in got]
        got_scores = np.array([g[1] for g in got], dtype=np.float64)
        if not np.allclose(got_scores, want_scores, rtol=1e-4, atol=1e-5):
            sys.exit(f"query {i}: scores {got_scores} != numpy {want_scores}")
        kth = want_scores[-1]
        for key, score in zip(got_keys, got_scores):
            tie = abs(score - kth) <= 1e-5 * max(1.0, abs(kth))
            if key not in set(ids[order].tolist()) and not tie:
                sys.exit(f"query {i}: key {key} is not among numpy's top-{k} {ids[order].tolist()}")
    print(f"{n} queries agree with numpy (top-{k}, {metric}, {total} rows)")


if __name__ == "__main__":
    main()
