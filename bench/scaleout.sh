#!/usr/bin/env bash
# Aggregate generation speed of one dataset written into Garage by 1, 2 and 4 shard processes on
# this machine (`generate --shard I/P`, started together, then `dataset finalize`), with the
# peak RSS of each shard process. Needs `scripts/services.sh up garage`.
#
#   bench/scaleout.sh                       # ROWS=2000000 SCHEMA=simple
#   ROWS=200000 SCHEMA=news_articles bench/scaleout.sh
#
# Workers per process are cores / P (at least 1), so every run uses the same cores; rows/s is
# total rows over the wall time from the first start to the last shard's exit (finalize is timed
# separately). Objects are written under test-bucket/bench-scaleout/ and removed afterwards.
# Results: bench/out/scaleout.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-2000000}
SCHEMA=${SCHEMA:-simple}
PROCS=${PROCS:-1 2 4}
STATE=${MILVUS_INGEST_SERVICES_DIR:-/tmp/milvus-ingest-services}
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${BIN:-$TARGET/release/milvus-ingest}
OUT=bench/out
mkdir -p "$OUT"
# shellcheck disable=SC1091
. "$STATE/env.sh"
[ -n "${MI_S3_ENDPOINT:-}" ] || { echo "garage is not up: scripts/services.sh up garage" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release -p milvus-ingest
S3=(--endpoint-url "$MI_S3_ENDPOINT" --region "$MI_S3_REGION"
    --access-key-id "$MI_S3_ACCESS_KEY" --secret-access-key "$MI_S3_SECRET_KEY")
cores=$(nproc)
now() { date +%s.%N; }
report=$OUT/scaleout.md
{
  echo "# Scale-out: $ROWS rows of $SCHEMA into Garage ($(date -u +%F), $cores cores)"
  echo
  echo "| processes | workers each | wall s | aggregate rows/s | MB/s | finalize s | peak RSS per process |"
  echo "|---|---|---|---|---|---|---|"
} >"$report"
for P in $PROCS; do
  prefix="bench-scaleout/$$-$(date +%s)-p$P"
  url="s3://$MI_S3_TEST_BUCKET/$prefix"
  workers=$(( cores / P )); [ "$workers" -ge 1 ] || workers=1
  t0=$(now)
  pids=()
  for (( i = 0; i < P; i++ )); do
    /usr/bin/time -f %M -o "$OUT/rss-$P-$i" "$BIN" generate --builtin "$SCHEMA" -r "$ROWS" --seed 1 \
      --out "$url" --shard "$i/$P" --workers "$workers" --no-progress "${S3[@]}" >/dev/null 2>"$OUT/shard-$P-$i.log" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(now)
  bytes=$("$BIN" --output json dataset finalize "$url" "${S3[@]}" | "${MI_PYTHON:-python3}" -c 'import json,sys; print(json.load(sys.stdin)["bytes"])')
  t2=$(now)
  rss=$(for (( i = 0; i < P; i++ )); do cat "$OUT/rss-$P-$i"; done | sort -n | tail -1)
  awk -v p="$P" -v w="$workers" -v a="$t0" -v b="$t1" -v c="$t2" -v r="$ROWS" -v by="$bytes" -v m="$rss" \
    'BEGIN { printf "| %d | %d | %.2f | %.0f | %.0f | %.2f | %.0f MB |\n", p, w, b - a, r / (b - a), by / 1e6 / (b - a), c - b, m / 1024 }' \
    | tee -a "$report"
  "${MI_PYTHON:-python3}" - "$MI_S3_ENDPOINT" "$MI_S3_ACCESS_KEY" "$MI_S3_SECRET_KEY" "$MI_S3_REGION" "$MI_S3_TEST_BUCKET" "$prefix" <<'PY'
import sys, boto3
endpoint, key, secret, region, bucket, prefix = sys.argv[1:]
c = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, region_name=region)
for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
    for o in page.get("Contents", []):
        c.delete_object(Bucket=bucket, Key=o["Key"])
PY
done
rm -f "$OUT"/rss-* "$OUT"/shard-*.log
echo "results: $report"
