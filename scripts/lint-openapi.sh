#!/usr/bin/env bash
# Lints the OpenAPI document (SalesAuto.Core/Http/openapi.json) with Redocly CLI, with the rules of
# redocly.yaml (recommended, every warning an error). Installs the pinned CLI from npm into
# .local/tools (or $SALESAUTO_STATE_DIR/tools) on first use. Exit non-zero on any finding.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${SALESAUTO_STATE_DIR:-$repo/.local}
redocly_version=2.77.0   # pinned: the version the document was checked with
tools=$state/tools/redocly-$redocly_version
bin=$tools/node_modules/.bin/redocly

if [ ! -x "$bin" ]; then
  command -v npm >/dev/null || { echo "[lint-openapi] npm is missing (apt-get install nodejs npm)" >&2; exit 1; }
  echo "[lint-openapi] installing @redocly/cli@$redocly_version" >&2
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" "@redocly/cli@$redocly_version" >/dev/null
fi
cd "$repo"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true "$bin" lint --config redocly.yaml SalesAuto.Core/Http/openapi.json
