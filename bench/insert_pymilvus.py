"""Reference for the insert benchmark: pymilvus' MilvusClient.insert in batches of 10,000 rows,
reading the same Parquet files milvus-ingest inserts (the time to read them is included, as it
is for milvus-ingest). Prints one JSON line: rows, seconds (with the flush), rows_per_second, insert_seconds.

usage: insert_pymilvus.py URI DATASET_DIR COLLECTION
The collection must exist (created by a milvus-ingest run with the same dataset) and is
dropped and recreated with the same schema by the caller.
"""
import json
import sys
import time

import pyarrow.parquet as pq
from pymilvus import MilvusClient

uri, data_dir, collection = sys.argv[1:4]
meta = json.load(open(f"{data_dir}/meta.json"))
client = MilvusClient(uri=uri)
dynamic = meta["schema"].get("enable_dynamic_field", False)
start = time.perf_counter()
rows = 0
for f in meta["generation_info"]["data_files"]:
    pf = pq.ParquetFile(f"{data_dir}/{f['file_name']}")
    for batch in pf.iter_batches(batch_size=10_000):
        records = batch.to_pylist()
        if dynamic:
            for r in records:
                extra = r.pop("$meta", None)
                if extra:
                    r.update(json.loads(extra))
        client.insert(collection, records)
        rows += len(records)
insert_seconds = time.perf_counter() - start
client.flush(collection)
seconds = time.perf_counter() - start
print(json.dumps({"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds, "insert_seconds": insert_seconds}))
