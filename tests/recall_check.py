#!/usr/bin/env python3
"""Independent reference for `bench recall` with pymilvus and numpy only (no project code).

Usage:
  recall_check.py wait URI COLLECTION ROWS
      Waits (up to 180 s) until the query nodes serve ROWS rows in sealed segments that carry
      an index, so searches go through the index; prints the segments.
  recall_check.py insert URI COLLECTION N FIRST_ID
      Inserts N rows (ids FIRST_ID.., tag 0, random 16-d `vec`) and does NOT flush, so they
      stay in a growing segment that the query nodes search without the index.
  recall_check.py recall URI DATASET_DIR COLLECTION FIELD METRIC N K PARAMS_JSON
      Takes dataset rows k * total // N (k = 0..N-1) as the queries, as `--query-source dataset`
      does, searches them with pymilvus, and prints {"recall": mean} where each returned id is
      judged by its TRUE distance recomputed with numpy from the dataset: a hit when the id is
      among the exact top-K or its true distance ties the K-th exact distance.
"""

import json
import sys
import time

import numpy as np
import pyarrow.parquet as pq
from pymilvus import Collection, connections, utility


def connect(uri):
    connections.connect(uri=uri)


def wait(uri, collection, rows):
    connect(uri)
    started = time.time()
    while True:
        infos = utility.get_query_segment_info(collection)
        sealed = sum(i.num_rows for i in infos if i.state == 3 and i.index_name)
        if sealed >= rows:
            print(json.dumps([[i.segmentID, i.num_rows, i.state, i.index_name] for i in infos]))
            return
        if time.time() - started > 180:
            sys.exit(f"{collection}: only {sealed} of {rows} rows sealed and indexed: {infos}")
        time.sleep(1)


def insert(uri, collection, n, first):
    connect(uri)
    rng = np.random.default_rng(first)
    vecs = rng.standard_normal((n, 16)).astype(np.float32)
    Collection(collection).insert([list(range(first, first + n)), [0] * n, vecs.tolist()])
    print(json.dumps({"inserted": n}))


def load(data_dir, field):
    meta = json.load(open(f"{data_dir}/meta.json"))
    pk = next(f["name"] for f in meta["schema"]["fields"] if f.get("is_primary"))
    vecs, keys = [], []
    for f in meta["generation_info"]["data_files"]:
        t = pq.read_table(f"{data_dir}/{f['file_name']}", columns=[pk, field])
        col = t.column(field).combine_chunks()
        vecs.append(col.values.to_numpy().reshape(len(col), -1).astype(np.float32))
        keys.append(t.column(pk).to_numpy())
    return np.concatenate(vecs), np.concatenate(keys)


def true_scores(metric, q, x):
    """Distances with smaller = closer (negated similarities)."""
    if metric == "L2":
        return ((q[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
    if metric == "IP":
        return -(q @ x.T)
    if metric == "COSINE":
        qn = q / np.linalg.norm(q, axis=1, keepdims=True)
        xn = x / np.linalg.norm(x, axis=1, keepdims=True)
        return -(qn @ xn.T)
    sys.exit(f"unsupported metric {metric}")


def recall(uri, data_dir, collection, field, metric, n, k, params):
    x, ids = load(data_dir, field)
    total = len(x)
    q = x[[i * total // n for i in range(n)]]
    dist = true_scores(metric, q, x)
    row_of = {int(key): r for r, key in enumerate(ids)}
    connect(uri)
    c = Collection(collection)
    found = c.search(
        data=q.tolist(),
        anns_field=field,
        param={"metric_type": metric, "params": params},
        limit=k,
    )
    recalls = []
    for i, hits in enumerate(found):
        order = np.argsort(dist[i], kind="stable")[:k]
        exact = set(ids[order].tolist())
        kth = dist[i][order[-1]]
        tolerance = 1e-5 * max(1.0, abs(kth))
        good = 0
        for hit_id in list(dict.fromkeys(h.id for h in hits))[:k]:
            d = dist[i][row_of[int(hit_id)]]
            if hit_id in exact or d <= kth + tolerance:
                good += 1
        recalls.append(min(good, k) / k)
    print(json.dumps({"recall": float(np.mean(recalls)), "queries": n}))


def main():
    cmd = sys.argv[1]
    if cmd == "wait":
        wait(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "insert":
        insert(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "recall":
        uri, data_dir, collection, field, metric, n, k, params = sys.argv[2:10]
        recall(uri, data_dir, collection, field, metric, int(n), int(k), json.loads(params))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
