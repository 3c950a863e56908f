#!/usr/bin/env bash
# Runs the whole test suite: every crate's tests on SQLite, the PostgreSQL leg against a local server this
# script installs and starts when it can (set TEST_PG_URL yourself to use another server, or LOUPE_SKIP_PG=1
# to skip the leg), and the S3 leg of the lake against a local moto server (TEST_S3_ENDPOINT, LOUPE_SKIP_S3).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-setup.sh
local_pg=
if [ -z "${TEST_PG_URL:-}" ] && [ -z "${LOUPE_SKIP_PG:-}" ]; then
  if [ "$(id -u)" = "0" ] || command -v pg_ctlcluster >/dev/null 2>&1; then
    TEST_PG_URL="$(scripts/postgres.sh)"
    export TEST_PG_URL
    local_pg=1
  else
    echo "test.sh: PostgreSQL leg skipped (not root and no local cluster tools); set TEST_PG_URL to run it" >&2
  fi
fi
if [ -z "${TEST_S3_ENDPOINT:-}" ] && [ -z "${LOUPE_SKIP_S3:-}" ]; then
  TEST_S3_ENDPOINT="$(scripts/s3.sh)"
  export TEST_S3_ENDPOINT
fi
[ -n "${TEST_S3_ENDPOINT:-}" ] && echo "test.sh: S3 leg on $TEST_S3_ENDPOINT" >&2
[ -n "${TEST_PG_URL:-}" ] && echo "test.sh: PostgreSQL leg on ${TEST_PG_URL%%@*}@…" >&2
status=0
cargo test --workspace --locked "$@" || status=$?
# The tests' databases are dropped again afterwards (postgres.sh drops leftovers), so the cluster stays small.
[ -n "$local_pg" ] && scripts/postgres.sh >/dev/null
exit $status
