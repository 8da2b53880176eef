#!/usr/bin/env bash
# Reproduce docs/performance.md: a fresh 1M-lead database, a gunicorn on it, every benchmark. Stops only the
# server it started.
#
#   bench/reproduce.sh                 # from the repository root; needs PostgreSQL on 127.0.0.1:5432 (trust)
#   LEADS=100000 REQUESTS=40 bench/reproduce.sh    # smaller
set -euo pipefail
cd "$(dirname "$0")/.."

LEADS=${LEADS:-1000000}
SEED=${SEED:-1}
DB=${DB:-leadops_bench}
PORT=${PORT:-8765}
REQUESTS=${REQUESTS:-100}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$DB}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/5}
export DJANGO_SETTINGS_MODULE=leadops.settings.dev
export DEBUG=false   # measure without Django's debug machinery (query log, debug 500 pages)
PY=.venv/bin/python
LOG=${LOG:-/tmp/leadops-bench}
mkdir -p "$LOG"

createdb -h 127.0.0.1 -U postgres "$DB" 2>/dev/null || true
$PY manage.py migrate --no-input
$PY manage.py generate_dataset --leads "$LEADS" --seed "$SEED" --reset | tee "$LOG/generate.log"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

start() {  # start <wsgi app> <port>
  .venv/bin/gunicorn "$1" -b "127.0.0.1:$2" -w 2 --access-logfile /dev/null --error-logfile "$LOG/gunicorn-$2.log" &
  pids+=("$!")
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && return; sleep 0.2; done
  echo "gunicorn on $2 did not come up" >&2; exit 1
}

start leadops.wsgi:application "$PORT"
$PY -m bench all --base-url "http://127.0.0.1:$PORT" --requests "$REQUESTS" --concurrency 2 --quiet-wait 300 | tee "$LOG/all.log" \
  || echo "some benchmarks failed (see $LOG/all.log)"
