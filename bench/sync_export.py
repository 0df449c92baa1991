"""Exports the rows `sync` wrote into a Milvus collection as a milvus-ingest dataset (Parquet +
meta.json, schema taken from the collection), so `to-milvus insert` can load exactly the same
entities for comparison. Rows are fetched by primary key (`id in [...]`).

Usage: python sync_export.py URI COLLECTION IDS_FILE OUT_DIR
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from pymilvus import Collection, DataType, connections  # noqa: E402

uri, name, ids_file, out = sys.argv[1:5]
connections.connect(uri=uri, timeout=60)
c = Collection(name)
ids = [l.strip() for l in open(ids_file) if l.strip()]
# The indexes the handler created, as the server reports them: a scalar index on 2.3.5 must be
# of the type the field allows (Trie for VarChar), so AUTOINDEX cannot stand in for it.
indexed = {i.field_name: dict(i.params) for i in c.indexes}
fields, arrow = [], []
for f in c.schema.fields:
    spec = {"name": f.name}
    if f.dtype == DataType.VARCHAR:
        spec.update(type="VarChar", max_length=int(f.params["max_length"]))
        arrow.append(pa.field(f.name, pa.string()))
    elif f.dtype == DataType.INT64:
        spec.update(type="Int64")
        arrow.append(pa.field(f.name, pa.int64()))
    elif f.dtype == DataType.FLOAT_VECTOR:
        spec.update(type="FloatVector", dim=int(f.params["dim"]),
                    index={"index_type": "HNSW", "metric_type": "COSINE", "params": {"M": 16, "efConstruction": 200}})
        arrow.append(pa.field(f.name, pa.list_(pa.float32())))
    elif f.dtype == DataType.ARRAY:
        spec.update(type="Array", element_type="VarChar", max_length=int(f.params["max_length"]),
                    max_capacity=int(f.params["max_capacity"]))
        arrow.append(pa.field(f.name, pa.list_(pa.string())))
    else:
        raise SystemExit(f"field {f.name}: type {f.dtype} not handled by this exporter")
    if f.is_primary:
        spec["is_primary"] = True
    elif f.name in indexed and f.dtype != DataType.FLOAT_VECTOR:
        spec["index"] = {"index_type": indexed[f.name].get("index_type", "AUTOINDEX")}
    fields.append(spec)
schema = pa.schema(arrow)
os.makedirs(out, exist_ok=True)
names = [f["name"] for f in fields]
writer = pq.ParquetWriter(os.path.join(out, "data.parquet"), schema, compression="snappy")
for s in range(0, len(ids), 1000):
    chunk = ids[s:s + 1000]
    rows = c.query(expr="id in " + json.dumps(chunk), output_fields=names, consistency_level="Strong")
    order = {r["id"]: r for r in rows}
    table = pa.table({n: [order[i][n] for i in chunk if i in order] for n in names}, schema=schema)
    writer.write_table(table)
writer.close()
size = os.path.getsize(os.path.join(out, "data.parquet"))
meta = {
    "schema": {"collection_name": name + "_insert", "fields": fields, "enable_dynamic_field": True},
    "generation_info": {"total_rows": len(ids), "format": "parquet", "seed": 0, "file_count": 1,
                        "data_files": [{"file_name": "data.parquet", "rows": len(ids), "file_size_bytes": size}],
                        "generator": "bench/sync_export.py"},
}
json.dump(meta, open(os.path.join(out, "meta.json"), "w"), ensure_ascii=False, indent=1)
