#!/usr/bin/env bash
# Benchmark 1, ingest: signed Lemlist single events and HubSpot batches against SalesAuto.Server,
# beside a bare one-INSERT endpoint (the ceiling); hot campaign versus many. About 3 minutes.
# Options (defaults): --duration 20s --rounds 2 --warmup 3s --server-warmup 15s (once per scenario, before the rounds) --concurrency 32 --batch-concurrency 8
#   --batch-size 100 --campaigns 1000 --enrollments 100000 --hot-enrollments 1000
#   --max-auto-prepare N (the server's Postgres:MaxAutoPrepare) --compare-max-auto-prepare N (an A/B second server)
#   --compare-server PATH (another build's SalesAuto.Server.dll, say main's: an A/B of two builds, on a schema it migrates itself)
#   --only ceiling,lemlist-many,lemlist-hot,ceiling-batch,hubspot-many,hubspot-hot (+ lemlist-many-ap,hubspot-many-ap;
#          lemlist-many-base,lemlist-hot-base,hubspot-many-base)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_run ingest bench/ingest.sh "$@"
