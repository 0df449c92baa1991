#!/usr/bin/env python3
"""Independent check of a generated dataset, with pyarrow only (no project code).

Usage: check_dataset.py DATASET_DIR
Checks, against meta.json's schema: file list and row counts, the Arrow type of every column
(as Milvus bulk import expects, see milvus-reference.md), unique primary keys, VarChar byte
limits, array capacities, numeric ranges, nulls only in nullable fields, vector lengths,
sparse and JSON text. Prints every problem and exits 1 if there is any.
"""
import json
import math
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

SCALAR = {
    "Bool": pa.bool_(), "Int8": pa.int8(), "Int16": pa.int16(), "Int32": pa.int32(),
    "Int64": pa.int64(), "Float": pa.float32(), "Double": pa.float64(), "VarChar": pa.string(),
}
INT_RANGE = {"Int8": 2**7, "Int16": 2**15, "Int32": 2**31, "Int64": 2**63}
problems = []


def problem(msg):
    problems.append(msg)


def canonical(t):
    return {"String": "VarChar", "Varchar": "VarChar", "Json": "JSON"}.get(t, t)


def expected_type(f):
    t = canonical(f["type"])
    if t in SCALAR:
        return SCALAR[t]
    if t == "JSON" or t == "SparseFloatVector":
        return pa.string()
    if t == "Array":
        return pa.list_(SCALAR[canonical(f["element_type"])])
    if t == "FloatVector":
        return pa.list_(pa.float32())
    if t in ("BinaryVector", "Float16Vector", "BFloat16Vector"):
        return pa.list_(pa.uint8())
    if t == "Int8Vector":
        return pa.list_(pa.int8())
    raise ValueError(t)


def data_fields(schema):
    outputs = {o for fn in schema.get("functions", []) for o in fn["output_field_names"]}
    return [f for f in schema["fields"]
            if not (f.get("is_primary") and f.get("auto_id")) and f["name"] not in outputs]


def check_value(f, v, where, fmt="parquet"):
    t = canonical(f["type"])
    if v is None:
        if not f.get("nullable"):
            problem(f"{where}: null in non-nullable field {f['name']}")
        return
    vt = canonical(f.get("element_type", "")) if t == "Array" else t
    values = v if t == "Array" else [v]
    if t == "Array":
        if len(v) > f["max_capacity"]:
            problem(f"{where}: {f['name']} has {len(v)} elements > max_capacity {f['max_capacity']}")
    for x in values:
        if vt == "VarChar":
            n = len(x.encode("utf-8"))
            if n > f["max_length"]:
                problem(f"{where}: {f['name']} is {n} bytes > max_length {f['max_length']}")
            if n < f.get("min_length", 0):
                problem(f"{where}: {f['name']} is {n} bytes < min_length {f['min_length']}")
        elif vt in INT_RANGE or vt in ("Float", "Double"):
            if isinstance(x, float) and not math.isfinite(x):
                problem(f"{where}: {f['name']} is not finite: {x}")
            if vt in INT_RANGE and not (-INT_RANGE[vt] <= x < INT_RANGE[vt]):
                problem(f"{where}: {f['name']}={x} outside {vt}")
            if not f.get("is_primary"):
                lo, hi = f.get("min"), f.get("max")
                if lo is not None and x < lo - 1e-6 * max(1, abs(lo)):
                    problem(f"{where}: {f['name']}={x} < min {lo}")
                if hi is not None and x > hi + 1e-6 * max(1, abs(hi)):
                    problem(f"{where}: {f['name']}={x} > max {hi}")
    if t == "FloatVector" and len(v) != f["dim"]:
        problem(f"{where}: {f['name']} has {len(v)} values, dim {f['dim']}")
    # Parquet holds half vectors as bytes; Milvus' JSON import reads dim numbers.
    if t in ("Float16Vector", "BFloat16Vector") and fmt == "parquet" and len(v) != 2 * f["dim"]:
        problem(f"{where}: {f['name']} has {len(v)} bytes, want {2 * f['dim']}")
    if t in ("Float16Vector", "BFloat16Vector") and fmt == "json" and (
            len(v) != f["dim"] or not all(isinstance(x, (int, float)) for x in v)):
        problem(f"{where}: {f['name']} has {len(v)} values, want {f['dim']} numbers")
    if fmt == "json" and t in ("JSON", "SparseFloatVector") and isinstance(v, str):
        problem(f"{where}: {f['name']} is a string; JSON rows hold the JSON value itself")
    if t == "BinaryVector" and len(v) != f["dim"] // 8:
        problem(f"{where}: {f['name']} has {len(v)} bytes, want {f['dim'] // 8}")
    if t == "Int8Vector" and len(v) != f["dim"]:
        problem(f"{where}: {f['name']} has {len(v)} values, dim {f['dim']}")
    if t == "JSON":
        json.loads(v) if isinstance(v, str) else v
    if t == "SparseFloatVector":
        sparse = json.loads(v) if isinstance(v, str) else v
        keys = [int(k) for k in sparse]
        if not keys or keys != sorted(keys) or len(set(keys)) != len(keys):
            problem(f"{where}: {f['name']} sparse indices not sorted/unique/non-empty")
        if any(k < 0 or k >= 2**32 - 1 for k in keys):
            problem(f"{where}: {f['name']} sparse index out of range")


def main(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    schema, info = meta["schema"], meta["generation_info"]
    fields = data_fields(schema)
    pk = next(f for f in schema["fields"] if f.get("is_primary"))
    pk_in_files = pk in fields
    seen_pks = set()
    total = 0
    # BulkWriter writes $meta whenever the dynamic field is on, declared keys or not.
    has_meta = bool(schema.get("enable_dynamic_field"))
    dynamic = {f["name"] for f in schema.get("dynamic_fields", [])}
    # `_shards/` holds the shard manifests of a dataset generated with `generate --shard`.
    names_on_disk = sorted(n for n in os.listdir(d) if n not in ("meta.json", "_shards"))
    listed = [x["file_name"] for x in info["data_files"]]
    if sorted(listed) != names_on_disk:
        problem(f"files on disk {names_on_disk} differ from meta.json {listed}")
    for entry in info["data_files"]:
        path = os.path.join(d, entry["file_name"])
        if info["format"] == "parquet":
            table = pq.read_table(path)
            want = [f["name"] for f in fields] + (["$meta"] if has_meta else [])
            if table.column_names != want:
                problem(f"{entry['file_name']}: columns {table.column_names}, want {want}")
            for f in fields:
                got = table.schema.field(f["name"]).type
                if got != expected_type(f):
                    problem(f"{entry['file_name']}: {f['name']} is {got}, want {expected_type(f)}")
                if pa.types.is_dictionary(got):
                    problem(f"{entry['file_name']}: {f['name']} is dictionary-typed")
            rows = table.to_pylist()
        else:
            rows = json.load(open(path))["rows"]
        if len(rows) != entry["rows"]:
            problem(f"{entry['file_name']}: {len(rows)} rows, meta.json says {entry['rows']}")
        if os.path.getsize(path) != entry["file_size_bytes"]:
            problem(f"{entry['file_name']}: size differs from meta.json")
        for i, row in enumerate(rows):
            where = f"{entry['file_name']} row {i}"
            for f in fields:
                if info["format"] == "json" and f["name"] not in row:
                    problem(f"{where}: missing {f['name']}")
                    continue
                check_value(f, row[f["name"]], where, info["format"])
            if has_meta:
                keys = set(json.loads(row["$meta"]).keys()) if info["format"] == "parquet" else set(row) - {f["name"] for f in fields}
                if not keys <= dynamic:
                    problem(f"{where}: unexpected dynamic keys {keys - dynamic}")
            if pk_in_files:
                key = row[pk["name"]]
                if key in seen_pks:
                    problem(f"{where}: duplicate primary key {key!r}")
                seen_pks.add(key)
            if len(problems) > 20:
                break
        total += len(rows)
    if total != info["total_rows"]:
        problem(f"{total} rows in files, meta.json total_rows {info['total_rows']}")
    for p in problems[:30]:
        print(p)
    print(f"{d}: {total} rows, {len(info['data_files'])} file(s), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
