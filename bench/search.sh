#!/usr/bin/env bash
# Search speed on Milvus 2.3.5: the seed workflow's own benchmark.py (bench/seed_benchmark.py,
# copied verbatim: one search at a time, 100 random 768-d queries, top-10 with doc_id, question
# and category) against `milvus-ingest bench search` on the same collection with the same
# request shape, at concurrency 1 and 4, once the index is built. ROUNDS (default 3) alternating rounds, so a noisy moment on the shared
# machine shows up as disagreement between rounds rather than as a verdict.
# Needs `scripts/services.sh up milvus` and a release binary (BIN, default target/release/milvus-ingest).
# Results: bench/out/search.md.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${MILVUS_INGEST_SERVICES_DIR:-/tmp/milvus-ingest-services}
# shellcheck disable=SC1091
set -a; . "$STATE/env.sh"; set +a
BIN=${BIN:-target/release/milvus-ingest}
URI=${MI_MILVUS23_URI:?services not up: run scripts/services.sh up milvus}
PY=${MI_PYTHON:?services not up}
ROWS=${ROWS:-20000}
COLL=bench_search_kb
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
OUT=bench/out/search.md
mkdir -p bench/out
"$BIN" generate --schema bench/seed_kb.json -r "$ROWS" --out "$WORK/kb" --no-progress --seed 1 >/dev/null
"$BIN" to-milvus insert "$WORK/kb" --uri "$URI" --collection-name "$COLL" --drop-if-exists --no-progress >/dev/null 2>&1
# Measure a settled collection: while the server still builds the index of freshly sealed
# segments, both tools see its CPU spikes as latency outliers.
for _ in $(seq 1 120); do
  if "$BIN" --output json health --uri "$URI" --collection "$COLL" 2>/dev/null \
    | "$PY" -c 'import json,sys; c=json.load(sys.stdin)["checks"]["index_state"]; sys.exit(c["status"] != "OK" or not c.get("total_rows"))'; then break; fi
  sleep 5
done
{
  echo "Collection \`$COLL\`: $ROWS rows, 768-d COSINE, HNSW (M=16, efConstruction=200), Milvus 2.3.5 on this machine."
  echo "Each run: 100 searches, top-10, output fields doc_id, question, category, random query vectors."
  echo
  echo "| round | tool | concurrency | QPS | mean ms | p50 ms | p95 ms | p99 ms |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$OUT"
for round in $(seq 1 "${ROUNDS:-3}"); do
  seed=$("$PY" bench/seed_benchmark.py "$URI" "$COLL" 2>&1)
  pick() { echo "$seed" | grep "$1" | sed 's/.*: *//'; }
  echo "| $round | seed benchmark.py (pymilvus) | 1 | $(pick 'QPS') | $(pick '平均') | $(pick '中位数') | $(pick 'P95') | $(pick 'P99') |" >> "$OUT"
  json=$("$BIN" --output json bench search --uri "$URI" --collection "$COLL" --concurrency 1,4 --queries 100 \
    --warmup 10 --top-k 10 --output-fields doc_id,question,category --query-source random --no-progress)
  echo "$json" | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
for l in r["levels"]:
    t = l["latency"]
    print("| %s | milvus-ingest bench search | %d | %.1f | %.2f | %.2f | %.2f | %.2f |" % (sys.argv[1], l["concurrency"], l["qps"], t["mean_ms"], t["p50_ms"], t["p95_ms"], t["p99_ms"]))
' "$round" >> "$OUT"
done
cat "$OUT"
