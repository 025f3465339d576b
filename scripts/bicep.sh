#!/usr/bin/env bash
# The Bicep CLI, from the NuGet package Azure.Bicep.CommandLine.linux-x64 (the registry this
# project can reach), pinned, installed once into the NuGet cache. Idempotent.
#
#   scripts/bicep.sh install      download the CLI if it is not there yet; print its path
#   scripts/bicep.sh lint         build and lint infra/main.bicep, every module and the offline
#                                 check templates (infra/tests/); fail on any diagnostic, warnings
#                                 and infos included (CI runs this; scripts/check-infra.sh goes further)
#   scripts/bicep.sh -- ARGS...   run the CLI with ARGS (e.g. -- build infra/main.bicep --stdout)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=0.49.2   # pinned: the version infra/ was checked with
package=azure.bicep.commandline.linux-x64
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
bicep=$packages/$package/$version/tools/bicep

log() { printf '[bicep] %s\n' "$*" >&2; }

install() {
  if [ -x "$bicep" ]; then return; fi
  command -v dotnet >/dev/null || { log "dotnet is required to restore the Bicep CLI package"; exit 1; }
  # A throwaway project whose only job is <PackageDownload>: restore fetches the package into the
  # NuGet cache without building anything. It lives outside the repo so Directory.*.props (central
  # package management, the analyzers) do not apply to it.
  local work status=0
  work=$(mktemp -d)
  cat >"$work/bicep-cli.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
    <NuGetAudit>false</NuGetAudit>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Azure.Bicep.CommandLine.linux-x64" Version="[$version]" />
  </ItemGroup>
</Project>
XML
  # global.json pins the SDK for the repo; outside it any installed SDK will do.
  log "downloading Azure.Bicep.CommandLine.linux-x64 $version"
  (cd "$work" && dotnet restore --nologo -v quiet bicep-cli.csproj >&2) || status=$?
  rm -rf "$work"
  [ "$status" -eq 0 ] || { log "dotnet restore failed (exit $status)"; exit 1; }
  [ -f "$bicep" ] || { log "the package did not contain $bicep"; exit 1; }
  # NuGet may extract the file without its execute bit.
  chmod +x "$bicep"
}

# Runs one bicep command; fails when it fails or when it printed anything at all. bicep exits
# non-zero on errors only and writes every diagnostic, warnings and infos included, to stderr
# ("path(line,col) : Warning rule-name: ..."); a clean file prints nothing there. stdout (the ARM
# JSON of `build --stdout`) is discarded.
checked() {
  local output status=0
  output=$("$bicep" "$@" 2>&1 >/dev/null) || status=$?
  if [ "$status" -ne 0 ]; then printf '%s\n' "$output" >&2; log "bicep $1 $2 failed (exit $status)"; return 1; fi
  if [ -n "$output" ]; then printf '%s\n' "$output" >&2; log "bicep $1 $2 reported diagnostics"; return 1; fi
}

lint() {
  install
  cd "$repo"
  local files=(infra/main.bicep infra/modules/*.bicep infra/tests/*.bicep) failed=0
  # build compiles the whole tree (main and every module it references) as ARM would get it.
  checked build infra/main.bicep --stdout || failed=1
  for file in "${files[@]}"; do
    checked lint "$file" || failed=1
  done
  if [ "$failed" -ne 0 ]; then log "FAILED: see the diagnostics above"; exit 1; fi
  log "build and lint clean: ${#files[@]} files, no diagnostics"
}

case "${1:-lint}" in
  install) install; echo "$bicep" ;;
  lint) lint ;;
  --) shift; install; exec "$bicep" "$@" ;;
  *) echo "usage: $0 install|lint|-- ARGS..." >&2; exit 2 ;;
esac
