#!/usr/bin/env bash
# Benchmark 4, dead letters at scale: list (first page, deep cursor, filters) and stats over HTTP
# with 1,000,000 dead letters. About 3 minutes, most of it the bulk insert.
# Options (defaults): --rows 1000000 --requests 200 --settle 0s (a wait after the bulk insert)
# --compare-index true: every query with and without migration 0007's index, alternating blocks
# --compare-gc true: every query against the shipped server (Server GC) and one with DOTNET_gcServer=0, alternating blocks
#   (--compare-gc workstation-first: the same, the workstation-GC server in the first block)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_run dlq bench/dlq.sh "$@"
