#!/usr/bin/env bash
# Installs (from Debian's packages, when absent) and starts a local PostgreSQL 15 cluster for the test leg,
# creates a `loupe` role and database, and prints the URL to use as TEST_PG_URL.
# Debian's initdb refuses root, so the cluster is run through pg_ctlcluster as the postgres user.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  log "creating cluster $version/main"
  pg_createcluster "$version" main >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  log "starting cluster $version/main on port $port"
  # After an unclean stop the server syncs its data directory before recovery; syncfs does that in one call
  # per file system instead of one per file, and pg_ctl is given time for it rather than its 60 s default.
  pg_ctlcluster "$version" main start -- -t 600 -o "-c recovery_init_sync_method=syncfs" >&2
fi
for _ in $(seq 1 50); do
  runuser -u postgres -- pg_isready -q -p "$port" && break
  sleep 0.2
done

psql_su() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_su -c "select 1 from pg_roles where rolname = 'loupe'")" != "1" ]; then
  psql_su -c "create role loupe login createdb password 'loupe'" >&2
fi
if [ "$(psql_su -c "select 1 from pg_database where datname = 'loupe'")" != "1" ]; then
  psql_su -c "create database loupe owner loupe" >&2
fi
# Every test creates its own database (loupe_test_*, loupe_unit_*); drop what earlier runs left behind so the
# cluster does not grow without bound between runs.
leftover=$(psql_su -c "select datname from pg_database where datname like 'loupe\_test\_%' or datname like 'loupe\_unit\_%'")
if [ -n "$leftover" ]; then
  log "dropping $(echo "$leftover" | wc -l) test databases left by earlier runs"
  for db in $leftover; do psql_su -c "drop database if exists \"$db\"" >&2; done
fi
echo "postgres://loupe:loupe@127.0.0.1:$port/loupe"
