#!/usr/bin/env bash
# Publishes the Azure Functions app the way it is deployed (docs/deploy.md) and checks that the
# output is a deployable isolated-worker app: the generated function metadata, the worker and
# extension descriptors and host.json are there; no local settings (secrets) are.
#   scripts/publish-functions.sh [output-dir]     default: .local/publish/functions
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$repo/.local/publish/functions}
rm -rf "$out"
dotnet publish "$repo/SalesAuto.Functions/SalesAuto.Functions.csproj" -c Release -o "$out" -nologo -clp:ErrorsOnly

status=0
for file in functions.metadata worker.config.json extensions.json host.json SalesAuto.Functions.dll; do
  if [ ! -f "$out/$file" ]; then echo "[publish] missing: $file" >&2; status=1; fi
done
if find "$out" -name 'local.settings*.json' | grep -q .; then
  echo "[publish] a local.settings file was published: it holds local secrets and must not be deployed" >&2
  find "$out" -name 'local.settings*.json' >&2
  status=1
fi
functions=$(grep -c '"scriptFile"' "$out/functions.metadata")
[ "$status" -eq 0 ] && echo "[publish] $out: $functions functions, ready to zip-deploy (docs/deploy.md)"
exit "$status"
