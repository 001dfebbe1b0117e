#!/usr/bin/env bash
# `make test`: start (or reuse) the real Temporal dev server and ClickHouse,
# run every test against them, run each fuzz target briefly, and stop only
# the servers this run started.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SESSION="test-$$"
trap 'scripts/stack.sh down "$SESSION"' EXIT
scripts/stack.sh up "$SESSION"

echo "== go vet"
go vet ./...
echo "== go test (unit + integration against the real servers)"
go test -count=1 -timeout 10m ./...
echo "== fuzz targets, ${FUZZTIME:-2s} each"
FUZZTIME=${FUZZTIME:-2s} scripts/fuzz.sh
echo "== all tests passed"
