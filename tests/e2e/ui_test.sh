#!/usr/bin/env bash
# Dashboard end-to-end test: a fresh `./mayfly up` (or `--lab` with UI_TEST_LAB=1;
# temporary MAYFLY_HOME, free ports),
# then the Playwright suite ui/e2e/run.mjs in Debian's Chromium (playwright-core, no
# downloaded browser). Screenshots of each page go to ui/target/screenshots/.
# As root, a temporary bridge and veth let an NF guest and a subscriber's firewall guest
# reach RUNNING. Everything it starts or
# creates is removed on exit. Last line: `ui_test: N passed, M failed`.
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
  if [[ -n "$UP_PID" ]]; then
    kill -TERM "$UP_PID" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$UP_PID" 2>/dev/null || true
    wait "$UP_PID" 2>/dev/null || true
  fi
  [[ -n "$ATTACH" ]] && ip link del "$ATTACH" 2>/dev/null
  [[ -n "$BRIDGE" ]] && ip link del "$BRIDGE" 2>/dev/null
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT

# UI_TEST_LAB=1: the lab (two edge nodes in network namespaces, UEs, a core server;
# needs root and no other lab running, its namespace names are fixed). Default: plain
# `./mayfly up` (one local agent), which is what `./mayfly test` runs.
LAB=0
if [[ "${UI_TEST_LAB:-0}" == 1 ]]; then
  [[ $(id -u) -eq 0 && -f scripts/lab.sh ]] || summary_fail "UI_TEST_LAB=1 needs root and scripts/lab.sh"
  ip netns list 2>/dev/null | grep -qE '^mf-' && summary_fail "UI_TEST_LAB=1: another lab is running (./mayfly lab down)"
  LAB=1
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
  export MAYFLY_LAB_UES=2 MAYFLY_LAB_DIR="$HOME_DIR/lab"
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

MAYFLY_HOME="$HOME_DIR" MAYFLY_NODE_NAME="$NODE" \
  setsid ./mayfly up "${UP_ARGS[@]}" >"$LOG" 2>&1 < /dev/null &
UP_PID=$!

ready=0
start=$SECONDS
while ((SECONDS - start < 180)); do
  if ! kill -0 "$UP_PID" 2>/dev/null; then
    cat "$LOG" >&2; tail -30 "$HOME_DIR"/log/*.log >&2 2>/dev/null
    summary_fail "./mayfly up exited early"
  fi
  if [[ -f "$HOME_DIR/admin-password" ]]; then
    all=1
    for n in ${NODES//,/ }; do
      body="$(curl -fsS -u "admin:$(cat "$HOME_DIR/admin-password")" \
        "http://127.0.0.1:$HTTP_PORT/api/v1/edge-nodes/$n" 2>/dev/null || true)"
      [[ "$body" == *'"status":"READY"'* ]] || all=0
    done
    if ((all)); then ready=1; break; fi
  fi
  sleep 0.5
done
((ready)) || { cat "$LOG" >&2; summary_fail "edge node(s) $NODES not READY within 180 s"; }
echo "ui_test: controller on :$HTTP_PORT, $( ((LAB)) && echo "lab, " )node(s) $NODES READY after $((SECONDS - start)) s${BRIDGE_FOR_NF:+, bridge $BRIDGE_FOR_NF}" >&2

rm -rf ui/target/screenshots ui/target/ui-test-logs
cd ui
MAYFLY_URL="http://127.0.0.1:$HTTP_PORT" MAYFLY_PASSWORD="$(cat "$HOME_DIR/admin-password")" \
  MAYFLY_NODE="$NODE" MAYFLY_NODES="$NODES" MAYFLY_BRIDGE="$BRIDGE_FOR_NF" MAYFLY_ATTACHMENT="$ATTACH_NAME" MAYFLY_UE_IP="$UE_IP" CHROMIUM="$CHROMIUM" SCREENSHOTS="$ROOT/ui/target/screenshots" \
  timeout 300 node e2e/run.mjs
rc=$?
if ((rc != 0)); then
  # keep the logs of a failed run next to the screenshots
  mkdir -p "$ROOT/ui/target/ui-test-logs"
  cp -r "$HOME_DIR/log" "$ROOT/ui/target/ui-test-logs/" 2>/dev/null
  [[ -d "$HOME_DIR/lab/log" ]] && cp -r "$HOME_DIR/lab/log" "$ROOT/ui/target/ui-test-logs/lab" 2>/dev/null
  echo "ui_test: logs in ui/target/ui-test-logs/" >&2
fi
if ((rc == 124)); then
  echo "ui_test: FAIL: the Playwright suite did not finish within 300 s" >&2
  echo "ui_test: 0 passed, 1 failed"
fi
exit "$rc"
