#!/usr/bin/env bash
# `sync` throughput: N episodic_memory documents (1024-d vectors) from a mongodump .bson file
# into Milvus 2.3.5 through the episodic_memory sync handler, against `to-milvus insert` of the
# very same entities (exported from what sync wrote) from Parquet, on the same server in the
# same run. Goal: sync >= 0.8x the insert rate. Both into fresh, indexed, loaded collections;
# both timed wall-clock including collection setup and the final flush.
# Needs `scripts/services.sh up milvus mongo` (MI_MILVUS23_URI, MI_PYTHON, MI_MONGO_PYTHON) and a
# release build (BIN, default target/release/milvus-ingest). N: SYNC_DOCS (default 100000);
# SYNC_NAME: the collection name (default bench_sync_episodic; `<name>_insert` for the insert);
# SYNC_ROUNDS: how many times to run the three phases (default 1; the server's background work
# makes single runs vary by 10-20 %, so compare medians). Each row also gives the client's CPU
# (user + system seconds of milvus-ingest) and the Milvus process's CPU during the phase.
# Results: bench/out/sync.md.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${MILVUS_INGEST_SERVICES_DIR:-/tmp/milvus-ingest-services}
# shellcheck disable=SC1091
set -a; . "$STATE/env.sh"; set +a
BIN=${BIN:-target/release/milvus-ingest}
URI=${MI_MILVUS23_URI:?services not up: run scripts/services.sh up milvus}
PY=${MI_PYTHON:?services not up}
MPY=${MI_MONGO_PYTHON:?mongo venv missing: run scripts/services.sh up mongo}
N=${SYNC_DOCS:-100000}
WORK=${SYNC_WORK:-$(mktemp -d)}
# A fixture of our own (1.4 GB at 100k) goes when the run ends; SYNC_WORK's is kept for reuse.
[ -n "${SYNC_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT
OUT=bench/out/sync.md
mkdir -p bench/out "$WORK"
NAME=${SYNC_NAME:-bench_sync_episodic}
now() { date +%s.%N; }
# shellcheck source=bench/quiesce.sh
. bench/quiesce.sh
drop() { "$PY" - "$URI" "$@" <<'PYEOF'
import sys, warnings
warnings.filterwarnings("ignore")
from pymilvus import connections, utility
connections.connect(uri=sys.argv[1])
# `name` is an alias (sync creates `<name>_<suffix>` behind it) or a collection.
for name in sys.argv[2:]:
    for real in utility.list_collections():
        try:
            aliases = utility.list_aliases(real)
        except Exception:  # dropped meanwhile by someone else
            continue
        if real == name or name in aliases:
            for a in aliases:
                utility.drop_alias(a)
            utility.drop_collection(real)
PYEOF
}

[ -s "$WORK/dump.bson" ] || "$MPY" bench/sync_fixture.py "$N" "$WORK/dump.bson" 7
"$MPY" -c 'import bson,sys; print("\n".join(str(d["_id"]) for d in bson.decode_file_iter(open(sys.argv[1],"rb"))))' \
  "$WORK/dump.bson" > "$WORK/ids.txt"
echo "fixture: $N documents, $(du -h "$WORK/dump.bson" | cut -f1) of BSON" >&2

rate() { "$PY" -c "print(round($1 / ($3 - $2)))"; }
# CPU seconds (user + system) the Milvus server process has used so far.
TICK=$(getconf CLK_TCK)
server_cpu() {
  local pid
  pid=$(pgrep -f 'milvus run standalone' | head -1)
  [ -n "$pid" ] || { echo 0; return; }
  awk -v t="$TICK" '{print ($14 + $15) / t}' "/proc/$pid/stat"
}
# run LABEL COMMAND...: times COMMAND (its JSON summary on stdout), appends a table row and
# sets RATE (rows/s, wall clock).
run() {
  local label=$1 s0 t0 t1 s1 json
  shift
  s0=$(server_cpu)
  t0=$(now)
  json=$(/usr/bin/time -f '%U %S' -o "$WORK/time.txt" "$@")
  t1=$(now)
  s1=$(server_cpu)
  RATE=$(rate "$N" "$t0" "$t1")
  local rows tool client server
  rows=$(echo "$json" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("upserted", d.get("inserted", 0)))')
  tool=$(echo "$json" | "$PY" -c 'import json,sys; print(round(json.load(sys.stdin)["rows_per_second"]))')
  client=$(awk '{printf "%.1f", $1 + $2}' "$WORK/time.txt")
  server=$("$PY" -c "print(round($s1 - $s0, 1))")
  echo "| $ROUND | $label | $rows | $("$PY" -c "print(round($t1-$t0,1))") | $RATE | $tool | $client | $server |" >> "$OUT"
}
ROUNDS=${SYNC_ROUNDS:-1}
printf '| round | run | rows | seconds (wall, incl. setup + flush) | rows/s | tool-reported rows/s | client CPU s | server CPU s |\n|---|---|---|---|---|---|---|---|\n' > "$OUT"
RATIOS=()
for ROUND in $(seq 1 "$ROUNDS"); do
  declare -A SYNC_RATE
  for b in 500 2000; do
    drop "$NAME"
    quiesce
    run "sync -b $b (dump .bson → handler → upsert)" "$BIN" --output json sync -c episodic_memory \
      --from-file "$WORK/dump.bson" --milvus-name "$NAME" --uri "$URI" -b "$b" --state-dir "$WORK/state" \
      --no-progress
    SYNC_RATE[$b]=$RATE
  done
  [ -d "$WORK/parquet" ] || "$PY" bench/sync_export.py "$URI" "$NAME" "$WORK/ids.txt" "$WORK/parquet"
  drop "$NAME"
  quiesce
  run "to-milvus insert (same entities from Parquet, defaults)" "$BIN" --output json to-milvus insert \
    "$WORK/parquet" --uri "$URI" --collection-name "${NAME}_insert" --drop-if-exists --no-progress
  drop "${NAME}_insert"
  for b in 500 2000; do
    RATIOS+=("round $ROUND: sync (-b $b) / insert: $("$PY" -c "print(round(${SYNC_RATE[$b]} / $RATE, 2))")x")
  done
done
echo "" >> "$OUT"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >> "$OUT"
for r in "${RATIOS[@]}"; do echo "$r (goal >= 0.8x)" >> "$OUT"; done
cat "$OUT"
