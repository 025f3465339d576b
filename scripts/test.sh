#!/usr/bin/env bash
# Runs the whole test suite against real Postgres, Redis and HTTP: starts the local dependencies
# (scripts/deps.sh up), runs the tests, and ends with the line "N passed, N failed[, N skipped]".
# Extra arguments go to `dotnet test` (e.g. --filter FullyQualifiedName~Webhooks).
# The servers the tests start never write to the console: each writes its log to a file in
# .local/test-results/server-logs/, named after the test or fixture that started it (printed
# when a test failed). The dependencies are left running (say so at the end).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

scripts/deps.sh up >/dev/null
# The retry queue's tests also run on a 3-primary Redis Cluster (exports SALESAUTO_REDIS_CLUSTER).
scripts/redis-cluster.sh up >/dev/null
scripts/browser-deps.sh   # chromium + playwright-core for the console's browser tests
# shellcheck disable=SC1091
source "${SALESAUTO_STATE_DIR:-$repo/.local}/salesauto.env"
# shellcheck disable=SC1091
source "${SALESAUTO_STATE_DIR:-$repo/.local}/redis-cluster.env"

results=$repo/.local/test-results
rm -rf "$results"
export SALESAUTO_TEST_SERVER_LOGS=$results/server-logs
status=0
# The whole solution, the Functions app included, warnings as errors; the tests then run on that build.
if ! dotnet build SalesAuto.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "0 passed, 1 failed"   # the build failed: no test ran
  exit 1
fi
dotnet test SalesAuto.Core.Tests/SalesAuto.Core.Tests.csproj -c Release --no-build \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "$@" || status=$?

trx=$(find "$results" -name '*.trx' 2>/dev/null | head -n 1)
if [ -z "$trx" ]; then
  echo "0 passed, 1 failed"   # the build or the test host failed before any test ran
  exit "${status/#0/1}"
fi
counters=$(grep -o '<Counters [^>]*>' "$trx")
get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
passed=$(get passed); failed=$(get failed); total=$(get total); executed=$(get executed)
errors=$(get error); timeouts=$(get timeout); aborted=$(get aborted)
failed=$((failed + ${errors:-0} + ${timeouts:-0} + ${aborted:-0}))
skipped=$((total - executed))
if [ "$failed" -gt 0 ]; then
  # The failures again, last, so a log cut to its tail (as CI shows it) still names them.
  echo "Failed tests:"
  awk '
    function unescape(s) { gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s); gsub(/&apos;/, "\047", s); gsub(/&amp;/, "\\&", s); return s }
    /<UnitTestResult / && /outcome="(Failed|Error|Timeout|Aborted)"/ {
      name = $0; sub(/.* testName="/, "", name); sub(/".*/, "", name)
      printf "  %s\n", unescape(name); failing = 1; lines = 0; next
    }
    failing && /<Message>/ { inmessage = 1; sub(/.*<Message>/, "") }
    failing && inmessage {
      done = sub(/<\/Message>.*/, "")
      if (lines < 3) printf "      %s\n", unescape($0)
      lines++
      if (done) { inmessage = 0; failing = 0 }
    }
    /<\/UnitTestResult>/ { failing = 0; inmessage = 0 }
  ' "$trx"
fi
if [ "$failed" -gt 0 ] && [ -d "$SALESAUTO_TEST_SERVER_LOGS" ]; then
  echo "The logs of the servers the tests started: $SALESAUTO_TEST_SERVER_LOGS (one file per server, named after its test or fixture)"
fi
prefix=
[ -z "${SALESAUTO_STATE_DIR:-}" ] || prefix="SALESAUTO_STATE_DIR=$SALESAUTO_STATE_DIR "
echo "Postgres, Redis, Azurite and the Redis Cluster are still running (for the next run); \`${prefix}scripts/deps.sh down\` and \`${prefix}scripts/redis-cluster.sh down\` stop them."
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] || status=1
exit "$status"
