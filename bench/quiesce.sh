# Sourced by benchmarks that time Milvus. Milvus keeps working after a phase ends (sealing
# segments, building HNSW on them, compaction, dropping): up to both cores for minutes on 1024-d
# data. `quiesce` returns once the local Milvus process has been idle (< 10% of a core over
# 2 s; at most 3 minutes), so no phase pays for the previous one's background work. A remote
# server (no local `milvus run` process) is not waited for.
quiesce() {
  local pid tick a b
  pid=$(pgrep -f 'milvus run standalone' | head -1) || return 0
  tick=$(getconf CLK_TCK)
  for _ in $(seq 90); do
    a=$(awk '{print $14+$15}' "/proc/$pid/stat" 2>/dev/null) || return 0
    sleep 2
    b=$(awk '{print $14+$15}' "/proc/$pid/stat" 2>/dev/null) || return 0
    [ $(((b - a) * 100 / (2 * tick))) -lt 10 ] && return 0
  done
}
