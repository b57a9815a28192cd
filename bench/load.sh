#!/usr/bin/env bash
# Steady load on gunicorn with production settings against a freshly seeded SQLite copy.
#
#   bench/load.sh                      # 3 minutes, 8 connections, 2 wrk threads
#   BENCH_DURATION=30s bench/load.sh   # quicker look
#   REDIS_URL=redis://127.0.0.1:6379/5 bench/load.sh   # rate-limit counters in Redis
#
# Passes (exit 0) only with 0 socket errors, 0 non-2xx answers and every request wrk
# completed found in the app's JSON access log. Not part of the test suite: timings vary.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "wrk is not installed (Debian: apt-get install -y wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 2; }

PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || command -v python3 )}
GUNICORN="$(dirname "$PYTHON")/gunicorn"
DURATION=${BENCH_DURATION:-3m}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
THREADS=${BENCH_THREADS:-2}
PORT=${BENCH_PORT:-8765}
URL="http://127.0.0.1:${PORT}/erc/ecommerce/customers/customer123/orders/order123"

work=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -TERM "$server"; wait "$server" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Production settings: DEBUG off, manifest static files, JSON logs. Plain HTTP on loopback,
# as behind a TLS-terminating load balancer. The limit is high so the throttle runs (one
# cache round trip per request) without refusing the bench's single client.
export DJANGO_SETTINGS_MODULE=ercdash.settings
export DEBUG=0 ERCDASH_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1
export SECRET_KEY="bench-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export DATABASE_URL="sqlite:///${work}/bench.sqlite3"
export ERCDASH_RATE_LIMIT=${BENCH_RATE_LIMIT:-100000000/min}
unset LOG_FORMAT

"$PYTHON" manage.py collectstatic --noinput --verbosity 0
token=$("$PYTHON" bench/seed_bench.py)

"$GUNICORN" -c ercdash/gunicorn.conf.py --bind "127.0.0.1:${PORT}" 2>"${work}/app.log" &
server=$!
for _ in $(seq 60); do
    curl -fsS "http://127.0.0.1:${PORT}/readyz" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fsS "http://127.0.0.1:${PORT}/readyz" >/dev/null
curl -fsS -H "Authorization: Bearer ${token}" "$URL" >/dev/null

echo "== wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION} ${URL} (workers: $(grep -c '"Booting worker' "${work}/app.log"), redis: ${REDIS_URL:-none})"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency --timeout 10s \
    -H "Authorization: Bearer ${token}" -s bench/wrk_report.lua "$URL" | tee "${work}/wrk.txt"

kill -TERM "$server"
wait "$server" || true
server=""

"$PYTHON" - "${work}/wrk.txt" "${work}/app.log" "$CONNECTIONS" <<'PY'
import json, sys

wrk_out, app_log, connections = sys.argv[1], sys.argv[2], int(sys.argv[3])
report = next(json.loads(l) for l in open(wrk_out) if l.startswith('{"requests"'))
statuses: dict[int, int] = {}
errors = 0
for line in open(app_log):
    if not line.startswith("{"):
        continue
    entry = json.loads(line)
    if entry.get("logger") == "ercdash.access" and entry.get("path", "").endswith("/order123"):
        statuses[entry["status"]] = statuses.get(entry["status"], 0) + 1
    if entry.get("level") in {"ERROR", "CRITICAL"}:
        errors += 1
# Two warm-up requests (readyz is not access-logged; the order read is). wrk stops with up
# to one request in flight per connection: the server may have answered those too.
served = statuses.get(200, 0) - 1
lost = report["requests"] - served
socket_errors = sum(report[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
summary = {
    **report,
    "server_200": served,
    "server_other_statuses": {s: n for s, n in statuses.items() if s != 200},
    "server_error_log_lines": errors,
    "lost": max(lost, 0),
}
print(json.dumps(summary))
ok = (
    socket_errors == 0
    and report["non_2xx"] == 0
    and not summary["server_other_statuses"]
    and errors == 0
    and 0 <= served - report["requests"] <= connections
)
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
