#!/usr/bin/env bash
# `make test-faults`: the fault-injection suite (e2e/faults). Each scenario
# starts its own Temporal dev server (file-backed) and ClickHouse on free
# ports with state in a temporary directory, and hookflow as a child process;
# the servers on :7233/:9000 are never touched. About 5 minutes.
# FAULTS_RUN=Regexp runs some scenarios only.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
scripts/stack.sh install
HOOKFLOW_FAULTS=1 exec go test -count=1 -v -timeout 20m -run "${FAULTS_RUN:-.}" ./e2e/faults/
