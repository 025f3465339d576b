#!/usr/bin/env bash
# The quick start from a private directory (issue 16): clones this repository into a `mktemp -d`
# directory (mode 700, like root's home), runs `scripts/deps.sh up` there and starts the server
# with `scripts/run.sh`, checks /api/health, then stops what it started and checks the directory
# is still mode 700. As root, Postgres (run as the postgres user, who cannot enter the clone)
# must keep its cluster outside the clone; deps.sh records where.
# Ports: SALESAUTO_TEST_PORT_BASE (default 55790): Postgres base, Redis base+1000, Azurite
# base-45000.., the server base-50000; none of the defaults of the main checkout.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

base=${SALESAUTO_TEST_PORT_BASE:-55790}
export SALESAUTO_PG_PORT=$base SALESAUTO_REDIS_PORT=$((base + 1000)) SALESAUTO_AZURITE_PORT=$((base - 45000))
unset SALESAUTO_STATE_DIR   # the clone's own .local, as a new user has it
server_port=$((base - 50000))
private=$(mktemp -d)
clone=$private/sa
run_pid=

say() { printf '[test-private-checkout] %s\n' "$*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cleanup() {
  if [ -n "$run_pid" ]; then kill -KILL "$run_pid" 2>/dev/null || true; fi
  if [ -x "$clone/scripts/deps.sh" ]; then "$clone/scripts/deps.sh" down >/dev/null 2>&1 || true; fi
  datadir=$(cat "$clone/.local/postgres.datadir" 2>/dev/null || true)
  case "$datadir" in /var/lib/salesauto/*/postgres) rm -rf "$(dirname "$datadir")" ;; esac
  rm -rf "$private"
}
trap cleanup EXIT

for port in $base $((base + 1000)) $((base - 45000)) $((base - 44999)) $((base - 44998)) $server_port; do
  if port_open "$port"; then say "port $port is in use; choose another SALESAUTO_TEST_PORT_BASE"; exit 2; fi
done

mode_before=$(stat -c %a "$private")
git clone -q "$repo" "$clone"
# Azurite from npm takes a while; reuse this checkout's copy of the pinned version when it has one.
if [ -d "$repo/.local/azurite/node_modules" ]; then
  mkdir -p "$clone/.local/azurite" && cp -r "$repo/.local/azurite/node_modules" "$clone/.local/azurite/"
fi

cd "$clone"
if ! scripts/deps.sh up >"$private/deps.log" 2>&1; then
  cat "$private/deps.log" >&2
  say "FAIL: scripts/deps.sh up in a mode-$mode_before directory"
  exit 1
fi
say "ok: scripts/deps.sh up in a mode-$mode_before directory ($(grep -o 'data in [^)]*' "$private/deps.log" | head -n 1))"

set -m   # run.sh in its own process group, signals not ignored (as from a terminal)
scripts/run.sh --urls "http://127.0.0.1:$server_port" >"$private/run.log" 2>&1 &
run_pid=$!
set +m
deadline=$((SECONDS + 900))   # a first restore and build in the clone, on a busy machine
until curl -sf "http://127.0.0.1:$server_port/api/health" >"$private/health.json" 2>/dev/null; do
  if ! kill -0 "$run_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    tail -n 40 "$private/run.log" >&2
    say "FAIL: scripts/run.sh did not answer /api/health"
    exit 1
  fi
  sleep 1
done
if ! grep -q '"status":"healthy"' "$private/health.json"; then
  say "FAIL: /api/health is not healthy: $(cat "$private/health.json")"
  exit 1
fi
say "ok: scripts/run.sh serves from the private clone: $(cat "$private/health.json")"

kill -TERM "$run_pid"
wait "$run_pid" 2>/dev/null || true
run_pid=
scripts/deps.sh down >/dev/null 2>&1
mode_after=$(stat -c %a "$private")
if [ "$mode_after" != "$mode_before" ]; then
  say "FAIL: the private directory's mode changed from $mode_before to $mode_after"
  exit 1
fi
say "ok: stopped; the private directory is still mode $mode_after"
