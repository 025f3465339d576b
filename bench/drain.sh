#!/usr/bin/env bash
# Benchmark 2, orphan drain: (a) the retry cycle's queue mechanics against BullMQ and
# redis-benchmark on one private Redis; (b) parked orphans drained into Postgres end to end,
# against direct ingestion. About 6 minutes.
# Options (defaults): --items 50000 --batch-sizes 50,500 --rounds 3 --bullmq-concurrency 10,50,100
#   --bullmq on --e2e-items 50000 --events-per-enrollment 5 --e2e-batch-size 50 --parts a,b
#   --experiments on (bare loops on the same items: the scripts before issue 15 (bench/drain-legacy),
#   the shipped claim + ack, and a claim that deletes (bench/drain-experiments))
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# BullMQ at the versions pinned in bench/bullmq/package-lock.json. `npm install` rather than
# `npm ci`: npm 11's ci refuses this lock file for lacking the other platforms' optional
# msgpackr-extract binaries; install still takes every version from the lock.
npm install --prefix bench/bullmq --no-audit --no-fund --loglevel=error >/dev/null
bench_run drain bench/drain.sh "$@"
