#!/usr/bin/env bash
# Installs what building and running Loupe needs on a fresh Debian machine with a Rust toolchain: a C compiler
# for the bundled SQLite, and DuckDB's shared library. What only the tests need (readers of the exports,
# rustfmt and clippy) is scripts/test-setup.sh's, so the first run does not wait for it.
set -euo pipefail
if ! command -v cc >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq build-essential curl
fi
"$(dirname "$0")/duckdb.sh"
