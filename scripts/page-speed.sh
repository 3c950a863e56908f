#!/usr/bin/env bash
# The pages' speed for docs/BENCHMARKS.md: `scripts/page-speed.sh DATA` (books with a lake, e.g. the medium demo
# from `loupe demo --scale medium`) builds the release binary, serves DATA on a free loopback port and runs
# dashboards/tests/browser/speed.mjs in Debian's chromium: the dashboard ready, each core report's page beside
# the API, a drawer opening (medians of LOUPE_ROUNDS, 10), and the dashboard's weight on a first visit.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:?the data directory to measure (books with a lake)}"
. scripts/pages-server.sh
scripts/browser-setup.sh
cargo build --locked --release -p api
loupe="${CARGO_TARGET_DIR:-target}/release/loupe"
"$loupe" --data "$data" etl sync
pages_server "$loupe" "$data" page-speed
node dashboards/tests/browser/speed.mjs
