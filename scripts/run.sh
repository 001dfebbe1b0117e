#!/usr/bin/env bash
# `make run`: install what is missing, start the Temporal dev server (+UI) and
# ClickHouse, start `hookflow serve`, replay the sample webhooks through it
# and show where to look. Serves until Ctrl-C, then stops everything it started.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CONFIG=${1:-config/dev.yaml}
SESSION="run-$$"
HOOKFLOW_PID=""
RECEIVER_PID=""
LOG="$ROOT/.run/logs/hookflow.log"

cleanup() {
  trap - EXIT INT TERM
  if [[ -n $HOOKFLOW_PID ]] && kill -0 "$HOOKFLOW_PID" 2>/dev/null; then
    echo; echo "[run] stopping hookflow"
    kill -TERM "$HOOKFLOW_PID" 2>/dev/null || true
    wait "$HOOKFLOW_PID" 2>/dev/null || true
  fi
  if [[ -n $RECEIVER_PID ]] && kill -0 "$RECEIVER_PID" 2>/dev/null; then
    kill -TERM "$RECEIVER_PID" 2>/dev/null || true
    wait "$RECEIVER_PID" 2>/dev/null || true
  fi
  scripts/stack.sh down "$SESSION"
}
trap cleanup EXIT INT TERM

scripts/stack.sh up "$SESSION"
echo "[run] building bin/hookflow"
go build -o bin/hookflow ./cmd/hookflow
bin/hookflow check --config "$CONFIG"

addr=$(HOOKFLOW_CONFIG="$CONFIG" awk '/^http:/{h=1} h&&/addr:/{print $2; exit}' "$CONFIG")
addr=${HOOKFLOW_HTTP_ADDR:-${addr:-127.0.0.1:8080}}
if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then
  echo "[run] something already listens on $addr: stop it (another make run?) or set HOOKFLOW_HTTP_ADDR" >&2
  exit 1
fi

mkdir -p "$(dirname "$LOG")"
# The demo receiver of the crm-retention destination: prints each signed
# trigger it verifies (README "Destinations").
bin/hookflow receiver --config "$CONFIG" --destination crm-retention &
RECEIVER_PID=$!
echo "[run] starting hookflow serve on http://$addr (log: ${LOG#"$ROOT"/})"
bin/hookflow serve --config "$CONFIG" >"$LOG" 2>&1 &
HOOKFLOW_PID=$!

if ! bin/hookflow demo --config "$CONFIG"; then
  echo "[run] the demo failed; last lines of the hookflow log:" >&2
  tail -n 30 "$LOG" >&2
  exit 1
fi
cat <<EOF2

hookflow is serving on http://$addr — sign and send your own webhooks (README, "Sign a request by hand").
Log: ${LOG#"$ROOT"/}. Press Ctrl-C to stop hookflow and the servers this run started.
EOF2
wait "$HOOKFLOW_PID"
