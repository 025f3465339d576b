#!/usr/bin/env bash
# Tests scripts/deps.sh and scripts/run.sh as a user meets them (issue 14, items 1-3), on state
# directories and ports of its own, so it never touches the checkout's .local/ or its ports:
#   deps.sh: `down` in one state directory stops only what that directory started; `up` refuses a
#            port another state directory's instance holds, naming it
#   run.sh:  exec's the built server (same pid); SIGTERM to run.sh's pid closes the server's port
#            within the shutdown timeout and leaves Postgres, Redis and Azurite running; a second
#            run.sh reuses them (same pids, no second Azurite); SIGINT stops it too
#   run.sh:  ASPNETCORE_ENVIRONMENT=Staging runs in Staging (launchSettings.json does not win)
# Cleans up what it started (servers, both state directories' dependencies) on any exit.
# Ports: SALESAUTO_TEST_PORT_BASE (default 55690): Postgres base, base+1; Redis base+1000,
# base+1001; Azurite 10690.. (base-45000, 3 ports each); the server base-50000 (5690).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

base=${SALESAUTO_TEST_PORT_BASE:-55690}
work=$(mktemp -d)
a=$work/a
b=$work/b
server_port=$((base - 50000))
shutdown_timeout=30   # HostOptions.ShutdownTimeout (SalesAuto.Server/ServerSetup.cs)
failures=0
server_pids=()

say() { printf '[test-scripts] %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; failures=$((failures + 1)); }
pass() { say "ok: $*"; }

# Runs deps.sh or run.sh for state directory $1 (a or b) with its own ports.
in_state() {
  local which=$1; shift
  local offset=0 dir=$a
  if [ "$which" = b ]; then offset=1; dir=$b; fi
  SALESAUTO_STATE_DIR=$dir SALESAUTO_PG_PORT=$((base + offset)) SALESAUTO_REDIS_PORT=$((base + 1000 + offset)) \
    SALESAUTO_AZURITE_PORT=$((base - 45000 + 3 * offset)) "$@"
}

cleanup() {
  for pid in "${server_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for which in a b; do
    in_state "$which" scripts/deps.sh down >/dev/null 2>&1 || true
    # A cluster kept outside the state directory (a mode-700 mktemp directory, as root): remove it too.
    datadir=$(cat "$work/$which/postgres.datadir" 2>/dev/null || true)
    case "$datadir" in /var/lib/salesauto/*/postgres) rm -rf "$(dirname "$datadir")" ;; esac
  done
  rm -rf "$work"
}
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for port in $base $((base + 1)) $((base + 1000)) $((base + 1001)) $((base - 45000)) $((base - 44997)) $server_port; do
  if port_open "$port"; then say "port $port is in use; choose another SALESAUTO_TEST_PORT_BASE"; exit 2; fi
done

# Azurite from npm takes a while; reuse the checkout's copy of the pinned version when it has one.
for dir in "$a" "$b"; do
  mkdir -p "$dir/azurite"
  if [ -d "$repo/.local/azurite/node_modules" ]; then cp -r "$repo/.local/azurite/node_modules" "$dir/azurite/"; fi
done

# --- deps.sh: ownership by state directory -------------------------------------------------
in_state a scripts/deps.sh up >/dev/null 2>"$work/a-up.log" || { cat "$work/a-up.log" >&2; fail "deps.sh up (a)"; exit 1; }
redis_a=$(cat "$a/redis/redis.pid"); azurite_a=$(cat "$a/azurite/azurite.pid")

# b on a's ports: refused, naming a's instance.
if SALESAUTO_STATE_DIR=$b SALESAUTO_PG_PORT=$base SALESAUTO_REDIS_PORT=$((base + 1000)) SALESAUTO_AZURITE_PORT=$((base - 45000)) \
    scripts/deps.sh up >/dev/null 2>"$work/b-clash.log"; then
  fail "deps.sh up (b) on a's ports succeeded; want a refusal"
elif grep -q "port $base is held by .*postgres.*$a" "$work/b-clash.log"; then
  pass "deps.sh up refuses a port another state directory's Postgres holds, naming it: $(grep -o 'port .*did not start' "$work/b-clash.log" | head -n 1)"
else
  fail "deps.sh up (b) was refused without naming a's cluster: $(cat "$work/b-clash.log")"
fi
SALESAUTO_STATE_DIR=$b SALESAUTO_PG_PORT=$((base + 1)) SALESAUTO_REDIS_PORT=$((base + 1000)) scripts/deps.sh up >/dev/null 2>"$work/b-clash2.log" || true
if grep -q "port $((base + 1000)) is held by redis-server (pid $redis_a, data in $a/redis)" "$work/b-clash2.log"; then
  pass "deps.sh up refuses a port another state directory's Redis holds, naming it"
else
  fail "deps.sh up (b) on a's Redis port: $(cat "$work/b-clash2.log")"
fi
in_state b scripts/deps.sh down >/dev/null 2>&1

in_state b scripts/deps.sh up >/dev/null 2>"$work/b-up.log" || { cat "$work/b-up.log" >&2; fail "deps.sh up (b) on its own ports"; }
in_state b scripts/deps.sh down >/dev/null 2>&1
if in_state b scripts/deps.sh status >/dev/null; then fail "deps.sh down (b) left b running"; fi
if in_state a scripts/deps.sh status >/dev/null && [ "$(cat "$a/redis/redis.pid")" = "$redis_a" ] && [ "$(cat "$a/azurite/azurite.pid")" = "$azurite_a" ]; then
  pass "deps.sh down in state directory b left a's Postgres, Redis and Azurite running"
else
  fail "deps.sh down (b) stopped something of a: $(in_state a scripts/deps.sh status 2>&1 | tr '\n' ' ')"
fi

# --- run.sh: exec, signals, reuse ----------------------------------------------------------
# Starts run.sh in the background, in a process group of its own as an interactive shell would
# (set -m: without job control, bash starts background commands with SIGINT ignored), and waits
# for its health answer.
start_server() {
  local log=$1; shift
  if port_open "$server_port"; then fail "port $server_port is still in use before run.sh starts"; return 1; fi
  set -m
  env "$@" scripts/run.sh --urls "http://127.0.0.1:$server_port" >"$log" 2>&1 &
  run_pid=$!
  set +m
  server_pids+=("$run_pid")
  local deadline=$((SECONDS + 600))   # the first build on a busy machine
  until curl -sf "http://127.0.0.1:$server_port/api/health" >/dev/null 2>&1; do
    if ! kill -0 "$run_pid" 2>/dev/null; then say "run.sh exited early:"; cat "$log" >&2; return 1; fi
    if [ $SECONDS -ge $deadline ]; then say "run.sh did not answer /api/health in time"; return 1; fi
    sleep 0.5
  done
}

# Sends signal $1 to run.sh's pid and checks the port closes and the process exits in time.
stop_server() {
  local signal=$1 started ms
  started=$(date +%s%N)
  kill "-$signal" "$run_pid"
  local deadline=$((SECONDS + shutdown_timeout))
  while port_open "$server_port" || kill -0 "$run_pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then fail "SIG$signal to run.sh (pid $run_pid): the server still answers after ${shutdown_timeout}s"; return; fi
    sleep 0.05
  done
  ms=$(( ($(date +%s%N) - started) / 1000000 ))
  pass "SIG$signal to run.sh's pid: port $server_port closed and the process exited in ${ms} ms (want < ${shutdown_timeout}s)"
}

deps_unchanged() {
  local what=$1
  if in_state a scripts/deps.sh status >/dev/null && [ "$(cat "$a/redis/redis.pid")" = "$redis_a" ] && [ "$(cat "$a/azurite/azurite.pid")" = "$azurite_a" ] \
      && [ "$(pgrep -fc -- "--location $a/azurite/data" || true)" = 1 ]; then
    pass "$what: Postgres, Redis and Azurite still up, the same processes, one Azurite"
  else
    fail "$what: dependencies changed: $(in_state a scripts/deps.sh status 2>&1 | tr '\n' ' '); azurites: $(pgrep -fc -- "--location $a/azurite/data" || true)"
  fi
}

if start_server "$work/run1.log" SALESAUTO_STATE_DIR="$a" SALESAUTO_PG_PORT="$base" SALESAUTO_REDIS_PORT=$((base + 1000)) SALESAUTO_AZURITE_PORT=$((base - 45000)); then
  listener=$(ss -ltnpH "sport = :$server_port" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
  if [ "$listener" = "$run_pid" ]; then pass "run.sh exec's the built server: the listener is run.sh's own pid ($run_pid)"; else fail "the server (pid $listener) is not run.sh's pid ($run_pid)"; fi
  stop_server TERM
  deps_unchanged "after SIGTERM to run.sh"
else
  fail "run.sh (first start) did not come up"
fi

if start_server "$work/run2.log" SALESAUTO_STATE_DIR="$a" SALESAUTO_PG_PORT="$base" SALESAUTO_REDIS_PORT=$((base + 1000)) SALESAUTO_AZURITE_PORT=$((base - 45000)); then
  deps_unchanged "a second run.sh"
  stop_server INT
else
  fail "run.sh (second start) did not come up"
fi

# --- run.sh: ASPNETCORE_ENVIRONMENT --------------------------------------------------------
# Staging has no appsettings of its own: the one setting without a default comes from the
# environment, as an operator's Staging would give it.
if start_server "$work/run3.log" ASPNETCORE_ENVIRONMENT=Staging Privacy__HashKeys__0=staging-privacy-hash-key-0123456789abcdef SALESAUTO_STATE_DIR="$a" SALESAUTO_PG_PORT="$base" SALESAUTO_REDIS_PORT=$((base + 1000)) SALESAUTO_AZURITE_PORT=$((base - 45000)); then
  # Staging logs JSON (item 5); the host names its environment at start-up.
  if grep -q 'Hosting environment: Staging' "$work/run3.log"; then
    pass "ASPNETCORE_ENVIRONMENT=Staging scripts/run.sh runs in Staging"
  else
    fail "ASPNETCORE_ENVIRONMENT=Staging was not honoured: $(grep -o 'Hosting environment: [A-Za-z]*' "$work/run3.log")"
  fi
  stop_server TERM
else
  fail "run.sh in Staging did not come up"
fi

if [ "$failures" -gt 0 ]; then say "$failures failed"; exit 1; fi
say "all passed"
