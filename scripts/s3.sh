#!/usr/bin/env bash
# Starts a local S3 (moto's server, installed from PyPI when absent) for the lake's S3 test leg, with a
# `loupe-test` bucket, and prints its endpoint to use as TEST_S3_ENDPOINT. Idempotent: a server already
# listening on the port is reused.
set -euo pipefail

log() { echo "s3.sh: $*" >&2; }
port="${LOUPE_S3_PORT:-5555}"
endpoint="http://127.0.0.1:$port"

up() { curl -s -o /dev/null "$endpoint/" ; }
if ! up; then
  if ! command -v moto_server >/dev/null 2>&1; then
    log "installing moto[server] from PyPI"
    python3 -m pip install --quiet "moto[server]" >&2 || python3 -m pip install --quiet --break-system-packages "moto[server]" >&2
    hash -r
  fi
  log "starting moto_server on $endpoint"
  nohup moto_server -H 127.0.0.1 -p "$port" >"${TMPDIR:-/tmp}/loupe-moto.log" 2>&1 &
  for _ in $(seq 1 100); do
    up && break
    sleep 0.1
  done
  up || { log "moto_server did not start; see ${TMPDIR:-/tmp}/loupe-moto.log"; exit 1; }
fi
# moto accepts an unsigned bucket creation; an existing bucket answers 409, which is fine
curl -s -o /dev/null -X PUT "$endpoint/loupe-test"
echo "$endpoint"
