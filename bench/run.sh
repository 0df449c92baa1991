#!/usr/bin/env bash
# Generation benchmark: rows/s and MB/s per schema on one core and on all cores, to disk and
# to a null sink (generation and encoding only), JSON output, peak RSS at 10M rows, and the
# floor (a bare single-threaded ArrowWriter writing the same batches).
#
#   bench/run.sh            # full run (a few minutes on 2 cores)
#   ROWS_SCALE=0.1 bench/run.sh   # quick look
# Results: bench/out/results.md (also printed).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${ROWS_SCALE:-1}
OUT=bench/out
mkdir -p "$OUT"
# BIN=path uses that binary (e.g. one built with `--profile profiling`) instead of building;
# BENCH_PROFILE=profiling builds the floor benchmark with that profile too. (cargo runs
# benchmarks in host/, hence the absolute dataset paths.)
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=${CARGO_TARGET_DIR:-target}/release/milvus-ingest
fi
CORES=$(nproc)
rows() { python3 -c "print(max(1024, int($1 * $SCALE)))"; }

# Runs the binary, prints "seconds rows bytes peak_rss_mb" from its JSON summary and rusage.
measure() {
    python3 - "$@" <<'PY'
import json, resource, subprocess, sys
out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout
s = json.loads(out)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{s['seconds']:.3f} {s['rows']} {s['bytes']} {rss:.0f}")
PY
}

{
echo "| schema | format | workers | sink | rows | seconds | rows/s | MB/s | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|"
for spec in simple:2000000 product_catalog:2000000 news_articles:500000 multimedia_content:500000; do
    name=${spec%%:*}; n=$(rows "${spec##*:}")
    for w in 1 "$CORES"; do
        for sink in disk null; do
            extra=(--out "$OUT/$name" --force)
            [ "$sink" = null ] && extra=(--null-sink)
            read -r secs r bytes rss < <(measure "$BIN" generate --builtin "$name" -r "$n" --workers "$w" --no-progress --output json "${extra[@]}")
            awk -v n="$name" -v w="$w" -v s="$sink" -v r="$r" -v t="$secs" -v b="$bytes" -v m="$rss" \
                'BEGIN { printf "| %s | parquet | %s | %s | %d | %.2f | %.0f | %.1f | %s |\n", n, w, s, r, t, r/t, b/1e6/t, m }'
        done
    done
done
n=$(rows 500000)
read -r secs r bytes rss < <(measure "$BIN" generate --builtin product_catalog -r "$n" -f json --no-progress --output json --out "$OUT/pc_json" --force)
awk -v r="$r" -v t="$secs" -v b="$bytes" -v m="$rss" \
    'BEGIN { printf "| product_catalog | json | all | disk | %d | %.2f | %.0f | %.1f | %s |\n", r, t, r/t, b/1e6/t, m }'
n=$(rows 10000000)
read -r secs r bytes rss < <(measure "$BIN" generate --builtin simple -r "$n" --no-progress --output json --out "$OUT/simple_10m" --force)
awk -v r="$r" -v t="$secs" -v b="$bytes" -v m="$rss" \
    'BEGIN { printf "| simple (peak RSS run) | parquet | all | disk | %d | %.2f | %.0f | %.1f | %s |\n", r, t, r/t, b/1e6/t, m }'
rm -rf "$OUT/simple_10m"
echo
echo "Floor (same batches, bare ArrowWriter, 1 thread):"
echo
cargo bench --quiet --profile "${BENCH_PROFILE:-bench}" --bench parquet_floor -- "$PWD/$OUT/simple" "$PWD/$OUT/product_catalog" "$PWD/$OUT/news_articles" "$PWD/$OUT/multimedia_content" 2>/dev/null | sed 's/^/    /'
} | tee "$OUT/results.md"
