#!/usr/bin/env bash
# Installs what building and running Loupe needs on a fresh Debian machine with a Rust toolchain:
# rustfmt and clippy for the checks, a C compiler for the bundled SQLite, and DuckDB's shared library.
set -euo pipefail
if ! command -v cc >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq build-essential curl
fi
if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi
"$(dirname "$0")/duckdb.sh"
