#!/usr/bin/env bash
# Sets up and runs Loupe's main job on the embedded default (SQLite in ./loupe-data): builds the `loupe`
# binary, creates the database, records an opening day from the example journal, and shows what was created.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p api
loupe=target/release/loupe
[ -n "${CARGO_TARGET_DIR:-}" ] && loupe="$CARGO_TARGET_DIR/release/loupe"
data="${LOUPE_DATA:-./loupe-data}"
"$loupe" --data "$data" init
if [ "$("$loupe" --data "$data" status --orgs)" != "0" ]; then
  echo "quickstart: $data already has books; leaving them as they are"
else
  "$loupe" --data "$data" ops apply docs/examples/opening-day.jsonl >/dev/null
fi
"$loupe" --data "$data" status
