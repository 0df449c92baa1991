#!/usr/bin/env bash
# Plugin registry costs, against the OCI registry of scripts/services.sh (MI_OCI_REGISTRY) and a
# directory registry: publish, `plugin add` with a cold and a warm per-user cache, and what
# `generate --plugin NS:NAME@REQ` (lockfile + cache re-hash) adds over `--plugin PATH`.
# Usage: bench/registry.sh   (after scripts/build-plugins.sh and scripts/services.sh up registry)
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${MILVUS_INGEST_SERVICES_DIR:-/tmp/milvus-ingest-services}
# shellcheck disable=SC1091
[ -n "${MI_OCI_REGISTRY:-}" ] || { set -a; . "$STATE/env.sh"; set +a; }
: "${MI_OCI_REGISTRY:?run scripts/services.sh up registry}"
cargo build --release --quiet
BIN=$PWD/${CARGO_TARGET_DIR:-target}/release/milvus-ingest
WASM=$PWD/plugins/target/wasm32-wasip2/release/text_gen.wasm
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
export MILVUS_INGEST_HOME=$WORK/home
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN{printf "%.3f", b-a}'; }
cat >"$WORK/s.json" <<'JSON'
{"collection_name": "bench_registry", "fields": [
 {"name": "id", "type": "Int64", "is_primary": true},
 {"name": "v", "type": "FloatVector", "dim": 4},
 {"name": "t", "type": "VarChar", "max_length": 200, "generator": {"plugin": "text-gen", "name": "sentence"}}]}
JSON
echo "| registry | publish s | add, cold cache s | add, warm cache s | generate 1k rows, --plugin PATH s | generate, --plugin NAME@REQ s |"
echo "|---|---|---|---|---|---|"
for kind in oci dir; do
  case $kind in
    oci) REG="oci://$MI_OCI_REGISTRY/bench-registry-$$" ;;
    dir) REG="$WORK/dirreg" ;;
  esac
  rm -rf "$MILVUS_INGEST_HOME"; mkdir -p "$WORK/p-$kind" "$WORK/q-$kind"
  cd "$WORK/p-$kind"
  pub=$(t "$BIN" plugin publish "$WASM" --registry "$REG" --name bench:text --version 1.0.0)
  cold=$(t "$BIN" plugin add bench:text@^1 --registry "$REG")
  cd "$WORK/q-$kind"
  warm=$(t "$BIN" plugin add bench:text@^1 --registry "$REG")
  cp "$WORK/s.json" .
  bypath=$(t "$BIN" generate --schema s.json -r 1000 --out a --plugin "$WASM")
  byname=$(t "$BIN" generate --schema s.json -r 1000 --out b --plugin bench:text@^1)
  echo "| $kind | $pub | $cold | $warm | $bypath | $byname |"
done
