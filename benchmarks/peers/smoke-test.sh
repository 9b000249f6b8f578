#!/usr/bin/env bash
# Starts a Fanwire dev gateway (embedded Kafka broker + demo feed), both peers against its broker,
# runs smoke-test.mjs (with the slow-consumer check) and stops everything it started.
# Needs the gateway built: (cd ../.. && ./mvnw -q -B install -DskipTests).
#   benchmarks/peers/smoke-test.sh [extra smoke-test.mjs options, e.g. --seconds 10]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
FANWIRE_PORT="${FANWIRE_PORT:-18080}"
ADMIN_PORT="${ADMIN_PORT:-19090}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
UWS_PORT="${UWS_PORT:-18081}"
WS_PORT="${WS_PORT:-18082}"
jar="$repo/gateway/target/fanwire.jar"
logs="$(mktemp -d /tmp/fanwire-peers-smoke.XXXXXX)"

[[ -f "$jar" ]] || { echo "missing $jar: run ./mvnw -q -B install -DskipTests first" >&2; exit 2; }
[[ -d "$here/node_modules" ]] || (cd "$here" && npm ci --no-audit --no-fund)

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# wait_for FILE PATTERN SECONDS PID
wait_for() {
  for _ in $(seq $(( $3 * 10 ))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || { echo "process $4 died; log $1:" >&2; tail -n 30 "$1" >&2; return 1; }
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2; tail -n 30 "$1" >&2; return 1
}

java -cp "$jar" io.fanwire.gateway.Main --dev --port "$FANWIRE_PORT" --admin-port "$ADMIN_PORT" \
  --dev-kafka-port "$KAFKA_PORT" --dev-feed-rate 100 >"$logs/fanwire.log" 2>&1 &
pids+=($!)
wait_for "$logs/fanwire.log" "Fanwire is up" 120 "${pids[-1]}"

cd "$here"
export KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT" TOPICS=quotes
PORT="$UWS_PORT" node uws-peer.js >"$logs/uws.out" 2>"$logs/uws.err" &
pids+=($!)
PORT="$WS_PORT" node ws-peer.js >"$logs/ws.out" 2>"$logs/ws.err" &
pids+=($!)
wait_for "$logs/uws.out" "^READY port=$UWS_PORT\$" 60 "${pids[1]}"
wait_for "$logs/ws.out" "^READY port=$WS_PORT\$" 60 "${pids[2]}"
cat "$logs/uws.err" "$logs/ws.err"

status=0
node smoke-test.mjs --slow-consumer "$KAFKA_BOOTSTRAP" "$@" "$FANWIRE_PORT" "$UWS_PORT" "$WS_PORT" || status=$?
echo "logs: $logs"
exit "$status"
