#!/usr/bin/env bash
# Installs what is missing and starts the real servers hookflow needs, as
# plain processes (no Docker engine here): the Temporal dev server with its UI
# and a project-local ClickHouse. Servers already listening are reused and
# never stopped by us; the ones we start are recorded under .run/ with the
# session that started them, so `down SESSION` stops only those.
#
#   scripts/stack.sh install            # Temporal CLI into .bin/, clickhouse-server via apt-get
#   scripts/stack.sh up   [SESSION]     # install + start what is not running, wait until ready
#   scripts/stack.sh down [SESSION]     # stop what SESSION started (default: everything we started)
#   scripts/stack.sh status
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${HOOKFLOW_RUN_DIR:-$ROOT/.run}
BIN=$ROOT/.bin
TEMPORAL_CLI_VERSION=v1.5.1
TEMPORAL_PORT=${HOOKFLOW_TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${HOOKFLOW_TEMPORAL_UI_PORT:-8233}
CH_PORT=${HOOKFLOW_CLICKHOUSE_PORT:-9000}
CH_HTTP_PORT=${HOOKFLOW_CLICKHOUSE_HTTP_PORT:-8123}
CH_INTERSERVER_PORT=${HOOKFLOW_CLICKHOUSE_INTERSERVER_PORT:-9009}

# Custom search attributes the ProcessEvent workflow sets; keep in step with
# workflows/search_attributes.go (a test checks this list).
SEARCH_ATTRIBUTES=(
  HookflowSource=Keyword
  HookflowEventType=Keyword
  HookflowScore=Double
  HookflowLane=Keyword
  HookflowActions=KeywordList
  HookflowStatus=Keyword
)

log() { printf '\033[1;34m[stack]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[stack]\033[0m %s\n' "$*" >&2; exit 1; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

temporal_bin() { echo "$BIN/temporal"; }

clickhouse_server_bin() {
  local b
  for b in "$(command -v clickhouse-server 2>/dev/null || true)" /usr/sbin/clickhouse-server /usr/bin/clickhouse-server; do
    [[ -n "$b" && -x "$b" ]] && { echo "$b"; return 0; }
  done
  if command -v clickhouse >/dev/null 2>&1; then echo "$(command -v clickhouse) server"; return 0; fi
  return 1
}

clickhouse_client() {
  if command -v clickhouse-client >/dev/null 2>&1; then clickhouse-client "$@"
  else clickhouse client "$@"; fi
}

install_temporal() {
  if [[ -x "$(temporal_bin)" ]]; then return 0; fi
  command -v go >/dev/null || die "Go is required (https://go.dev/dl/)"
  log "building the Temporal CLI $TEMPORAL_CLI_VERSION into .bin/ (about 4 minutes the first time)"
  mkdir -p "$BIN"
  GOBIN="$BIN" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
}

install_clickhouse() {
  if clickhouse_server_bin >/dev/null; then return 0; fi
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    if sudo -n true 2>/dev/null; then sudo="sudo -n"
    else die "clickhouse-server is missing: run 'sudo apt-get install -y clickhouse-server clickhouse-client' once, then retry"; fi
  fi
  log "installing clickhouse-server from Debian (apt-get)"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q clickhouse-server clickhouse-client >/dev/null
  clickhouse_server_bin >/dev/null || die "clickhouse-server still missing after apt-get"
}

install() { install_temporal; install_clickhouse; }

record() { # service pid session
  echo "$2" >"$RUN/$1.pid"
  echo "$3" >"$RUN/$1.session"
}

wait_for() { # description seconds command...
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || die "$what did not become ready in ${secs}s (logs in $RUN/logs)"
    sleep 0.5
  done
}

# The dev server's tuning, shared with the servers `make bench` and
# `make test-faults` start for themselves (internal/procs reads
# `scripts/stack.sh temporal-flags`). synchronous=off: commits never wait for
# an fsync (a killed server loses nothing; only an OS crash could), which
# measured +25-30 % workflows/s and a third off the start p99 here (make bench).
TEMPORAL_FLAGS=(
  --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=off
  --dynamic-config-value matching.numTaskqueueReadPartitions=1
  --dynamic-config-value matching.numTaskqueueWritePartitions=1
  --dynamic-config-value matching.useNewMatcher=true  # honours task priority (routing lanes)
)

start_temporal() {
  local session=$1
  if listening "$TEMPORAL_PORT"; then log "Temporal already listening on :$TEMPORAL_PORT, reusing it"; return 0; fi
  mkdir -p "$RUN/temporal" "$RUN/logs"
  # File-backed so make run keeps its history across restarts; `make test`
  # asks for an in-memory server (HOOKFLOW_TEMPORAL_EPHEMERAL=1) so thousands
  # of test workflows never crowd the UI of a later make run.
  local store=(--db-filename "$RUN/temporal/temporal.db")
  [[ ${HOOKFLOW_TEMPORAL_EPHEMERAL:-} == 1 ]] && store=()
  local args=(server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT"
    --namespace default --log-level warn "${store[@]}" "${TEMPORAL_FLAGS[@]}")
  local sa
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa"); done
  log "starting Temporal dev server on 127.0.0.1:$TEMPORAL_PORT (UI http://127.0.0.1:$TEMPORAL_UI_PORT)"
  setsid "$(temporal_bin)" "${args[@]}" >"$RUN/logs/temporal.log" 2>&1 </dev/null &
  record temporal $! "$session"
  wait_for "Temporal" 90 "$(temporal_bin)" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT"
}

start_clickhouse() {
  local session=$1
  if listening "$CH_PORT"; then log "ClickHouse already listening on :$CH_PORT, reusing it"; return 0; fi
  local dir="$RUN/clickhouse"
  mkdir -p "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas" "$RUN/logs"
  sed -e "s#@DIR@#$dir#g" -e "s#@TCP_PORT@#$CH_PORT#g" -e "s#@HTTP_PORT@#$CH_HTTP_PORT#g" \
    -e "s#@INTERSERVER_PORT@#$CH_INTERSERVER_PORT#g" \
    "$ROOT/scripts/clickhouse/config.xml.tmpl" >"$dir/config.xml"
  cp "$ROOT/scripts/clickhouse/users.xml" "$dir/users.xml"
  log "starting ClickHouse on 127.0.0.1:$CH_PORT (data in ${dir#"$ROOT"/})"
  # shellcheck disable=SC2046
  # exec: no shell lingers holding the caller's stdout (a `| tee` would hang).
  (cd "$dir" && exec setsid $(clickhouse_server_bin) --config-file="$dir/config.xml" \
    >"$RUN/logs/clickhouse.log" 2>&1 </dev/null) &
  wait_for "ClickHouse" 60 clickhouse_client --host 127.0.0.1 --port "$CH_PORT" --query "SELECT 1"
  # Record the process that serves (found by its unique config path), not a
  # wrapper: setsid may fork, and `down` must stop the server itself.
  local pid
  pid=$(pgrep -f -- "--config-file=$dir/config.xml" | head -n1)
  [[ -n $pid ]] || die "ClickHouse answers but its process was not found"
  record clickhouse "$pid" "$session"
}

up() {
  local session=${1:-default}
  mkdir -p "$RUN"
  install
  start_clickhouse "$session"
  start_temporal "$session"
  log "stack ready: Temporal 127.0.0.1:$TEMPORAL_PORT, UI http://127.0.0.1:$TEMPORAL_UI_PORT, ClickHouse 127.0.0.1:$CH_PORT"
}

stop_service() { # service
  local pidf="$RUN/$1.pid" pid
  [[ -f $pidf ]] || return 0
  pid=$(cat "$pidf")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $1 (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidf" "$RUN/$1.session"
}

down() {
  local session=${1:-}
  local svc
  for svc in temporal clickhouse; do
    [[ -f "$RUN/$svc.pid" ]] || continue
    if [[ -z $session || $(cat "$RUN/$svc.session" 2>/dev/null) == "$session" ]]; then stop_service "$svc"; fi
  done
}

status() {
  local p
  for p in "$TEMPORAL_PORT:Temporal" "$TEMPORAL_UI_PORT:Temporal UI" "$CH_PORT:ClickHouse"; do
    if listening "${p%%:*}"; then echo "up    ${p#*:} (:${p%%:*})"; else echo "down  ${p#*:} (:${p%%:*})"; fi
  done
}

cmd=${1:-}
shift || true
case $cmd in
  install) install ;;
  up) up "$@" ;;
  down) down "$@" ;;
  status) status ;;
  temporal-flags) printf '%s\n' "${TEMPORAL_FLAGS[@]}" ;;
  *) die "usage: $0 install | up [SESSION] | down [SESSION] | status | temporal-flags" ;;
esac
