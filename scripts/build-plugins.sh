#!/usr/bin/env bash
# Builds every guest plugin (shipped and test guests) for wasm32-wasip2.
# Output: plugins/target/wasm32-wasip2/release/*.wasm, where the host's tests look for them.
# Usage: scripts/build-plugins.sh [--test] [--dist]
#   --test  also runs the plugins' own unit tests natively
#   --dist  also rebuilds the shipped sync handlers into plugins/dist/ (embedded in the host
#           binary) with paths remapped, and records the hash of their sources in
#           plugins/dist/SOURCES.sha256 (a host test checks it is current). Commit the result.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/plugins"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    echo "error: the wasm32-wasip2 target is missing; run: rustup target add wasm32-wasip2" >&2
    exit 2
fi
TEST=0
DIST=0
for arg in "$@"; do
    case "$arg" in
        --test) TEST=1 ;;
        --dist) DIST=1 ;;
        *) echo "usage: $0 [--test] [--dist]" >&2; exit 2 ;;
    esac
done
export CARGO_TARGET_DIR="${PLUGINS_TARGET_DIR:-$PWD/target}"
cargo build --release --target wasm32-wasip2 --workspace
if [[ $TEST == 1 ]]; then
    # The test guests only make sense as components; the rest have native unit tests. The SDK's
    # run alone: its dev-dependency `bson` turns on serde_json's `preserve_order`, which would
    # change the other plugins' maps in their tests (features unify within one cargo run).
    cargo test --workspace --exclude misbehave --exclude misbehave-sync --exclude future-interface \
        --exclude dice --exclude bench-gen --exclude milvus-ingest-sdk
    cargo test -p milvus-ingest-sdk
fi
ls -1 "$CARGO_TARGET_DIR"/wasm32-wasip2/release/*.wasm

# The shipped sync handlers, one component per collection type.
SHIPPED=(episodic-memory event-log foresight v1-episodic-memory)

# The sources the shipped handlers are built from, hashed the same way the host's test does.
sources_hash() {
    (
        cd "$ROOT"
        {
            echo plugins/Cargo.toml
            echo plugins/Cargo.lock
            find wit/since_v0.2.0 wit/since_v0.3.0 plugins/sdk plugins/evermemos "${SHIPPED[@]/#/plugins/}" -type f \
                \( -name '*.rs' -o -name '*.toml' -o -name '*.wit' \) -not -path '*/target/*'
        } | LC_ALL=C sort | while read -r f; do sha256sum "$f"; done | sha256sum | cut -d' ' -f1
    )
}

if [[ $DIST == 1 ]]; then
    DIST_TARGET="$CARGO_TARGET_DIR/dist"
    # Remapped paths keep the bytes independent of where the checkout and cargo home live.
    RUSTFLAGS="--remap-path-prefix=$ROOT=/src --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo" \
        CARGO_TARGET_DIR="$DIST_TARGET" \
        cargo build --release --target wasm32-wasip2 "${SHIPPED[@]/#/--package=}"
    mkdir -p "$ROOT/plugins/dist"
    for p in "${SHIPPED[@]}"; do
        f="${p//-/_}.wasm"
        cp "$DIST_TARGET/wasm32-wasip2/release/$f" "$ROOT/plugins/dist/$f.tmp"
        mv "$ROOT/plugins/dist/$f.tmp" "$ROOT/plugins/dist/$f"
    done
    sources_hash > "$ROOT/plugins/dist/SOURCES.sha256.tmp"
    mv "$ROOT/plugins/dist/SOURCES.sha256.tmp" "$ROOT/plugins/dist/SOURCES.sha256"
    ls -l "$ROOT/plugins/dist"
fi
