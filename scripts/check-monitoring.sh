#!/usr/bin/env bash
# Checks the operators' kit in infra/monitoring with promtool (Prometheus' own checker):
#   promtool check rules  infra/monitoring/alerts.yml        the rules load
#   promtool test rules   infra/monitoring/alerts.test.yml   fed series fire exactly the expected alerts
#   promtool check config infra/monitoring/prometheus.example.yml   the example scrape config loads the rules
#   every query of infra/monitoring/dashboard.json parses as PromQL (Grafana's variables replaced)
# promtool comes from PATH when present; otherwise from Debian's prometheus package, of which only the
# promtool binary is unpacked into .local/tools (no server installed, no service started). Idempotent:
# the second run downloads nothing. The metric names and label values the files use are checked by
# SalesAuto.Core.Tests/Observability/MonitoringFilesTests.cs.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

tools=$repo/.local/tools
promtool=$(command -v promtool || true)
if [ -z "$promtool" ]; then
  promtool=$tools/promtool
fi

if [ ! -x "$promtool" ]; then
  echo "promtool: unpacking it from Debian's prometheus package into $tools" >&2
  work=$(mktemp -d)
  # apt-get download needs the package lists; fetch them once when they are missing or stale.
  if ! (cd "$work" && apt-get download -qq prometheus >/dev/null 2>&1); then
    apt-get update -qq
    (cd "$work" && apt-get download -qq prometheus >/dev/null)
  fi
  mkdir -p "$tools"
  dpkg-deb --fsys-tarfile "$work"/prometheus_*.deb | tar -x -C "$work" ./usr/bin/promtool
  install -m 0755 "$work/usr/bin/promtool" "$promtool"
  rm -rf "$work"
fi

cd infra/monitoring
"$promtool" check rules alerts.yml
"$promtool" test rules alerts.test.yml
"$promtool" check config prometheus.example.yml

# The dashboard's queries, as recording rules promtool can parse: one "expr" per line of the JSON,
# Grafana's variables replaced by values of the same kind. (No query contains a single quote.)
queries=$(mktemp)
trap 'rm -f "$queries"' EXIT
{
  echo "groups:"
  echo "  - name: dashboard-queries"
  echo "    rules:"
  n=0
  while IFS= read -r expr; do
    n=$((n + 1))
    echo "      - record: dashboard:query_$n"
    echo "        expr: '$expr'"
  done < <(sed -n 's/^ *"expr": "\(.*\)",\{0,1\}$/\1/p' dashboard.json |
    sed -e 's/\\"/"/g' -e 's/\$__rate_interval/5m/g' -e 's/\$__range/1h/g' -e 's/\$instance/.*/g')
} >"$queries"
count=$(grep -c 'record:' "$queries" || true)
if [ "$count" -lt 20 ]; then
  echo "dashboard.json: found only $count queries; has its layout changed?" >&2
  exit 1
fi
echo "Checking the $count queries of dashboard.json"
"$promtool" check rules "$queries" >/dev/null
echo "monitoring: rules, rule tests and example config OK"
