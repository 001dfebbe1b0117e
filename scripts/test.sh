#!/usr/bin/env bash
# `make test`: start (or reuse) the real Temporal dev server and ClickHouse,
# run every test against them, run each fuzz target briefly, and stop only
# the servers this run started.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SESSION="test-$$"
trap 'scripts/stack.sh down "$SESSION"' EXIT
HOOKFLOW_TEMPORAL_EPHEMERAL=1 scripts/stack.sh up "$SESSION"

echo "== go vet"
go vet ./...
echo "== go test (unit + integration against the real servers)"
go test -count=1 -timeout 10m ./...
# Count-based (Nx), not seconds: Go 1.26's fuzz coordinator can fail a
# duration-bounded run with a spurious "context deadline exceeded" on a busy
# machine (golang/go#75804, fixed in Go 1.27).
echo "== fuzz targets, ${FUZZTIME:-20000x} executions each"
FUZZTIME=${FUZZTIME:-20000x} scripts/fuzz.sh
echo "== all tests passed"
