#!/usr/bin/env bash
# Builds every guest plugin (shipped and test guests) for wasm32-wasip2.
# Output: plugins/target/wasm32-wasip2/release/*.wasm, where the host's tests look for them.
# Usage: scripts/build-plugins.sh [--test]   (--test also runs the plugins' own unit tests natively)
set -euo pipefail
cd "$(dirname "$0")/../plugins"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    echo "error: the wasm32-wasip2 target is missing; run: rustup target add wasm32-wasip2" >&2
    exit 2
fi
export CARGO_TARGET_DIR="${PLUGINS_TARGET_DIR:-$PWD/target}"
cargo build --release --target wasm32-wasip2 --workspace
if [[ "${1:-}" == "--test" ]]; then
    # The test guests only make sense as components; the rest have native unit tests.
    cargo test --workspace --exclude misbehave --exclude future-interface --exclude dice --exclude bench-gen
fi
ls -1 "$CARGO_TARGET_DIR"/wasm32-wasip2/release/*.wasm
