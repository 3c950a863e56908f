# Sourced by scripts/screenshots.sh and scripts/page-speed.sh: `pages_server LOUPE DATA USER` gives USER (an
# owner, made if missing) a fresh password, starts `LOUPE serve` over DATA on a free loopback port, waits until it
# is ready, stops it when the calling script exits, and exports LOUPE_URL, LOUPE_USER and LOUPE_PASSWORD for the
# browser scripts.
pages_server() {
  local loupe="$1" data="$2" user="$3" port
  LOUPE_PASSWORD="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  if ! printf '%s\n' "$LOUPE_PASSWORD" | "$loupe" --data "$data" user add "$user" --group owner --name "Olivia Owner" >/dev/null 2>&1; then
    printf '%s\n' "$LOUPE_PASSWORD" | "$loupe" --data "$data" user password "$user" >/dev/null
  fi
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  LOUPE_LOG=error "$loupe" --data "$data" serve --listen "127.0.0.1:$port" &
  PAGES_SERVER=$!
  trap 'kill "$PAGES_SERVER" 2>/dev/null; wait "$PAGES_SERVER" 2>/dev/null || true' EXIT
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.2
  done
  export LOUPE_URL="http://127.0.0.1:$port" LOUPE_USER="$user" LOUPE_PASSWORD
}
