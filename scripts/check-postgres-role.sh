#!/usr/bin/env bash
# Proves scripts/postgres-app-role.sql on a throwaway Postgres cluster of its own (initdb in a
# temporary folder, a private socket, no TCP, removed at the end; the shared local server is never
# touched): the migrations applied by the schema owner, the script run twice (idempotent), then a
# login role standing in for the app's identity can read and write rows, use advisory locks and
# reach a table a later migration creates, and cannot create a table or truncate one.
# The Entra part (pgaadauth_create_principal_with_oid) exists only on Azure and is not exercised.
# scripts/check-infra.sh runs it.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pg_bin=${SALESAUTO_PG_BIN:-/usr/lib/postgresql/15/bin}
log() { printf '[check-postgres-role] %s\n' "$*" >&2; }
[ -x "$pg_bin/initdb" ] || { log "no Postgres binaries in $pg_bin (SALESAUTO_PG_BIN)"; exit 1; }

# Postgres refuses to run as root: use the postgres account when we are root.
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
dir=$(mktemp -d /tmp/salesauto-pgrole.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres "$dir"
cleanup() {
  as_postgres "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
as_postgres "$pg_bin/initdb" -D "$dir/data" -U postgres -A trust >/dev/null
as_postgres "$pg_bin/pg_ctl" -D "$dir/data" -o "-p 5432 -k $dir -c listen_addresses=''" -l "$dir/server.log" -w -t 60 start >/dev/null
sql() { PGOPTIONS="-c client_min_messages=warning" as_postgres "$pg_bin/psql" -h "$dir" -p 5432 -v ON_ERROR_STOP=1 -qX "$@"; }
refused() { # user, statement: must fail with a permission error
  local output
  if output=$(sql -U "$1" -d salesauto -c "$2" 2>&1); then log "FAILED: $1 could run: $2"; exit 1; fi
  grep -Eq "permission denied|must be owner" <<<"$output" || { log "FAILED: $2 failed for another reason: $output"; exit 1; }
}

sql -U postgres -d postgres -c "create role salesauto_admin login" -c "create role app_login login" \
  -c "create database salesauto owner salesauto_admin"
for migration in "$repo"/SalesAuto.Core/Postgres/Migrations/*.sql; do
  sql -U salesauto_admin -d salesauto <"$migration"
done
for run in 1 2; do
  sql -U postgres -d salesauto -v app_role=app_login -v app_object_id= -v schema_owner=salesauto_admin \
    <"$repo/scripts/postgres-app-role.sql"
done
sql -U salesauto_admin -d salesauto -c "create table later_migration (id int primary key)"
sql -U app_login -d salesauto -c "insert into later_migration values (1)" -c "delete from later_migration" \
  -c "select count(*) from campaigns, enrollments, campaign_events, dead_letters" -c "select pg_advisory_lock(1), pg_advisory_unlock(1)" >/dev/null
refused app_login "create table evil (id int)"
refused app_login "truncate campaigns"
refused app_login "drop table later_migration"
log "the app role reads and writes rows and cannot change the schema"
