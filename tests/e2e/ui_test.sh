#!/usr/bin/env bash
# Dashboard end-to-end test: by default a fresh `./mayfly up --lab` (the firewall lab: two edge
# nodes in network namespaces, UEs, a core server; root needed, one lab per machine), with a
# temporary MAYFLY_HOME and free ports; then the Playwright suite ui/e2e/run.mjs in Debian's
# Chromium (playwright-core, no downloaded browser). Screenshots of each page go to
# ui/target/screenshots/. UI_TEST_LAB=0 (or not root) runs against plain `./mayfly up` (one
# local agent; as root a temporary bridge and veth let the guests reach RUNNING).
# A lab start that fails (an agent not READY in time, `up` exiting early) is retried once with
# a fresh state directory. Everything it starts or creates is removed on exit.
# Last line: `ui_test: N passed, M failed`.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
summary_fail() { echo "ui_test: FAIL: $*" >&2; echo "ui_test: 0 passed, 1 failed"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

if [[ ! -x "$CHROMIUM" ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "ui_test: installing Debian's chromium" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null \
      || summary_fail "apt-get install chromium failed"
  else
    summary_fail "no Chromium at $CHROMIUM (apt-get install chromium, or set CHROMIUM)"
  fi
fi
command -v node >/dev/null || summary_fail "node is not installed"
if [[ ! -d ui/node_modules/playwright-core ]]; then
  (cd ui && npm ci --no-audit --no-fund --prefer-offline >/dev/null) || summary_fail "npm ci in ui/ failed"
fi

HOME_DIR="$(mktemp -d /tmp/mayfly-ui-test.XXXXXX)"
HTTP_PORT="$(free_port)"
SB_PORT="$(free_port)"
NODE="uitest$$"
NODE="${NODE:0:15}"
LOG="$HOME_DIR/up.log"
BRIDGE=""
ATTACH=""
UP_PID=""

cleanup() {
  declare -F stop_up >/dev/null && stop_up
  [[ -n "$ATTACH" ]] && ip link del "$ATTACH" 2>/dev/null
  [[ -n "$BRIDGE" ]] && ip link del "$BRIDGE" 2>/dev/null
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT

# Lab mode (default): needs root and no other lab (its namespace names are fixed). A lab run
# holding /run/lock/mayfly-lab.lock (another e2e test, a benchmark) is waited for, up to 20 min.
LAB=0
if [[ "${UI_TEST_LAB:-1}" == 1 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "ui_test: not root: running against plain ./mayfly up instead of the lab" >&2
  else
    [[ -f scripts/lab.sh ]] || summary_fail "scripts/lab.sh missing"
    # Wait (up to 20 min) until no run holds the lock and no lab exists: a run may still be
    # tearing its lab down after releasing the lock, or use scripts/lab.sh without the lock.
    mkdir -p /run/lock
    exec 8>/run/lock/mayfly-lab.lock
    waited=0
    lab_free() { ! ip netns list 2>/dev/null | grep -qE '^mf-(core|edge-a|edge-b)\b'; }
    until flock -n 8 && lab_free; do
      flock -u 8 2>/dev/null
      ((waited == 0)) && echo "ui_test: another lab (or lab run) is active: waiting (up to 20 min)" >&2
      ((waited >= 1200)) && summary_fail "a lab stayed active for 20 min (./mayfly lab down if it is stale)"
      sleep 5
      waited=$((waited + 5))
    done
    # released at once: `./mayfly up --lab` takes it itself (a child cannot share our lock)
    flock -u 8
    exec 8>&-
    LAB=1
  fi
fi
UP_ARGS=(--port "$HTTP_PORT" --southbound-port "$SB_PORT")
NODES="$NODE"
UE_IP=""
if ((LAB)); then
  UP_ARGS+=(--lab)
  NODE="edge-a"
  NODES="edge-a,edge-b"
  BRIDGE_FOR_NF="mfcore0"   # the core bridge inside each edge node's namespace
  ATTACH_NAME="ue1"         # UE 1's attachment on edge-a
  UE_IP="10.77.1.1"
  export MAYFLY_LAB_UES=2
elif [[ $(id -u) -eq 0 ]] && command -v ip >/dev/null; then
  b="mfui$$"
  b="${b:0:15}"
  if ip link add "$b" type bridge 2>/dev/null && ip link set "$b" up; then BRIDGE="$b"; fi
  # a subscriber attachment (one veth end; the firewall guest's access port is cross-connected to it)
  a="mfua$$"
  a="${a:0:15}"
  if ip link add "$a" type veth peer name "mfub$$" 2>/dev/null && ip link set "$a" up; then ATTACH="$a"; fi
fi
# the firewall guests' core ports join our bridge (mayfly.firewall.core-bridge)
[[ -n "$BRIDGE" ]] && export MAYFLY_FIREWALL_COREBRIDGE="$BRIDGE"
BRIDGE_FOR_NF="${BRIDGE_FOR_NF:-$BRIDGE}"
ATTACH_NAME="${ATTACH_NAME:-$ATTACH}"

# Under a loaded CI machine a heartbeat can be late by more than the default 10 s; the UI test
# is not about liveness detection, so nodes count as UNREACHABLE only after 30 s here.
export MAYFLY_NODES_HEARTBEATTIMEOUT="${MAYFLY_NODES_HEARTBEATTIMEOUT:-30s}"
rm -rf ui/target/screenshots ui/target/ui-test-logs
# upper bound only (a quiet 2-core machine: about 70 s for controller, lab and both agents);
# a machine shared with several builds can take minutes
READY_WAIT="${UI_TEST_READY_WAIT:-420}"

keep_logs() { # dir: the logs of a failed attempt or run, next to the screenshots
  mkdir -p "$ROOT/ui/target/ui-test-logs/$1"
  cp "$MAYFLY_HOME/up.log" "$ROOT/ui/target/ui-test-logs/$1/" 2>/dev/null
  cp -r "$MAYFLY_HOME/log" "$ROOT/ui/target/ui-test-logs/$1/" 2>/dev/null
  [[ -d "$MAYFLY_HOME/lab/log" ]] && cp -r "$MAYFLY_HOME/lab/log" "$ROOT/ui/target/ui-test-logs/$1/lab" 2>/dev/null
  echo "ui_test: logs in ui/target/ui-test-logs/$1/" >&2
}

stop_up() {
  if [[ -n "$UP_PID" ]]; then
    kill -TERM "$UP_PID" 2>/dev/null || true
    for _ in $(seq 1 600); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$UP_PID" 2>/dev/null || true
    wait "$UP_PID" 2>/dev/null || true
    UP_PID=""
  fi
  if ((LAB)) && ip netns list 2>/dev/null | grep -qE '^mf-(core|edge-a|edge-b)\b'; then
    MAYFLY_HOME="$MAYFLY_HOME" MAYFLY_LAB_DIR="$MAYFLY_HOME/lab" bash scripts/lab.sh down >/dev/null 2>&1 || true
  fi
}

# start_up N: a fresh `./mayfly up` with state in $HOME_DIR/tryN; 0 when every node is READY
start_up() {
  export MAYFLY_HOME="$HOME_DIR/try$1"
  export MAYFLY_LAB_DIR="$MAYFLY_HOME/lab"
  mkdir -p "$MAYFLY_HOME"
  LOG="$MAYFLY_HOME/up.log"
  MAYFLY_NODE_NAME="$NODE" setsid ./mayfly up "${UP_ARGS[@]}" >"$LOG" 2>&1 < /dev/null &
  UP_PID=$!
  start=$SECONDS
  while ((SECONDS - start < READY_WAIT)); do
    if ! kill -0 "$UP_PID" 2>/dev/null; then
      tail -20 "$LOG" >&2; tail -20 "$MAYFLY_HOME"/log/*.log "$MAYFLY_LAB_DIR"/log/agent-*.log >&2 2>/dev/null
      echo "ui_test: ./mayfly up exited early (attempt $1)" >&2
      return 1
    fi
    if [[ -f "$MAYFLY_HOME/admin-password" ]]; then
      local all=1 n body
      for n in ${NODES//,/ }; do
        body="$(curl -fsS -u "admin:$(cat "$MAYFLY_HOME/admin-password")" \
          "http://127.0.0.1:$HTTP_PORT/api/v1/edge-nodes/$n" 2>/dev/null || true)"
        [[ "$body" == *'"status":"READY"'* ]] || all=0
      done
      ((all)) && return 0
    fi
    sleep 0.5
  done
  tail -20 "$LOG" >&2
  echo "ui_test: edge node(s) $NODES not READY within $READY_WAIT s (attempt $1)" >&2
  return 1
}

attempt=1
until start_up "$attempt"; do
  keep_logs "start-attempt-$attempt"
  stop_up
  # until the stopped run's last process (a curl of its health wait) lets go of the lab lock
  ((LAB)) && { flock -w 60 /run/lock/mayfly-lab.lock true 2>/dev/null || true; }
  ((attempt < 2)) || summary_fail "./mayfly up$( ((LAB)) && echo " --lab") did not come up twice (logs in ui/target/ui-test-logs/)"
  attempt=$((attempt + 1))
  HTTP_PORT="$(free_port)"
  SB_PORT="$(free_port)"
  UP_ARGS=(--port "$HTTP_PORT" --southbound-port "$SB_PORT")
  ((LAB)) && UP_ARGS+=(--lab)
done
echo "ui_test: controller on :$HTTP_PORT, $( ((LAB)) && echo "lab, " )node(s) $NODES READY after $((SECONDS - start)) s (attempt $attempt)${BRIDGE_FOR_NF:+, bridge $BRIDGE_FOR_NF}" >&2

cd ui
MAYFLY_URL="http://127.0.0.1:$HTTP_PORT" MAYFLY_PASSWORD="$(cat "$MAYFLY_HOME/admin-password")" \
  MAYFLY_LAB="$LAB" MAYFLY_LAB_SH="$ROOT/scripts/lab.sh" MAYFLY_NODE="$NODE" MAYFLY_NODES="$NODES" MAYFLY_BRIDGE="$BRIDGE_FOR_NF" MAYFLY_ATTACHMENT="$ATTACH_NAME" MAYFLY_UE_IP="$UE_IP" CHROMIUM="$CHROMIUM" SCREENSHOTS="$ROOT/ui/target/screenshots" \
  timeout 480 node e2e/run.mjs
rc=$?
((rc != 0)) && keep_logs run
if ((rc == 124)); then
  echo "ui_test: FAIL: the Playwright suite did not finish within 480 s" >&2
  echo "ui_test: 0 passed, 1 failed"
fi
exit "$rc"
