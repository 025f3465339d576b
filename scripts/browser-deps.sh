#!/usr/bin/env bash
# What the console's browser tests need (SalesAuto.Core.Tests/Console/Browser): Debian's chromium
# and playwright-core, installed with `npm ci` from the lockfile. Quick when both are present.
# playwright-core downloads no browser: the tests drive /usr/bin/chromium. When something cannot
# be installed this says so and returns 0, and the browser tests then FAIL with the reason (they
# never skip), while the rest of the suite still runs.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
browser=$repo/SalesAuto.Core.Tests/Console/Browser
log() { echo "browser-deps: $*" >&2; }

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing chromium"
    { apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; } \
      || log "could not install chromium: the console's browser tests will fail"
  else
    log "chromium is missing and installing it needs root (apt-get install -y chromium): the console's browser tests will fail"
  fi
fi

# npm ci again only when the lockfile changed since the last install.
lock_sum=$(sha256sum "$browser/package-lock.json" | cut -d' ' -f1)
stamp=$browser/node_modules/.salesauto-lock-sha256
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  if command -v npm >/dev/null; then
    log "npm ci in ${browser#"$repo"/}"
    if (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
      echo "$lock_sum" >"$stamp"
    else
      log "npm ci failed: the console's browser tests will fail"
    fi
  else
    log "npm is missing: the console's browser tests will fail"
  fi
fi
exit 0
