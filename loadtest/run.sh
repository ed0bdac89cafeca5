#!/usr/bin/env bash
# make loadtest: the --scale 100 demo (LOADTEST_SCALE) on PostgreSQL, gunicorn with 4 workers on loopback,
# a mixed locust load at 10, 30 and 60 simulated users, a table of throughput and latency per
# endpoint for each, a summary of which load still meets the p95 goal, and each worker's memory.
# LOADTEST_DATA=city: the Shenzhen data set instead (flask demo load --city; LOADTEST_CITY_SCALE for
# a fraction of it); its load has no bidder (the city has no demo provider with sealed bids).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DB_SERVER="${LOADTEST_DB_SERVER:-postgresql+psycopg://postgres@127.0.0.1:5432}"
DB_NAME="${LOADTEST_DB:-market_loadtest}"
PORT="${LOADTEST_PORT:-8099}"
LEVELS="${LOADTEST_USERS:-10 30 60}"   # one run per number of simulated users
SECONDS_RUN="${LOADTEST_SECONDS:-60}"
WORKERS="${LOADTEST_WORKERS:-4}"
DATA="${LOADTEST_DATA:-scale100}"   # scale100 or city
SCALE="${LOADTEST_SCALE:-100}"      # with scale100: the demo's --scale (1 gives the plain demo)
export DATABASE_URL="$DB_SERVER/$DB_NAME"
export MARKET_INSTANCE_PATH="${LOADTEST_INSTANCE:-/tmp/market-loadtest}"
export MARKET_LOGIN_RATE_LIMIT="100000 per minute"   # many users share one loopback address
export FLASK_APP=wsgi
mkdir -p "$MARKET_INSTANCE_PATH"

if [ "${LOADTEST_REUSE:-0}" != "1" ]; then
    psql "postgresql://postgres@127.0.0.1:5432/postgres" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME"
    $BIN/flask db upgrade >/dev/null
    if [ "$DATA" = "city" ]; then
        echo "loading the Shenzhen data set (fraction ${LOADTEST_CITY_SCALE:-1}) ..."
        $BIN/flask demo load --city --city-scale "${LOADTEST_CITY_SCALE:-1}" | sed -n 1p
    else
        echo "loading the demo data at --scale $SCALE ..."
        $BIN/flask demo load --scale "$SCALE" | tail -1
    fi
    # As autovacuum would in time: planner statistics and the visibility map after a bulk load.
    psql "postgresql://postgres@127.0.0.1:5432/$DB_NAME" -qc "VACUUM ANALYZE"
fi
ROUND=$($BIN/python loadtest/prepare.py "${LOADTEST_VOTERS:-200}")
PROJECTS=$(psql "postgresql://postgres@127.0.0.1:5432/$DB_NAME" -Atc "select max(id) from projects")

$BIN/gunicorn --workers "$WORKERS" --bind "127.0.0.1:$PORT" --log-level warning --preload wsgi:app &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
# These requests make sure that every worker is up (and its connections open) before measuring.
for _ in $(seq 1 $((WORKERS * 8))); do curl -s -o /dev/null "http://127.0.0.1:$PORT/projects/?q=%E5%85%BB%E8%80%81"; done

USER_CLASSES="Visitor Voter Bidder"
[ "$DATA" = "city" ] && USER_CLASSES="Visitor Voter"
REPORTS=()
for USERS in $LEVELS; do
    OUT="$MARKET_INSTANCE_PATH/locust-$USERS"
    LOADTEST_ROUND="$ROUND" LOADTEST_PROJECTS="$PROJECTS" $BIN/locust -f loadtest/locustfile.py --headless \
        -u "$USERS" -r 10 --reset-stats -t "${SECONDS_RUN}s" --host "http://127.0.0.1:$PORT" --csv "$OUT" --only-summary \
        --loglevel WARNING $USER_CLASSES >/dev/null 2>&1 || true
    REPORTS+=("$USERS=${OUT}_stats.csv")
done
$BIN/python loadtest/report.py "$SECONDS_RUN" "${REPORTS[@]}"
echo "projects: $PROJECTS (highest id); memory per gunicorn worker after the runs (RSS, MB):"
ps -o pid=,rss= --ppid "$GUNICORN" | awk '{printf "  worker %s: %.0f MB\n", $1, $2 / 1024}'
