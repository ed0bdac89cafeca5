#!/usr/bin/env bash
# make loadtest: the --scale 100 demo on PostgreSQL, gunicorn with 4 workers on loopback,
# a mixed locust load, then a table of throughput and latency per endpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DB_SERVER="${LOADTEST_DB_SERVER:-postgresql+psycopg://postgres@127.0.0.1:5432}"
DB_NAME="${LOADTEST_DB:-market_loadtest}"
PORT="${LOADTEST_PORT:-8099}"
USERS="${LOADTEST_USERS:-60}"
SECONDS_RUN="${LOADTEST_SECONDS:-60}"
WORKERS="${LOADTEST_WORKERS:-4}"
export DATABASE_URL="$DB_SERVER/$DB_NAME"
export MARKET_INSTANCE_PATH="${LOADTEST_INSTANCE:-/tmp/market-loadtest}"
export MARKET_LOGIN_RATE_LIMIT="100000 per minute"   # many users share one loopback address
export FLASK_APP=wsgi
mkdir -p "$MARKET_INSTANCE_PATH"

if [ "${LOADTEST_REUSE:-0}" != "1" ]; then
    psql "postgresql://postgres@127.0.0.1:5432/postgres" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME"
    $BIN/flask db upgrade >/dev/null
    echo "loading the demo data at --scale 100 ..."
    $BIN/flask demo load --scale 100 | tail -1
fi
ROUND=$($BIN/python loadtest/prepare.py "${LOADTEST_VOTERS:-200}")
PROJECTS=$(psql "postgresql://postgres@127.0.0.1:5432/$DB_NAME" -Atc "select max(id) from projects")

$BIN/gunicorn --workers "$WORKERS" --bind "127.0.0.1:$PORT" --log-level warning --preload wsgi:app &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
# Warm each worker's search index before measuring.
for _ in $(seq 1 $((WORKERS * 3))); do curl -s -o /dev/null "http://127.0.0.1:$PORT/projects/?q=%E5%85%BB%E8%80%81"; done

OUT="$MARKET_INSTANCE_PATH/locust"
LOADTEST_ROUND="$ROUND" LOADTEST_PROJECTS="$PROJECTS" $BIN/locust -f loadtest/locustfile.py --headless \
    -u "$USERS" -r 20 -t "${SECONDS_RUN}s" --host "http://127.0.0.1:$PORT" --csv "$OUT" --only-summary \
    --loglevel WARNING >/dev/null 2>&1 || true
$BIN/python loadtest/report.py "${OUT}_stats.csv" "$SECONDS_RUN"
