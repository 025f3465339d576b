#!/usr/bin/env bash
# Runs the Azure Functions app under the real Functions host (`func start`) against the local
# dependencies: starts Postgres, Redis and Azurite (scripts/deps.sh), writes
# SalesAuto.Functions/local.settings.json from local.settings.example.json with their connection
# strings (git ignores it), builds, and starts the host on http://localhost:7071/api.
# Extra arguments go to `func start` (e.g. --port 7072).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

if ! command -v func >/dev/null 2>&1; then
  echo "Azure Functions Core Tools (func) is not installed here; install it (npm install -g azure-functions-core-tools@4, or see https://learn.microsoft.com/azure/azure-functions/functions-run-local) and run this again, or use scripts/run.sh, which serves the same routes on SalesAuto.Server." >&2
  exit 1
fi

scripts/deps.sh up >/dev/null
# shellcheck disable=SC1091
source "${SALESAUTO_STATE_DIR:-$repo/.local}/salesauto.env"
export ConnectionStrings__Postgres ConnectionStrings__Redis
node -e '
  const fs = require("fs");
  const settings = JSON.parse(fs.readFileSync("local.settings.example.json", "utf8"));
  settings.Values.ConnectionStrings__Postgres = process.env.ConnectionStrings__Postgres;
  settings.Values.ConnectionStrings__Redis = process.env.ConnectionStrings__Redis;
  fs.writeFileSync("SalesAuto.Functions/local.settings.json", JSON.stringify(settings, null, 2) + "\n");
'
echo "[func] wrote SalesAuto.Functions/local.settings.json from local.settings.example.json" >&2
cd SalesAuto.Functions
exec func start "$@"
