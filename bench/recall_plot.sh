#!/usr/bin/env bash
# Makes the example plot docs/recall-hnsw.svg (README, "Measure search"): a clustered 128-d
# dataset (ROWS rows, default 100,000, seed 7) is generated, inserted into Milvus 2.3.5 with an
# HNSW index (M=16, efConstruction=200, L2), and `bench recall` sweeps ef, drawing recall@10
# against QPS. The JSON of the run goes next to the plot (docs/recall-hnsw.json).
# Needs `scripts/services.sh up milvus` and a release binary (BIN, default target/release/milvus-ingest).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${MILVUS_INGEST_SERVICES_DIR:-/tmp/milvus-ingest-services}
# shellcheck disable=SC1091
set -a; . "$STATE/env.sh"; set +a
BIN=${BIN:-target/release/milvus-ingest}
URI=${MI_MILVUS23_URI:?services not up: run scripts/services.sh up milvus}
ROWS=${ROWS:-100000}
COLL=bench_recall_hnsw
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/schema.json" <<'JSON'
{
  "collection_name": "bench_recall_hnsw",
  "fields": [
    {"name": "id", "type": "Int64", "is_primary": true},
    {"name": "vec", "type": "FloatVector", "dim": 128, "metric_type": "L2",
     "distribution": {"type": "clustered", "clusters": 64, "spread": 1.0},
     "index": {"index_type": "HNSW", "metric_type": "L2", "params": {"M": 16, "efConstruction": 200}}}
  ]
}
JSON
"$BIN" generate --schema "$WORK/schema.json" -r "$ROWS" --out "$WORK/data" --no-progress --seed 7 >/dev/null
"$BIN" to-milvus insert "$WORK/data" --uri "$URI" --collection-name "$COLL" --drop-if-exists --no-progress >/dev/null
# Wait until every row is covered by the index: recall of a half-built index says little.
for _ in $(seq 1 120); do
  if "$BIN" --output json health --uri "$URI" --collection "$COLL" 2>/dev/null \
    | "$MI_PYTHON" -c 'import json,sys; c=json.load(sys.stdin)["checks"]["index_state"]; sys.exit(c["status"] != "OK" or not c.get("total_rows"))'; then break; fi
  sleep 5
done
mkdir -p docs
"$BIN" --output json bench recall "$WORK/data" --uri "$URI" --collection "$COLL" --top-k 10 \
  --queries 1000 --concurrency 2 --sweep ef=10,16,24,32,48,64,128,256 --plot docs/recall-hnsw.svg \
  --no-progress > docs/recall-hnsw.json
cat docs/recall-hnsw.json
