#!/usr/bin/env bash
# Local dependencies for SalesAuto: PostgreSQL 15, Redis and Azurite, all on 127.0.0.1 only,
# all owned by this checkout's state directory, .local/ (or $SALESAUTO_STATE_DIR). Idempotent:
# running `up` twice is harmless.
#
#   scripts/deps.sh up       install what is missing, start everything, write connection strings
#   scripts/deps.sh status   say what this state directory runs (exit 1 if anything is down)
#   scripts/deps.sh down     stop what this state directory started (data is kept)
#   scripts/deps.sh env      print the connection strings as environment assignments
#
# Ports (override with the variables): Postgres 55432 (SALESAUTO_PG_PORT), Redis 56379
# (SALESAUTO_REDIS_PORT), Azurite blob 10000, queue +1, table +2 (SALESAUTO_AZURITE_PORT; the
# default is what `UseDevelopmentStorage=true` expects, so `func start` finds it).
#
# Ownership: every process is found through this state directory (Postgres by its data
# directory, Redis and Azurite by their pid files), never by port and password, so `down` in one
# checkout never stops another checkout's instance. `up` refuses a port that a process not
# started from this state directory holds, and names that process.
#
# Each service runs in a session of its own (pg_ctl and redis-server detach themselves, Azurite
# is started with setsid): a Ctrl-C in the terminal that ran `up` (or scripts/run.sh) does not
# reach them.
#
# As root, Postgres runs as the `postgres` user, who may not be able to enter this checkout (a
# mode-700 home, a `mktemp -d` directory). Then the cluster lives in
# /var/lib/salesauto/<hash of the state directory>/postgres (owned by postgres) and the state
# directory records where, in postgres.datadir; the checkout's permissions are left alone.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${SALESAUTO_STATE_DIR:-$repo/.local}
mkdir -p "$state"
state=$(cd "$state" && pwd)
pg_port=${SALESAUTO_PG_PORT:-55432}
redis_port=${SALESAUTO_REDIS_PORT:-56379}
azurite_port=${SALESAUTO_AZURITE_PORT:-10000}
redis_password=${SALESAUTO_REDIS_PASSWORD:-salesauto-local}
pg_password=${SALESAUTO_PG_PASSWORD:-salesauto-local}
azurite_version=3.37.0   # pinned: the version this project was checked with
pg_bin=${SALESAUTO_PG_BIN:-/usr/lib/postgresql/15/bin}
shared_pg_root=${SALESAUTO_PG_ROOT:-/var/lib/salesauto}

redis_dir=$state/redis
azurite_dir=$state/azurite
redis_pidfile=$redis_dir/redis.pid
azurite_pidfile=$azurite_dir/azurite.pid
pg_datadir_record=$state/postgres.datadir

postgres_cs="Host=127.0.0.1;Port=$pg_port;Database=salesauto;Username=salesauto;Password=$pg_password"
redis_cs="127.0.0.1:$redis_port,password=$redis_password,abortConnect=false"
if [ "$azurite_port" = 10000 ]; then
  storage_cs='UseDevelopmentStorage=true'
else
  # Azurite's well-known development account (public, documented by Microsoft), on our ports.
  storage_cs="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$azurite_port/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$((azurite_port + 1))/devstoreaccount1;TableEndpoint=http://127.0.0.1:$((azurite_port + 2))/devstoreaccount1"
fi

log() { printf '[deps] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

as_postgres() {
  # Postgres refuses to run as root: use the postgres account when we are root. From / so that
  # postgres is not left in a directory it may not enter (a mode-700 home).
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

apt_install() {
  is_root || die "need root to apt-get install $*"
  if [ -z "${_apt_updated:-}" ]; then apt-get update -qq; _apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- ports and ownership -------------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The pid listening on 127.0.0.1:$1 (or any address), empty when none or unknown.
port_pid() {
  ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}

# Names whoever holds port $1: the process, its pid, and where its data lives (its checkout).
describe_holder() {
  local port=$1 pid cmd where=""
  pid=$(port_pid "$port")
  if [ -z "$pid" ]; then echo "an unknown process"; return; fi
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  case "$cmd" in
    *postgres*) where=$(sed -n 's/.*-D \([^ ]*\).*/\1/p' <<<"$cmd")
                [ -n "$where" ] || where=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
                # A cluster under $shared_pg_root records the state directory it belongs to.
                if [ -f "$(dirname "$where")/state-dir" ]; then where="$where, state directory $(cat "$(dirname "$where")/state-dir")"; fi ;;
    *redis-server*) where=$(readlink "/proc/$pid/cwd" 2>/dev/null || true) ;;
    *azurite*) where=$(sed -n 's/.*--location \([^ ]*\).*/\1/p' <<<"$cmd") ;;
  esac
  echo "${cmd%% *} (pid $pid${where:+, data in $where})"
}

# Refuses to go on when port $2 is held by something this state directory did not start.
refuse_foreign_port() {
  local what=$1 port=$2 variable=$3
  if port_open "$port"; then
    die "$what: port $port is held by $(describe_holder "$port"), which this state directory ($state) did not start. Stop it from the checkout that owns it (its scripts/deps.sh down), or choose another port with $variable."
  fi
}

# True when the pid in file $1 is alive and its command line contains $2.
pidfile_alive() {
  local file=$1 name=$2 pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"
}

# Sends SIGTERM to the pid in file $1 and waits up to $2 seconds for it to exit.
stop_pidfile() {
  local file=$1 seconds=$2 pid
  pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((seconds * 10))); do
    [ -d "/proc/$pid" ] || { rm -f "$file"; return 0; }
    sleep 0.1
  done
  log "pid $pid did not stop within ${seconds}s"
  return 1
}

# --- Postgres ------------------------------------------------------------------------------

# Where this state directory's cluster lives: as recorded when it was created (or the state
# directory itself, for clusters older than the record).
recorded_pg_data() {
  if [ -f "$pg_datadir_record" ]; then cat "$pg_datadir_record"; else echo "$state/postgres"; fi
}
pg_data=$(recorded_pg_data)

# For a new cluster: the state directory when the postgres user can enter it, else a directory
# of its own under $shared_pg_root, named by a hash of the state directory's path (root only).
choose_pg_data() {
  if [ -f "$pg_datadir_record" ] || [ -f "$state/postgres/PG_VERSION" ] || ! is_root || runuser -u postgres -- test -x "$state" 2>/dev/null; then
    recorded_pg_data
  else
    echo "$shared_pg_root/$(printf '%s' "$state" | sha256sum | cut -c1-16)/postgres"
  fi
}

ensure_postgres_installed() {
  if [ ! -x "$pg_bin/initdb" ]; then log "installing postgresql-15"; apt_install postgresql-15; fi
  if is_root && ! id postgres >/dev/null 2>&1; then useradd --system --home /var/lib/postgresql postgres; fi
}

pg_running() { [ -f "$pg_data/postmaster.pid" ] && as_postgres "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; }

start_postgres() {
  ensure_postgres_installed
  pg_data=$(choose_pg_data)
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    log "creating a private PostgreSQL cluster in $pg_data"
    if [ "$pg_data" != "$state/postgres" ]; then
      # The postgres user cannot enter $state: the cluster lives where it can, and $state says where.
      install -d -m 755 "$shared_pg_root"
      install -d -m 700 -o postgres -g postgres "$(dirname "$pg_data")"
      echo "$state" >"$(dirname "$pg_data")/state-dir"
    fi
    mkdir -p "$pg_data"
    if is_root; then chown postgres:postgres "$pg_data"; fi
    chmod 700 "$pg_data"
    pwfile=$(mktemp); echo "$pg_password" >"$pwfile"; chmod 644 "$pwfile"
    as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >>"$pg_data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_data'
max_connections = 300
shared_buffers = 256MB
fsync = on
CONF
    echo "$pg_data" >"$pg_datadir_record"
  fi
  [ -f "$pg_datadir_record" ] || echo "$pg_data" >"$pg_datadir_record"
  if ! pg_running; then
    refuse_foreign_port PostgreSQL "$pg_port" SALESAUTO_PG_PORT
    log "starting PostgreSQL on 127.0.0.1:$pg_port (data in $pg_data)"
    # pg_ctl starts the postmaster in a session of its own.
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -o "-p $pg_port" -w -t 60 start >/dev/null
  fi
  as_postgres "$pg_bin/psql" -h "$pg_data" -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q <<SQL
do \$\$ begin
  if not exists (select 1 from pg_roles where rolname = 'salesauto') then
    create role salesauto login createdb password '$pg_password';
  end if;
end \$\$;
select 'create database salesauto owner salesauto' where not exists (select 1 from pg_database where datname = 'salesauto')\gexec
SQL
}

stop_postgres() {
  if pg_running; then log "stopping PostgreSQL ($pg_data)"; as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null; fi
}

# --- Redis ---------------------------------------------------------------------------------

redis_cli() { redis-cli -h 127.0.0.1 -p "$redis_port" -a "$redis_password" --no-auth-warning "$@"; }
# Ours: the pid file's process is a redis-server working in our directory (--dir is its cwd).
redis_running() { pidfile_alive "$redis_pidfile" redis-server && [ "$(readlink "/proc/$(cat "$redis_pidfile")/cwd" 2>/dev/null)" = "$redis_dir" ]; }
redis_ready() { [ "$(redis_cli ping 2>/dev/null)" = PONG ]; }

start_redis() {
  if ! command -v redis-server >/dev/null; then log "installing redis-server"; apt_install redis-server; fi
  mkdir -p "$redis_dir"
  if ! redis_running; then
    refuse_foreign_port Redis "$redis_port" SALESAUTO_REDIS_PORT
    log "starting Redis on 127.0.0.1:$redis_port"
    # AOF on: a Redis restart must not lose parked orphans (docs/retry-queue.md). --daemonize
    # detaches it into a session of its own.
    redis-server --bind 127.0.0.1 --port "$redis_port" --requirepass "$redis_password" \
      --dir "$redis_dir" --appendonly yes --appendfsync everysec --daemonize yes \
      --pidfile "$redis_pidfile" --logfile "$redis_dir/redis.log" --save ""
    for _ in $(seq 300); do redis_running && redis_ready && break; sleep 0.1; done
    redis_running && redis_ready || die "Redis did not start: see $redis_dir/redis.log"
  fi
}

stop_redis() {
  # SIGTERM: Redis flushes the AOF and exits, as SHUTDOWN does.
  if redis_running; then log "stopping Redis (pid $(cat "$redis_pidfile"))"; stop_pidfile "$redis_pidfile" 30; fi
}

# --- Azurite -------------------------------------------------------------------------------

azurite_bin=$azurite_dir/node_modules/.bin/azurite
# Ours: the pid file's process is an Azurite keeping its data in our directory.
azurite_running() { pidfile_alive "$azurite_pidfile" "--location $azurite_dir/data"; }

start_azurite() {
  if [ ! -x "$azurite_bin" ] || ! grep -q "\"version\": \"$azurite_version\"" "$azurite_dir/node_modules/azurite/package.json" 2>/dev/null; then
    command -v npm >/dev/null || { log "installing nodejs and npm"; apt_install nodejs npm; }
    log "installing azurite@$azurite_version"
    mkdir -p "$azurite_dir"
    npm install --silent --no-audit --no-fund --prefix "$azurite_dir" "azurite@$azurite_version" >/dev/null 2>&1
  fi
  if ! azurite_running; then
    for port in "$azurite_port" $((azurite_port + 1)) $((azurite_port + 2)); do
      refuse_foreign_port Azurite "$port" SALESAUTO_AZURITE_PORT
    done
    log "starting Azurite on 127.0.0.1:$azurite_port-$((azurite_port + 2))"
    mkdir -p "$azurite_dir/data"
    # setsid: a session of its own, so a Ctrl-C meant for scripts/run.sh does not stop it.
    setsid nohup "$azurite_bin" --silent --skipApiVersionCheck --location "$azurite_dir/data" \
      --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
      --blobPort "$azurite_port" --queuePort $((azurite_port + 1)) --tablePort $((azurite_port + 2)) \
      </dev/null >"$azurite_dir/azurite.log" 2>&1 &
    echo $! >"$azurite_pidfile"
    for _ in $(seq 600); do port_open "$azurite_port" && break; sleep 0.1; done
    azurite_running && port_open "$azurite_port" || die "Azurite did not start: see $azurite_dir/azurite.log"
  fi
}

stop_azurite() {
  if azurite_running; then log "stopping Azurite (pid $(cat "$azurite_pidfile"))"; stop_pidfile "$azurite_pidfile" 10; fi
  rm -f "$azurite_pidfile"
}

# --- settings ------------------------------------------------------------------------------

write_settings() {
  # Read by scripts/test.sh, scripts/run.sh and anyone who sources it.
  cat >"$state/salesauto.env" <<ENV
export ConnectionStrings__Postgres='$postgres_cs'
export ConnectionStrings__Redis='$redis_cs'
export AzureWebJobsStorage='$storage_cs'
ENV
  # Read by SalesAuto.Server when started by hand (optional file, ignored by git). Only for the
  # checkout's own state directory: another one (a test's, CI's) must not repoint the checkout.
  if [ "$state" = "$repo/.local" ]; then
    cat >"$repo/SalesAuto.Server/appsettings.Local.json" <<JSON
{
  "ConnectionStrings": {
    "Postgres": "$postgres_cs",
    "Redis": "$redis_cs"
  }
}
JSON
  fi
}

print_env() {
  echo "ConnectionStrings__Postgres=$postgres_cs"
  echo "ConnectionStrings__Redis=$redis_cs"
  echo "AzureWebJobsStorage=$storage_cs"
}

status() {
  local rc=0
  if pg_running; then echo "postgres: up (127.0.0.1:$pg_port, data in $pg_data)"; else echo "postgres: down"; rc=1; fi
  if redis_running; then echo "redis:    up (127.0.0.1:$redis_port, pid $(cat "$redis_pidfile"))"; else echo "redis:    down"; rc=1; fi
  if azurite_running; then echo "azurite:  up (127.0.0.1:$azurite_port, pid $(cat "$azurite_pidfile"))"; else echo "azurite:  down"; rc=1; fi
  return $rc
}

case "${1:-up}" in
  up)
    start_postgres
    start_redis
    start_azurite
    write_settings
    status
    print_env
    ;;
  status) status ;;
  down)
    # Each one even when another failed to stop: never leave the rest running.
    rc=0
    stop_azurite || rc=1
    stop_redis || rc=1
    stop_postgres || rc=1
    status || true
    exit $rc
    ;;
  env) print_env ;;
  *) echo "usage: $0 up|status|down|env" >&2; exit 2 ;;
esac
