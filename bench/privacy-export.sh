#!/usr/bin/env bash
# Benchmark 6, privacy export memory: SalesAuto.Server's RSS while POST /api/privacy/export streams
# one person's events, for several event counts; the growth must not follow the document's size.
# Options (defaults): --events 10000,100000
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_run privacy-export bench/privacy-export.sh "$@"
