#!/usr/bin/env bash
# Runs every `func FuzzXxx` in the module for $FUZZTIME each (go test -fuzz
# takes one target at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-3s}
grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(' . | sort | while read -r file; do
  pkg="./$(dirname "${file#./}")"
  grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | sed 's/^func //' | while read -r target; do
    echo "fuzz $pkg $target ($FUZZTIME)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >/tmp/hookflow-fuzz.log 2>&1 || { cat /tmp/hookflow-fuzz.log; exit 1; }
  done
done
