#!/usr/bin/env bash
# Insert throughput into Milvus 2.3.5: milvus-ingest at concurrency 1, 2, 4 against pymilvus'
# MilvusClient.insert in batches of 10,000 (bench/insert_pymilvus.py), for 200k rows of `simple`
# and 50k rows of `news_articles`. Needs `scripts/services.sh up milvus` (MI_MILVUS23_URI and
# MI_MILVUS23_PYTHON in env.sh) and a release binary (BIN, default target/release/milvus-ingest).
# Every run starts from a freshly created, indexed and loaded collection; timings include reading
# the Parquet files and the final flush. Results: bench/out/insert.md.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${MILVUS_INGEST_SERVICES_DIR:-/tmp/milvus-ingest-services}
# shellcheck disable=SC1091
set -a; . "$STATE/env.sh"; set +a
BIN=${BIN:-target/release/milvus-ingest}
URI=${MI_MILVUS23_URI:?services not up: run scripts/services.sh up milvus}
PY=${MI_MILVUS23_PYTHON:?services not up}
SCALE=${ROWS_SCALE:-1}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
OUT=bench/out/insert.md
mkdir -p bench/out
printf '| schema | rows | tool | concurrency | seconds (with flush) | rows/s (with flush) | insert seconds (before flush) |\n|---|---|---|---|---|---|---|\n' > "$OUT"
field() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print(round(d['$1'], 2))"; }
for spec in simple:200000 news_articles:50000; do
  schema=${spec%%:*}
  rows=$("$PY" -c "print(int(${spec##*:} * $SCALE))")
  "$BIN" generate --builtin "$schema" -r "$rows" --out "$WORK/$schema" --no-progress --seed 1 >/dev/null
  for c in 1 2 4; do
    json=$("$BIN" --output json to-milvus insert "$WORK/$schema" --uri "$URI" --collection-name "bench_$schema" \
      --drop-if-exists --concurrency "$c" --batch-size 10000 --no-progress 2>/dev/null)
    echo "| $schema | $rows | milvus-ingest | $c | $(echo "$json" | field seconds) | $(echo "$json" | field rows_per_second) | $(echo "$json" | field insert_seconds) |" >> "$OUT"
  done
  # The same collection for pymilvus, created (indexed, loaded) by inserting a one-row dataset.
  "$BIN" generate --builtin "$schema" -r 1 --out "$WORK/$schema-one" --no-progress >/dev/null
  "$BIN" to-milvus insert "$WORK/$schema-one" --uri "$URI" --collection-name "bench_$schema" --drop-if-exists \
    --no-progress >/dev/null 2>&1
  json=$("$PY" bench/insert_pymilvus.py "$URI" "$WORK/$schema" "bench_$schema" 2>/dev/null)
  echo "| $schema | $rows | pymilvus MilvusClient.insert (10k batches) | 1 | $(echo "$json" | field seconds) | $(echo "$json" | field rows_per_second) | $(echo "$json" | field insert_seconds) |" >> "$OUT"
done
cat "$OUT"
