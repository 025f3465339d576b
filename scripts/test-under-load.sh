#!/usr/bin/env bash
# Runs the whole suite N times in a row (default 5) while busy loops keep every core loaded, to
# show the tests are deterministic on a busy machine; stops at the first red run. Each run's
# last line ("N passed, N failed") is printed with its duration; the full logs are kept in
# .local/test-under-load/run-<i>.log.
#   scripts/test-under-load.sh [runs]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
runs=${1:-5}
logs=$repo/.local/test-under-load
mkdir -p "$logs"

loaders=()
stop_loaders() { for pid in "${loaders[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_loaders EXIT
for _ in $(seq "$(nproc)"); do
  (while :; do :; done) &
  loaders+=($!)
done
echo "[under-load] $(nproc) busy loops started; $runs runs of scripts/test.sh"

for i in $(seq "$runs"); do
  started=$SECONDS
  status=0
  scripts/test.sh >"$logs/run-$i.log" 2>&1 || status=$?
  echo "[under-load] run $i: $(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/run-$i.log" | tail -n 1) in $((SECONDS - started)) s (load average $(cut -d' ' -f1 /proc/loadavg))"
  if [ "$status" -ne 0 ]; then
    echo "[under-load] run $i failed: $logs/run-$i.log"
    exit 1
  fi
done
echo "[under-load] $runs of $runs runs green"
