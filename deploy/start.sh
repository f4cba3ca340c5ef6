#!/usr/bin/env bash
# Three `backline run` processes on one PostgreSQL database behind HAProxy (deploy/haproxy.cfg).
#
#   TELEGRAM_BOT_TOKEN=... DATABASE_URL=postgresql://backline@db/backline \
#   PUBLIC_URL=https://bot.example.org/telegram deploy/start.sh
#
# PUBLIC_URL is where Telegram posts updates: HAProxy's port 8443 (directly, or through a TLS proxy in
# front of it). Stop everything with Ctrl-C (or SIGTERM to this script).
set -euo pipefail
cd "$(dirname "$0")/.."

: "${TELEGRAM_BOT_TOKEN:?set TELEGRAM_BOT_TOKEN}"
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database (SQLite serves one process only)}"
: "${PUBLIC_URL:?set PUBLIC_URL, the HTTPS address Telegram posts updates to}"
BACKLINE="${BACKLINE:-.venv/bin/backline}"
PORTS=(8081 8082 8083)

pids=()
stop() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop EXIT INT TERM

for port in "${PORTS[@]}"; do
  "$BACKLINE" run --webhook-url "$PUBLIC_URL" --port "$port" --listen 127.0.0.1 &
  pids+=($!)
done
haproxy -db -f deploy/haproxy.cfg &
pids+=($!)
wait -n
