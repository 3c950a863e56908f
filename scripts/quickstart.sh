#!/usr/bin/env bash
# Sets up and runs Loupe's main job on the embedded default (SQLite in ./loupe-data): builds the `loupe`
# binary, creates the database, generates the small demo business through the commands (three years of one
# store, about 40,000 invoice lines), lands it in the lake (Delta tables under ./loupe-data/lake), and shows
# what was created, that inventory reconciles, that the lake equals the books, and a query over the lake; then
# gives the demo's owner a fresh password, prints it, and serves the web pages (Ctrl-C stops the server;
# LOUPE_QUICKSTART_SERVE=0 ends the script before it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The dev profile the tests use too (dependencies optimised, see Cargo.toml), so `scripts/test.sh` afterwards
# reuses this build instead of compiling the dependency graph a second time; release is for benchmarks.
cargo build --locked --workspace
loupe="${CARGO_TARGET_DIR:-target}/debug/loupe"
data="${LOUPE_DATA:-./loupe-data}"
"$loupe" --data "$data" init
if [ "$("$loupe" --data "$data" status --orgs)" != "0" ]; then
  echo "quickstart: $data already has books; leaving them as they are"
else
  "$loupe" --data "$data" demo --scale small --seed 1
fi
"$loupe" --data "$data" status
"$loupe" --data "$data" inventory reconcile
"$loupe" --data "$data" etl sync
"$loupe" --data "$data" etl status
"$loupe" --data "$data" reconcile
# the lake through DuckDB: the last six months of sales
"$loupe" --data "$data" sql "select month, count(*) as invoices, sum(total) as sales from invoice
  where status = 'finalized' group by month order by month desc limit 6"
# two reports over the lake with their default dates (the demo's books end today): AR aging as of today, and
# gross profit by family for this month
"$loupe" --data "$data" report run ar_aging | tail -n 5
"$loupe" --data "$data" report run gross_profit --param period=this_month --param by=family
# the web pages: the demo's owner signs in with a password made now (the demo's own staff have none)
password="demo-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
if ! printf '%s\n' "$password" | "$loupe" --data "$data" user add owner --group owner --name "Demo Owner" >/dev/null 2>&1; then
  printf '%s\n' "$password" | "$loupe" --data "$data" user password owner >/dev/null
fi
listen="${LOUPE_LISTEN:-127.0.0.1:8080}"
cat <<MSG

  Loupe's web pages:  http://$listen/
  Sign in as:         owner
  Password:           $password
MSG
if [ "${LOUPE_QUICKSTART_SERVE:-1}" != "0" ]; then
  echo "  (Ctrl-C stops the server)"
  exec "$loupe" --data "$data" serve --listen "$listen"
fi
