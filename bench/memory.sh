#!/usr/bin/env bash
# Benchmark 5, memory: SalesAuto.Server's RSS over a steady ingest-and-drain load. The documented
# figure is a full 10-minute run (the default); shorten it for a look with --duration 2m.
# Options (defaults): --duration 10m --warmup 2m --sample 5s --rate 200 --concurrency 16 --enrollments 10000
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_run memory bench/memory.sh "$@"
