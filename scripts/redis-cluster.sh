#!/usr/bin/env bash
# A local Redis Cluster of three primaries (no replicas) from Debian's redis-server, for running the
# retry queue against a real cluster as Azure Managed Redis is one (docs/retry-queue.md, "Redis
# Cluster"). On 127.0.0.1 only, password like the single instance of scripts/deps.sh, AOF on with
# appendfsync always (a node killed with SIGKILL loses no acknowledged write), all state under
# .local/redis-cluster/ (or $SALESAUTO_STATE_DIR/redis-cluster/). Idempotent: `up` twice is harmless,
# and `up` after a node died starts that node again; it rejoins the cluster from its nodes.conf.
#
#   scripts/redis-cluster.sh up       start the nodes, create the cluster once, wait until it serves
#   scripts/redis-cluster.sh status   say whether every node is up and the cluster state is ok (exit 1 if not)
#   scripts/redis-cluster.sh down     stop every node (data is kept)
#   scripts/redis-cluster.sh env      print the connection string as an environment assignment
#
# Ports (override with the variables): SALESAUTO_REDIS_CLUSTER_PORTS="57001 57002 57003", and the
# cluster bus ports SALESAUTO_REDIS_CLUSTER_BUS_PORTS (default: each port + 100; the usual +10000
# would pass 65535). SALESAUTO_REDIS_CLUSTER_REPLICAS=1 gives each primary a replica (then six
# ports: the first three become primaries). Needs Redis 7.0 or later (cluster-port).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${SALESAUTO_STATE_DIR:-$repo/.local}
dir=$state/redis-cluster
password=${SALESAUTO_REDIS_PASSWORD:-salesauto-local}
replicas=${SALESAUTO_REDIS_CLUSTER_REPLICAS:-0}
read -r -a ports <<<"${SALESAUTO_REDIS_CLUSTER_PORTS:-57001 57002 57003}"
if [ -n "${SALESAUTO_REDIS_CLUSTER_BUS_PORTS:-}" ]; then
  read -r -a bus_ports <<<"$SALESAUTO_REDIS_CLUSTER_BUS_PORTS"
else
  bus_ports=(); for p in "${ports[@]}"; do bus_ports+=($((p + 100))); done
fi
nodes=$((3 * (1 + replicas)))
[ "${#ports[@]}" -eq "$nodes" ] && [ "${#bus_ports[@]}" -eq "$nodes" ] || { echo "need exactly $nodes ports and $nodes bus ports (3 primaries, $replicas replicas each)" >&2; exit 2; }

endpoints=$(printf '127.0.0.1:%s,' "${ports[@]}")
cluster_cs="${endpoints}password=$password,abortConnect=false"

log() { printf '[redis-cluster] %s\n' "$*" >&2; }
cli() { local port=$1; shift; redis-cli -h 127.0.0.1 -p "$port" -a "$password" --no-auth-warning "$@"; }
node_up() { [ "$(cli "$1" ping 2>/dev/null)" = PONG ]; }
cluster_ok() { cli "$1" cluster info 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok'; }
known_nodes() { cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_known_nodes://p'; }

start_node() {
  local port=$1 bus=$2 node=$dir/$1
  mkdir -p "$node"
  node_up "$port" && return 0
  log "starting node 127.0.0.1:$port (bus $bus)"
  # appendfsync always: the cluster's restart tests kill a primary with SIGKILL and expect every
  # acknowledged write back. cluster-node-timeout 2000: a dead primary is noticed within seconds.
  # cluster-require-full-coverage no: the other primaries keep serving their slots meanwhile.
  redis-server --bind 127.0.0.1 --port "$port" --cluster-enabled yes --cluster-port "$bus" \
    --cluster-config-file "$node/nodes.conf" --cluster-node-timeout 2000 \
    --cluster-require-full-coverage no --requirepass "$password" --masterauth "$password" \
    --dir "$node" --appendonly yes --appendfsync always --save "" \
    --daemonize yes --pidfile "$node/redis.pid" --logfile "$node/redis.log"
  for _ in $(seq 300); do node_up "$port" && return 0; sleep 0.1; done
  log "node $port did not start: see $node/redis.log"; exit 1
}

up() {
  command -v redis-server >/dev/null || { log "redis-server is not installed (scripts/deps.sh up installs it)"; exit 1; }
  for i in "${!ports[@]}"; do start_node "${ports[$i]}" "${bus_ports[$i]}"; done
  if [ "$(known_nodes "${ports[0]}")" != "$nodes" ]; then
    log "creating the cluster (3 primaries, $replicas replicas each)"
    # shellcheck disable=SC2046
    cli "${ports[0]}" --cluster create $(printf '127.0.0.1:%s ' "${ports[@]}") --cluster-replicas "$replicas" --cluster-yes >"$dir/create.log" 2>&1 \
      || { log "cluster create failed: see $dir/create.log"; exit 1; }
  fi
  for _ in $(seq 300); do
    all=1; for p in "${ports[@]}"; do cluster_ok "$p" || { all=0; break; }; done
    [ "$all" = 1 ] && break; sleep 0.1
  done
  [ "$all" = 1 ] || { log "the cluster did not reach cluster_state:ok: see $dir/*/redis.log"; exit 1; }
  write_env
}

write_env() {
  # Read by scripts/test.sh (and anyone who sources it) next to salesauto.env.
  echo "export SALESAUTO_REDIS_CLUSTER='$cluster_cs'" >"$state/redis-cluster.env"
}

down() {
  for p in "${ports[@]}"; do
    if node_up "$p"; then log "stopping node $p"; cli "$p" shutdown >/dev/null 2>&1 || true; fi
    pid_file=$dir/$p/redis.pid
    for _ in $(seq 100); do [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null || break; sleep 0.1; done
  done
}

status() {
  local rc=0
  for p in "${ports[@]}"; do
    if ! node_up "$p"; then echo "node $p: down"; rc=1
    elif cluster_ok "$p"; then echo "node $p: up, cluster_state:ok"
    else echo "node $p: up, cluster not ok"; rc=1; fi
  done
  return $rc
}

case "${1:-up}" in
  up) up; status; echo "SALESAUTO_REDIS_CLUSTER=$cluster_cs" ;;
  status) status ;;
  down) down; status || true ;;
  env) echo "SALESAUTO_REDIS_CLUSTER=$cluster_cs" ;;
  *) echo "usage: $0 up|status|down|env" >&2; exit 2 ;;
esac
