"""Independent reader for the sync tests: every row of a Milvus collection (or alias), read
with pymilvus (not this project's code), printed as one JSON object {"rows": [...]}.

Usage: python sync_read_milvus.py URI COLLECTION
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
from pymilvus import Collection, DataType, connections  # noqa: E402


def main():
    uri, name = sys.argv[1], sys.argv[2]
    connections.connect(uri=uri, timeout=30)
    c = Collection(name)
    c.load(timeout=120)
    pk = c.schema.primary_field
    vectors = [f.name for f in c.schema.fields if f.dtype in (DataType.FLOAT_VECTOR, DataType.BINARY_VECTOR)]
    expr = f'{pk.name} != ""' if pk.dtype == DataType.VARCHAR else f"{pk.name} >= -9223372036854775807"
    rows = c.query(expr=expr, output_fields=["*"] + vectors, limit=16384, consistency_level="Strong")
    out = []
    for r in rows:
        row = {}
        for k, v in dict(r).items():
            if hasattr(v, "tolist"):
                v = v.tolist()
            if isinstance(v, list):
                v = [float(x) if hasattr(x, "item") and not isinstance(x, (str, bytes)) else x for x in v]
            row[k] = v
        out.append(row)
    print(json.dumps({"rows": out}, ensure_ascii=False, default=float))


main()
