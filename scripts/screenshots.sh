#!/usr/bin/env bash
# Regenerates docs/screenshots/ (shown in the README) from the quickstart's demo books: starts `loupe serve` on a
# free port over ./loupe-data (generating the small demo first if it is not there), signs in as a screenshots
# user in Debian's chromium, and writes the dashboard, a report with its drawer open, and the phone-width
# dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pages-server.sh
scripts/browser-setup.sh
cargo build --locked -p api
loupe="${CARGO_TARGET_DIR:-target}/debug/loupe"
data="${LOUPE_DATA:-./loupe-data}"
"$loupe" --data "$data" init
if [ "$("$loupe" --data "$data" status --orgs)" = "0" ]; then
  "$loupe" --data "$data" demo --scale small --seed 1
fi
"$loupe" --data "$data" etl sync
pages_server "$loupe" "$data" screenshots
mkdir -p docs/screenshots
LOUPE_SHOTS=docs/screenshots node dashboards/tests/browser/screenshots.mjs
