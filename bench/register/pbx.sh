#!/usr/bin/env bash
# Runs the REGISTER benchmark (run.sh) against our PBX: provisions the 10,000 bench users in a
# fresh data directory, starts `bin/pbx start` on loopback, runs the rate steps, stops it.
# Usage: bench/register/pbx.sh            (knobs as in run.sh: RATES, DURATION, INSTANCES, …)
#        PBX_PORT=15070 API_PORT=18080    loopback ports for the PBX under test
# Prints run.sh's JSON on stdout.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PBX_PORT="${PBX_PORT:-15070}"
API_PORT="${API_PORT:-18080}"
USERS="${USERS:-10000}"
FIRST_USER="${FIRST_USER:-100000}"
WORK="$(mktemp -d /tmp/bench-register-pbx.XXXXXX)"
PBX_PID=""
cleanup() {
  [[ -n "$PBX_PID" ]] && kill "$PBX_PID" 2>/dev/null && wait "$PBX_PID" 2>/dev/null || true
  if [[ -n "${KEEP:-}" ]]; then echo "[pbx.sh] work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

node "$HERE/make-users.mjs" --out "$WORK" --count "$USERS" --first "$FIRST_USER" --domain 127.0.0.1 2>/dev/null
node --import tsx "$HERE/provision-pbx.ts" "$WORK/users.json" "$WORK/data"
cat > "$WORK/pbx.yaml" <<YAML
data_dir: $WORK/data
sip:
  udp: { host: 127.0.0.1, port: $PBX_PORT }
  tcp: { host: 127.0.0.1, port: $PBX_PORT }
api: { host: 127.0.0.1, port: $API_PORT }
YAML
node ${PBX_NODE_FLAGS:-} --import tsx "$ROOT/src/main.ts" start --config "$WORK/pbx.yaml" >"$WORK/pbx.log" 2>&1 &
PBX_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$API_PORT/health" >/dev/null 2>&1 && break
  kill -0 "$PBX_PID" 2>/dev/null || { cat "$WORK/pbx.log" >&2; exit 1; }
  sleep 0.2
done
# bin/pbx execs node, so $PBX_PID is the server's own process.
TARGET_PID="$PBX_PID" USERS="$USERS" FIRST_USER="$FIRST_USER" "$HERE/run.sh" pbx "127.0.0.1:$PBX_PORT"
echo "[pbx.sh] server RSS after the run: $(ps -o rss= -p "$PBX_PID" | awk '{printf "%d MiB", $1/1024}')" >&2
