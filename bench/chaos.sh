#!/usr/bin/env bash
# Benchmark 6, faults under load: the suite's chaos scenario (SalesAuto.Core.Tests/Resilience/
# ChaosScenario.cs) bigger and longer. A SalesAuto.Server child process on a private Postgres and a
# private Redis (AOF, fsync always), never the shared ones; a generator sends signed Standard
# Webhooks (enrolled events, orphans whose enrollment arrives late, redeliveries) and retries every
# 503, timeout and refused connection like a provider, while each round restarts Postgres (fast,
# then immediate), kills and restarts Redis, and SIGKILLs the Server during a cycle and starts it
# again. Afterwards it checks (the test's assertions) and reports: every 200 stored exactly once,
# what was given up accounted for, campaign stats equal to what was sent, nothing leased, the queue
# drained. Appends the report to docs/benchmarks.md. About 1.5 minutes with the defaults.
# Options (defaults): --rounds 5 --campaigns 20 --contacts 50 --events 250 (per campaign)
#   --concurrency 16 --give-up 60 (seconds a delivery is retried before the provider gives up)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command="bench/chaos.sh${*:+ $*}"

rounds=5 campaigns=20 contacts=50 events=250 concurrency=16 give_up=60
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2 ;;
    --campaigns) campaigns=$2 ;;
    --contacts) contacts=$2 ;;
    --events) events=$2 ;;
    --concurrency) concurrency=$2 ;;
    --give-up) give_up=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done

command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
[ -x /usr/lib/postgresql/15/bin/initdb ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null; }

report=$(mktemp)
trap 'rm -f "$report"' EXIT
load_start=$(cut -d' ' -f1 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
SALESAUTO_CHAOS_ROUNDS=$rounds SALESAUTO_CHAOS_CAMPAIGNS=$campaigns SALESAUTO_CHAOS_CONTACTS=$contacts \
SALESAUTO_CHAOS_EVENTS=$events SALESAUTO_CHAOS_CONCURRENCY=$concurrency SALESAUTO_CHAOS_GIVE_UP_SECONDS=$give_up \
SALESAUTO_CHAOS_REPORT=$report \
  dotnet test SalesAuto.Core.Tests -c Release --filter 'FullyQualifiedName~Resilience.ChaosTests' -nologo -v q \
  || { echo "[chaos] the checks failed; report so far:" >&2; cat "$report" >&2; exit 1; }
load_end=$(cut -d' ' -f1 /proc/loadavg)

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//' | awk '{print $1, $2}')
memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
postgres=$(/usr/lib/postgresql/15/bin/postgres --version | sed 's/^postgres (PostgreSQL) //')
redis=$(redis-server --version | sed 's/.* v=\([^ ]*\).*/\1/')
{
  echo
  echo "### Faults under load, $started"
  echo
  echo "- Command: \`$command\`"
  echo "- Machine: nproc $(nproc); $memory RAM; $cpu; .NET $(dotnet --list-runtimes | awk '/NETCore.App/ {v=$2} END {print v}'); PostgreSQL $postgres; Redis $redis; load average (1 min) $load_start at start, $load_end at end"
  echo "- Sizes: $campaigns campaigns x $events events over $contacts contacts each (half enrolled before the load, half once a third of the deliveries went out); every fifth event delivered twice; $concurrency deliveries at once; a delivery is retried for ${give_up}s; $rounds fault rounds"
  sed 's/^/- /' "$report"
  echo "- Checks (the test's assertions, which must pass before the script appends anything): every acknowledged event stored exactly once, none given up, stats equal to what was sent, nothing leased, the queue drained."
} | tee -a docs/benchmarks.md
