#!/usr/bin/env bash
# ./mayfly bench api [--quick]: REST create/get/delete of NF-instance records at 1, 8 and
# 32 clients against a fresh `./mayfly up` (controller + embedded PostgreSQL + local
# agent) in a temporary MAYFLY_HOME. Writes bench/results/api.{json,md}.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
QUICK="${1:-}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
HOME_DIR="$(mktemp -d /tmp/mayfly-bench-api.XXXXXX)"
HTTP_PORT="$(free_port)"; SB_PORT="$(free_port)"
NODE="benchapi"
MAYFLY_HOME="$HOME_DIR" MAYFLY_NODE_NAME="$NODE" \
  setsid ./mayfly up --port "$HTTP_PORT" --southbound-port "$SB_PORT" >"$HOME_DIR/up.log" 2>&1 </dev/null &
UP_PID=$!
cleanup() {
  kill -TERM "$UP_PID" 2>/dev/null || true
  for _ in $(seq 1 1200); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
  pkill -KILL -f "$HOME_DIR" 2>/dev/null || true
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT

echo "[bench api] starting controller + agent (MAYFLY_HOME=$HOME_DIR) ..." >&2
start=$SECONDS
until [[ -f "$HOME_DIR/admin-password" ]] && curl -fsS -u "admin:$(cat "$HOME_DIR/admin-password")" \
    "http://127.0.0.1:$HTTP_PORT/api/v1/edge-nodes" 2>/dev/null | jq -e --arg n "$NODE" \
    '.items[]? | select(.name == $n and .status == "READY")' >/dev/null 2>&1; do
  kill -0 "$UP_PID" 2>/dev/null || { cat "$HOME_DIR/up.log" >&2; exit 1; }
  ((SECONDS - start < 180)) || { echo "[bench api] agent not READY in 180 s" >&2; exit 1; }
  sleep 0.5
done
echo "[bench api] ready after $((SECONDS - start)) s; running load ..." >&2
java -cp bench/target/mayfly-bench.jar dev.mayfly.bench.ApiBench \
  "http://127.0.0.1:$HTTP_PORT/api/v1" admin "$(cat "$HOME_DIR/admin-password")" counter \
  "$ROOT/bench/results" $QUICK
echo "[bench api] wrote bench/results/api.json and api.md" >&2
