#!/usr/bin/env bash
# The backend suite as two pytest processes side by side, one per database: each keeps a
# single live server for its whole run, and the two use both cores (one pytest process is held
# to one by the GIL, its live server running in a thread of it). The tests that need no database
# go with PostgreSQL. Their coverage is combined into one report held to the configured floor.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=.venv/bin/pytest
COVERAGE=.venv/bin/coverage
work=$(mktemp -d /tmp/llmforge-backend-tests.XXXXXX)
rm -f .coverage .coverage.*

declare -A pids
for database in sqlite postgres; do
  COVERAGE_FILE=".coverage.$database" "$PYTEST" --ignore=tests/e2e --database="$database" \
    --basetemp="$work/tmp-$database" -p no:cacheprovider \
    --cov --cov-report= --cov-fail-under=0 "$@" >"$work/$database.log" 2>&1 &
  pids[$database]=$!
done

status=0
for database in sqlite postgres; do
  wait "${pids[$database]}"
  code=$?
  echo "================ backend tests on $database (exit $code) ================"
  cat "$work/$database.log"
  # 5 is pytest's "no tests collected": a half that ran nothing is a failure too
  [ "$code" -eq 0 ] || status=1
done

echo "================ coverage of both halves ================"
"$COVERAGE" combine --keep .coverage.sqlite .coverage.postgres >/dev/null || status=1
"$COVERAGE" report || status=1
rm -rf "$work"
exit "$status"
