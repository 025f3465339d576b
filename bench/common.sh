#!/usr/bin/env bash
# Sourced by bench/*.sh: starts the local dependencies (scripts/deps.sh), installs the tools the
# benchmarks call (redis-server and redis-benchmark, node and npm), builds the harness in Release,
# and defines bench_run, which runs one benchmark and appends its table to docs/benchmarks.md.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

scripts/deps.sh up >/dev/null
# The connection strings deps.sh wrote, unless the caller set its own.
given_postgres=${ConnectionStrings__Postgres:-}
given_redis=${ConnectionStrings__Redis:-}
# shellcheck disable=SC1091
source "${SALESAUTO_STATE_DIR:-$repo/.local}/salesauto.env"
ConnectionStrings__Postgres=${given_postgres:-$ConnectionStrings__Postgres}
ConnectionStrings__Redis=${given_redis:-$ConnectionStrings__Redis}
export ConnectionStrings__Postgres ConnectionStrings__Redis

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-benchmark >/dev/null || missing+=(redis-tools)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[bench] installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -z "${SALESAUTO_BENCH_BUILT:-}" ]; then
  echo "[bench] building bench/SalesAuto.Bench (Release)" >&2
  dotnet build bench/SalesAuto.Bench/SalesAuto.Bench.csproj -c Release -nologo -v q -clp:ErrorsOnly >&2
  export SALESAUTO_BENCH_BUILT=1
fi

# bench_run NAME SCRIPT [--option value ...]: the command recorded is the script and its arguments.
bench_run() {
  local name=$1 script=$2
  shift 2
  dotnet bench/SalesAuto.Bench/bin/Release/net10.0/SalesAuto.Bench.dll "$name" "$@" \
    --report "${SALESAUTO_BENCH_REPORT:-docs/benchmarks.md}" --command "$script${*:+ $*}"
}
