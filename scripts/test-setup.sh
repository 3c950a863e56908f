#!/usr/bin/env bash
# Installs what the tests and checks need beyond scripts/setup.sh: rustfmt and clippy, the real readers the
# export tests check their files with (poppler's pdftotext/pdfinfo/pdftoppm, openpyxl, LibreOffice headless), and
# schemathesis for the API.
set -euo pipefail
"$(dirname "$0")/setup.sh"
if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi
# poppler-utils: the PDF export's tests read the PDFs back with pdftotext, pdfinfo and pdftoppm
if ! command -v pdftotext >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq poppler-utils
fi
# LibreOffice headless (Calc without a GUI): the XLSX export tests recalculate the totals' formulas in it, and
# the CSV tests open a CSV in it
if ! command -v soffice >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui
fi
# openpyxl: the XLSX export tests read their files back with a real reader
if ! python3 -c 'import openpyxl' >/dev/null 2>&1; then
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3 python3-pip
  fi
  # Debian's own python3 refuses pip installs (PEP 668, externally managed) unless told otherwise
  python3 -m pip install --quiet openpyxl 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages openpyxl
fi
# aiosmtpd: scheduled reports are sent to a real SMTP server in the tests (each test starts its own, with a Maildir)
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  python3 -m pip install --quiet aiosmtpd 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages aiosmtpd
fi
# schemathesis: the API's tests fuzz the server against its own OpenAPI document (no 5xx, every answer as the
# document says); curl: the examples of docs/API.md are run as written
if ! command -v schemathesis >/dev/null 2>&1; then
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3 python3-pip
  fi
  python3 -m pip install --quiet schemathesis 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages schemathesis
fi
if ! command -v curl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq curl
fi
# chromium, node and playwright-core: the web pages' stories in a real browser (api/tests/it/browser.rs)
"$(dirname "$0")/browser-setup.sh"
