#!/usr/bin/env bash
# Installs DuckDB's shared library (1.5.6, the engine the `duckdb` crate 1.10506 binds) into /usr/local/lib,
# where both the linker and the loader find it without any variable. The crate's own bundled C++ build takes
# more than 30 minutes on two cores; DuckDB publishes the same library in its Node.js bindings package, fetched
# here from the npm registry.
set -euo pipefail
version=1.5.6
package="@duckdb/node-bindings-linux-x64@${version}-r.1"
dest=/usr/local/lib
marker="$dest/.libduckdb-$version"
log() { echo "duckdb.sh: $*" >&2; }

if [ -f "$marker" ] && [ -f "$dest/libduckdb.so" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  log "installing npm from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq npm >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log "fetching libduckdb.so $version ($package)"
(cd "$tmp" && npm pack --silent "$package" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/libduckdb.so
install -m 0755 "$tmp/package/libduckdb.so" "$dest/libduckdb.so"
ldconfig
touch "$marker"
log "installed $dest/libduckdb.so"
