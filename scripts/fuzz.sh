#!/usr/bin/env bash
# Runs every `func FuzzXxx` in the module for $FUZZTIME each (go test -fuzz
# takes one target at a time). FUZZTIME is best given as a count (200000x):
# a duration can end in a spurious "context deadline exceeded" on a busy
# machine with Go 1.26 (golang/go#75804).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-200000x}
log=$(mktemp -t hookflow-fuzz.XXXXXX)
trap 'rm -f "$log"' EXIT
grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(' . | sort | while read -r file; do
  pkg="./$(dirname "${file#./}")"
  grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | sed 's/^func //' | while read -r target; do
    echo "fuzz $pkg $target ($FUZZTIME)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1 || { cat "$log"; exit 1; }
  done
done
