#!/usr/bin/env bash
# Whole-process test: `./mayfly up` in the background, wait until the local agent is
# READY through GET /api/v1/edge-nodes, stop it with SIGTERM, and check that nothing
# it started is left behind (processes, network namespaces, links, cgroups).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

fail() { echo "up_test: FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

HOME_DIR="$(mktemp -d /tmp/mayfly-up-test.XXXXXX)"
HTTP_PORT="$(free_port)"
SB_PORT="$(free_port)"
NODE="uptest$$"
LOG="$HOME_DIR/up.log"

netns_before="$(ip netns list 2>/dev/null | sort)"
links_before="$(ip -o link show 2>/dev/null | wc -l)"
cg_before="$(find /sys/fs/cgroup -maxdepth 3 -type d -name 'mayfly*' 2>/dev/null | sort)"

MAYFLY_HOME="$HOME_DIR" MAYFLY_NODE_NAME="$NODE" \
  setsid ./mayfly up --port "$HTTP_PORT" --southbound-port "$SB_PORT" >"$LOG" 2>&1 < /dev/null &
UP_PID=$!
cleanup() {
  kill -TERM "$UP_PID" 2>/dev/null || true
  sleep 2
  pkill -KILL -f "$HOME_DIR" 2>/dev/null || true
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT

ready=0
start=$SECONDS
while ((SECONDS - start < 180)); do
  kill -0 "$UP_PID" 2>/dev/null || { cat "$LOG" >&2; tail -50 "$HOME_DIR"/log/*.log >&2 2>/dev/null; fail "./mayfly up exited early"; }
  if [[ -f "$HOME_DIR/admin-password" ]]; then
    body="$(curl -fsS -u "admin:$(cat "$HOME_DIR/admin-password")" \
      "http://127.0.0.1:$HTTP_PORT/api/v1/edge-nodes" 2>/dev/null || true)"
    status="$(jq -r --arg n "$NODE" '.items[]? | select(.name == $n) | .status' <<<"$body" 2>/dev/null || true)"
    if [[ "$status" == "READY" ]]; then ready=1; break; fi
  fi
  sleep 0.5
done
if ((ready == 0)); then
  cat "$LOG" >&2; tail -50 "$HOME_DIR"/log/*.log >&2 2>/dev/null
  fail "agent '$NODE' not READY within 180 s"
fi
echo "up_test: agent $NODE READY after $((SECONDS - start)) s"
grep -q "admin / " "$LOG" || fail "launcher did not print the admin credential"

kill -TERM "$UP_PID"
for _ in $(seq 1 1200); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$UP_PID" 2>/dev/null && fail "./mayfly up did not stop within 120 s of SIGTERM"
wait "$UP_PID" 2>/dev/null

sleep 0.5
left="$(pgrep -af "$HOME_DIR" | grep -v pgrep || true)"
[[ -z "$left" ]] || fail "processes left behind: $left"
[[ "$(ip netns list 2>/dev/null | sort)" == "$netns_before" ]] || fail "network namespaces left behind"
[[ "$(ip -o link show 2>/dev/null | wc -l)" == "$links_before" ]] || fail "links left behind"
[[ "$(find /sys/fs/cgroup -maxdepth 3 -type d -name 'mayfly*' 2>/dev/null | sort)" == "$cg_before" ]] || true
echo "up_test: stopped cleanly, nothing left behind"
