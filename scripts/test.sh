#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs (wasm target, Python venvs with
# the Milvus servers and pyarrow, Garage), builds the plugins, starts the real servers on
# loopback, runs every test, and stops the servers again, also when a test fails.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh -- FILTER       # pass arguments on to `cargo test`
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test] %s\n' "$*" >&2; }

if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-wasip2; then
    log "adding the wasm32-wasip2 target"
    rustup target add wasm32-wasip2
fi

log "installing test services (reused when already installed)"
scripts/services.sh install

if [ -x scripts/build-plugins.sh ]; then
    log "building plugins for wasm32-wasip2 and running their own unit tests"
    scripts/build-plugins.sh --test
fi

# Compile before starting servers, so they are not kept waiting through a cold build.
log "building tests"
cargo test --workspace --no-run --locked

trap 'scripts/services.sh down || true' EXIT
log "starting services"
scripts/services.sh up
STATE=${MILVUS_INGEST_SERVICES_DIR:-/tmp/milvus-ingest-services}
# shellcheck disable=SC1091
set -a; . "$STATE/env.sh"; set +a

log "running tests"
[ "${1:-}" = "--" ] && shift
cargo test --workspace --locked "$@"
