#!/usr/bin/env bash
# Rebuild throughput against insert throughput on Milvus 2.3.5, same server, same run:
# 100,000 rows of the episodic_memory shape (1024-d, bench/episodic_memory.json) are generated
# and loaded with `to-milvus insert`; the alias `bench_rb_episodic` is pointed at that
# collection; then `rebuild --alias bench_rb_episodic` copies every row into a new collection.
# The ratio compares the copy (keyset reads + inserts + the final flush) with the insert (Parquet
# reads + inserts + the final flush); the rebuild's end-to-end time (which also waits for the
# HNSW index of the new collection before switching) is reported next to it. Each phase starts
# on an idle server (bench/quiesce.sh): the rebuild after the inserted collection's index is built.
# Needs `scripts/services.sh up milvus` and a release binary (BIN, default
# target/release/milvus-ingest). ROWS=... changes the row count. Results: bench/out/rebuild.md.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${MILVUS_INGEST_SERVICES_DIR:-/tmp/milvus-ingest-services}
# shellcheck disable=SC1091
set -a; . "$STATE/env.sh"; set +a
BIN=${BIN:-target/release/milvus-ingest}
# BENCH_URI/BENCH_PY pick another server (and a pymilvus that talks to it), e.g. Milvus Lite 3.2.2.
URI=${BENCH_URI:-${MI_MILVUS23_URI:?services not up: run scripts/services.sh up milvus}}
PY=${BENCH_PY:-${MI_PYTHON:?services not up}}
ROWS=${ROWS:-100000}
ALIAS=bench_rb_episodic
WORK=$(mktemp -d)
export MILVUS_INGEST_HOME=$WORK/home
trap 'rm -rf "$WORK"; python_cleanup' EXIT
python_cleanup() { "$PY" tests/rebuild_check.py "$URI" cleanup "$ALIAS" >/dev/null 2>&1 || true; }
python_cleanup
# shellcheck source=bench/quiesce.sh
. bench/quiesce.sh
field() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print(round(d['$1'], 2))"; }

"$BIN" generate --schema bench/episodic_memory.json -r "$ROWS" --out "$WORK/data" --no-progress --seed 1 >/dev/null
quiesce 600
insert=$("$BIN" --output json to-milvus insert "$WORK/data" --uri "$URI" --collection-name "${ALIAS}_v0" \
  --drop-if-exists --concurrency 4 --batch-size 3000 --no-progress 2>"$WORK/insert.err") || { cat "$WORK/insert.err"; exit 1; }
"$PY" tests/rebuild_check.py "$URI" alias "$ALIAS" "${ALIAS}_v0" >/dev/null 2>&1
# A collection being rebuilt was indexed long ago: let the server finish the HNSW index of the
# one just inserted (minutes on 2 cores) so the copy does not share the CPU with it. (2.3.5
# reports the index state `Finished` while rows are still pending: count the rows instead.)
"$PY" - "$URI" "${ALIAS}_v0" <<'PYEOF'
import sys, time, warnings
warnings.filterwarnings("ignore")
from pymilvus import connections, utility
connections.connect(uri=sys.argv[1])
deadline = time.time() + 3600
while time.time() < deadline:
    p = utility.index_building_progress(sys.argv[2])
    if p["total_rows"] and p["indexed_rows"] >= p["total_rows"]:
        break
    time.sleep(5)
PYEOF
quiesce 1200
rebuild=$("$BIN" --output json rebuild --alias "$ALIAS" --uri "$URI" -b 3000 --concurrency 4 --no-progress 2>"$WORK/rebuild.err") || { cat "$WORK/rebuild.err"; exit 1; }

ins_rate=$(echo "$insert" | field rows_per_second)
ins_secs=$(echo "$insert" | field seconds)
rb_rate=$(echo "$rebuild" | field rows_per_second)
rb_copy=$(echo "$rebuild" | field copy_seconds)
rb_secs=$(echo "$rebuild" | field seconds)
ratio=$("$PY" -c "print(round($rb_rate / $ins_rate, 2))")
OUT=bench/out/rebuild.md
mkdir -p bench/out
{
  printf '| server | rows | to-milvus insert s | insert rows/s | rebuild copy s (with flush) | rebuild copy rows/s | ratio | rebuild end-to-end s (with index wait) |\n'
  printf '|---|---|---|---|---|---|---|---|\n'
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$URI" "$ROWS" "$ins_secs" "$ins_rate" "$rb_copy" "$rb_rate" "$ratio" "$rb_secs"
} > "$OUT"
cat "$OUT"
