#!/usr/bin/env bash
# Runs SalesAuto.Server locally on http://127.0.0.1:5080 with its dependencies started
# (Postgres, Redis, Azurite via scripts/deps.sh) and the Development settings
# (appsettings.Development.json: a local admin key and three webhook sources).
# Extra arguments go to the server (e.g. --urls http://127.0.0.1:8080).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
scripts/deps.sh up >/dev/null
export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}
exec dotnet run --project SalesAuto.Server -c Release -- "$@"
