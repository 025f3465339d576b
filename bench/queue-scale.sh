#!/usr/bin/env bash
# Benchmark 3, queue cost at scale: enqueue, claim and ack latency with 1,000 and 1,000,000 items
# queued (bulk-loaded), on a private Redis. About 2 minutes.
# Options (defaults): --sizes 1000,1000000 --samples 2000 --batch-samples 200
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_run queue-scale bench/queue-scale.sh "$@"
