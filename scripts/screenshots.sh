#!/usr/bin/env bash
# Regenerates docs/screenshots/ (shown in the README) from the quickstart's demo books: starts `loupe serve` on a
# free port over ./loupe-data (generating the small demo first if it is not there), signs in as a screenshots
# user in Debian's chromium, and writes the dashboard, a report with its drawer open, and the phone-width
# dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/browser-setup.sh
cargo build --locked -p api
loupe="${CARGO_TARGET_DIR:-target}/debug/loupe"
data="${LOUPE_DATA:-./loupe-data}"
"$loupe" --data "$data" init
if [ "$("$loupe" --data "$data" status --orgs)" = "0" ]; then
  "$loupe" --data "$data" demo --scale small --seed 1
fi
"$loupe" --data "$data" etl sync
password="shots-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
if ! printf '%s\n' "$password" | "$loupe" --data "$data" user add screenshots --group owner --name "Olivia Owner" 2>/dev/null; then
  printf '%s\n' "$password" | "$loupe" --data "$data" user password screenshots >/dev/null
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LOUPE_LOG=error "$loupe" --data "$data" serve --listen "127.0.0.1:$port" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.2
done
mkdir -p docs/screenshots
LOUPE_URL="http://127.0.0.1:$port" LOUPE_USER=screenshots LOUPE_PASSWORD="$password" LOUPE_SHOTS=docs/screenshots \
  node dashboards/tests/browser/screenshots.mjs
