#!/usr/bin/env bash
# Every benchmark once, with its defaults, in one go (about 25 minutes, 10 of them the memory run).
# Each appends its table to docs/benchmarks.md.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench/ingest.sh
bench/drain.sh
bench/queue-scale.sh
bench/dlq.sh
bench/memory.sh
