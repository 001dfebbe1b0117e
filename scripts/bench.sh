#!/usr/bin/env bash
# `make bench`: install what is missing (Temporal CLI, clickhouse-server),
# build hookflow, and run `hookflow bench`, which starts its OWN Temporal dev
# server and ClickHouse on free ports (state under .run/bench-*, removed at
# the end; the servers on :7233/:9000 are never touched), runs `hookflow
# serve` as a child process, measures, and writes results/bench.{json,txt,png}
# and results/gobench.txt. 7-10 minutes; BENCH_QUICK=1 for a ~1 minute
# smoke run. Extra flags go through BENCH_ARGS (e.g. BENCH_ARGS=-profile).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scripts/stack.sh install
go build -o bin/hookflow ./cmd/hookflow
args=()
[[ ${BENCH_QUICK:-} == 1 ]] && args+=(-quick)
# shellcheck disable=SC2206
args+=(${BENCH_ARGS:-})
exec bin/hookflow bench "${args[@]}"
