#!/usr/bin/env bash
# Runs the whole test suite: every crate's tests on SQLite, and the PostgreSQL leg against a local server
# this script installs and starts when it can (set TEST_PG_URL yourself to use another server, or
# LOUPE_SKIP_PG=1 to skip the leg).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TEST_PG_URL:-}" ] && [ -z "${LOUPE_SKIP_PG:-}" ]; then
  if [ "$(id -u)" = "0" ] || command -v pg_ctlcluster >/dev/null 2>&1; then
    TEST_PG_URL="$(scripts/postgres.sh)"
    export TEST_PG_URL
  else
    echo "test.sh: PostgreSQL leg skipped (not root and no local cluster tools); set TEST_PG_URL to run it" >&2
  fi
fi
[ -n "${TEST_PG_URL:-}" ] && echo "test.sh: PostgreSQL leg on ${TEST_PG_URL%%@*}@…" >&2
exec cargo test --workspace --locked "$@"
