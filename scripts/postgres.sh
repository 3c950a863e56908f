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
  pg_ctlcluster "$version" main start >&2
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
echo "postgres://loupe:loupe@127.0.0.1:$port/loupe"
