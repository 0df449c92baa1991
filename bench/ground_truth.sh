#!/usr/bin/env bash
# Ground-truth speed: brute force over 1M x 128-d float vectors for 1,000 queries, top-10, in
# memory against the memory-bandwidth and compute floors, then the whole path `bench recall`
# takes: streaming a generated 1M-row Parquet dataset (`simple`, 128-d COSINE) from disk with
# measure::truth::compute (host/benches/ground_truth.rs, GT_DATASET). Results:
# bench/out/ground_truth.md. GT_ROWS=100000 for a quick look.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/milvus-ingest}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p bench/out
"$BIN" generate --builtin simple -r "${GT_ROWS:-1000000}" --out "$WORK/simple" --no-progress --seed 3 >/dev/null
GT_DATASET="$WORK/simple" cargo bench -q --bench ground_truth 2>/dev/null | tee bench/out/ground_truth.md
