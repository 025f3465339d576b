#!/usr/bin/env bash
# Local dependencies for SalesAuto: PostgreSQL 15, Redis and Azurite, all on 127.0.0.1 only,
# all state under .local/ (or $SALESAUTO_STATE_DIR). Idempotent: running `up` twice is harmless.
#
#   scripts/deps.sh up       install what is missing, start everything, write connection strings
#   scripts/deps.sh status   say what is running (exit 1 if anything is down)
#   scripts/deps.sh down     stop everything (data is kept)
#   scripts/deps.sh env      print the connection strings as environment assignments
#
# Ports (override with the variables): Postgres 55432, Redis 56379, Azurite 10000-10002 (the
# ports `UseDevelopmentStorage=true` expects, so `func start` finds it).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${SALESAUTO_STATE_DIR:-$repo/.local}
pg_port=${SALESAUTO_PG_PORT:-55432}
redis_port=${SALESAUTO_REDIS_PORT:-56379}
redis_password=${SALESAUTO_REDIS_PASSWORD:-salesauto-local}
pg_password=${SALESAUTO_PG_PASSWORD:-salesauto-local}
azurite_version=3.37.0   # pinned: the version this project was checked with
pg_bin=${SALESAUTO_PG_BIN:-/usr/lib/postgresql/15/bin}

pg_data=$state/postgres
redis_dir=$state/redis
azurite_dir=$state/azurite

postgres_cs="Host=127.0.0.1;Port=$pg_port;Database=salesauto;Username=salesauto;Password=$pg_password"
redis_cs="127.0.0.1:$redis_port,password=$redis_password,abortConnect=false"

log() { printf '[deps] %s\n' "$*" >&2; }

as_postgres() {
  # Postgres refuses to run as root: use the postgres account when we are root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

apt_install() {
  if [ "$(id -u)" != 0 ]; then log "need root to apt-get install $*"; exit 1; fi
  if [ -z "${_apt_updated:-}" ]; then apt-get update -qq; _apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres_installed() {
  if [ ! -x "$pg_bin/initdb" ]; then log "installing postgresql-15"; apt_install postgresql-15; fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --home /var/lib/postgresql postgres; fi
}

pg_running() { [ -f "$pg_data/postmaster.pid" ] && as_postgres "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; }

start_postgres() {
  ensure_postgres_installed
  mkdir -p "$state"
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    log "creating a private PostgreSQL cluster in $pg_data"
    mkdir -p "$pg_data"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_data"
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
  fi
  if ! pg_running; then
    log "starting PostgreSQL on 127.0.0.1:$pg_port"
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 start >/dev/null
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
  if pg_running; then log "stopping PostgreSQL"; as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null; fi
}

redis_cli() { redis-cli -h 127.0.0.1 -p "$redis_port" -a "$redis_password" --no-auth-warning "$@"; }
redis_running() { command -v redis-cli >/dev/null && [ "$(redis_cli ping 2>/dev/null)" = PONG ]; }

start_redis() {
  if ! command -v redis-server >/dev/null; then log "installing redis-server"; apt_install redis-server; fi
  mkdir -p "$redis_dir"
  if ! redis_running; then
    log "starting Redis on 127.0.0.1:$redis_port"
    # AOF on: a Redis restart must not lose parked orphans (docs/retry-queue.md).
    redis-server --bind 127.0.0.1 --port "$redis_port" --requirepass "$redis_password" \
      --dir "$redis_dir" --appendonly yes --appendfsync everysec --daemonize yes \
      --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" --save ""
    for _ in $(seq 50); do redis_running && break; sleep 0.1; done
    redis_running || { log "Redis did not start: see $redis_dir/redis.log"; exit 1; }
  fi
}

stop_redis() {
  if redis_running; then log "stopping Redis"; redis_cli shutdown >/dev/null 2>&1 || true; fi
}

azurite_bin=$azurite_dir/node_modules/.bin/azurite
azurite_running() { (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; }

start_azurite() {
  if [ ! -x "$azurite_bin" ] || ! grep -q "\"version\": \"$azurite_version\"" "$azurite_dir/node_modules/azurite/package.json" 2>/dev/null; then
    command -v npm >/dev/null || { log "installing nodejs and npm"; apt_install nodejs npm; }
    log "installing azurite@$azurite_version"
    mkdir -p "$azurite_dir"
    npm install --silent --no-audit --no-fund --prefix "$azurite_dir" "azurite@$azurite_version" >/dev/null 2>&1
  fi
  if ! azurite_running; then
    log "starting Azurite on 127.0.0.1:10000-10002"
    mkdir -p "$azurite_dir/data"
    nohup "$azurite_bin" --silent --skipApiVersionCheck --location "$azurite_dir/data" \
      --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
      >"$azurite_dir/azurite.log" 2>&1 &
    echo $! >"$azurite_dir/azurite.pid"
    for _ in $(seq 100); do azurite_running && break; sleep 0.1; done
    azurite_running || { log "Azurite did not start: see $azurite_dir/azurite.log"; exit 1; }
  fi
}

stop_azurite() {
  if [ -f "$azurite_dir/azurite.pid" ]; then
    kill "$(cat "$azurite_dir/azurite.pid")" 2>/dev/null && log "stopping Azurite" || true
    rm -f "$azurite_dir/azurite.pid"
  fi
}

write_settings() {
  mkdir -p "$state"
  # Read by scripts/test.sh and anyone who sources it.
  cat >"$state/salesauto.env" <<ENV
export ConnectionStrings__Postgres='$postgres_cs'
export ConnectionStrings__Redis='$redis_cs'
export AzureWebJobsStorage='UseDevelopmentStorage=true'
ENV
  # Read by SalesAuto.Server (optional file, ignored by git).
  cat >"$repo/SalesAuto.Server/appsettings.Local.json" <<JSON
{
  "ConnectionStrings": {
    "Postgres": "$postgres_cs",
    "Redis": "$redis_cs"
  }
}
JSON
}

print_env() {
  echo "ConnectionStrings__Postgres=$postgres_cs"
  echo "ConnectionStrings__Redis=$redis_cs"
  echo "AzureWebJobsStorage=UseDevelopmentStorage=true"
}

status() {
  local rc=0
  if pg_running; then echo "postgres: up (127.0.0.1:$pg_port)"; else echo "postgres: down"; rc=1; fi
  if redis_running; then echo "redis:    up (127.0.0.1:$redis_port)"; else echo "redis:    down"; rc=1; fi
  if azurite_running; then echo "azurite:  up (127.0.0.1:10000)"; else echo "azurite:  down"; rc=1; fi
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
  down) stop_azurite; stop_redis; stop_postgres; status || true ;;
  env) print_env ;;
  *) echo "usage: $0 up|status|down|env" >&2; exit 2 ;;
esac
