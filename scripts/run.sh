#!/usr/bin/env bash
# Runs SalesAuto.Server locally on http://127.0.0.1:5080 with its dependencies started
# (Postgres, Redis, Azurite via scripts/deps.sh) and the Development settings
# (appsettings.Development.json: a local admin key and three webhook sources).
# Extra arguments go to the server (e.g. --urls http://127.0.0.1:8080).
#
# Builds SalesAuto.Server, then replaces this script with the built server (exec, no `dotnet
# run`): a Ctrl-C, or SIGINT/SIGTERM sent to this script's pid, reaches the server itself, which
# stops gracefully (HostOptions.ShutdownTimeout, 30 s at most; an idle server stops at once).
# The dependencies run in sessions of their own and keep running; `scripts/deps.sh down` stops them.
#
# ASPNETCORE_ENVIRONMENT is honoured (default Development); launchSettings.json is not read.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
state=${SALESAUTO_STATE_DIR:-$repo/.local}

scripts/deps.sh up >/dev/null
# The connection strings of this state directory's dependencies (they win over appsettings*.json).
# shellcheck disable=SC1091
source "$state/salesauto.env"

mkdir -p "$state"
echo "[run] building SalesAuto.Server (log: $state/run-build.log)" >&2
if ! dotnet build SalesAuto.Server/SalesAuto.Server.csproj -c Release -nologo -v q >"$state/run-build.log" 2>&1; then
  tail -n 40 "$state/run-build.log" >&2
  echo "[run] the build failed" >&2
  exit 1
fi

export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}
echo "[run] SalesAuto.Server ($ASPNETCORE_ENVIRONMENT); Ctrl-C stops it, the dependencies keep running (scripts/deps.sh down stops them)" >&2
# The project directory is the content root, as with `dotnet run`: appsettings*.json are read from it.
cd SalesAuto.Server
exec dotnet bin/Release/net10.0/SalesAuto.Server.dll "$@"
