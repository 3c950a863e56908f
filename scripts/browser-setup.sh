#!/usr/bin/env bash
# Installs what the browser stories need (dashboards/tests/browser): Debian's chromium and Node with npm from
# Debian's packages, and playwright-core from npm at the version in package-lock.json. Never a browser
# download: playwright drives Debian's chromium through `executablePath`.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
suite=dashboards/tests/browser
# installed again only when the lock file changed since the last install
if ! cmp -s "$suite/package-lock.json" "$suite/node_modules/.loupe-installed-lock" 2>/dev/null; then
  # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing anyway; this makes sure of it
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$suite" --no-audit --no-fund --loglevel=error
  cp "$suite/package-lock.json" "$suite/node_modules/.loupe-installed-lock"
fi
