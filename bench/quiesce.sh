# Sourced by benchmarks that time Milvus. Milvus keeps working after a phase ends (sealing
# segments, building HNSW on them, compaction, dropping): up to both cores for minutes on 1024-d
# data. `quiesce` returns once the local Milvus process has been idle (< 10% of a core over
# 2 s; at most $1 seconds, default 180), so no phase pays for the previous one's background
# work. A remote server (no local `milvus run` process) is not waited for.
quiesce() {
  local pid tick a b waited=0
  pid=$(pgrep -f 'milvus run standalone' | head -1) || return 0
  tick=$(getconf CLK_TCK)
  while [ "$waited" -lt "${1:-180}" ]; do
    a=$(awk '{print $14+$15}' "/proc/$pid/stat" 2>/dev/null) || return 0
    sleep 2
    waited=$((waited + 2))
    b=$(awk '{print $14+$15}' "/proc/$pid/stat" 2>/dev/null) || return 0
    if [ $(((b - a) * 100 / (2 * tick))) -lt 10 ]; then
      echo "[bench] Milvus idle after ${waited}s" >&2
      return 0
    fi
  done
  echo "[bench] Milvus still busy after ${waited}s: the next phase shares the CPU with it" >&2
}
