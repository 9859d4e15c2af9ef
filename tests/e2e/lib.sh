# tests/e2e/lib.sh - shared preamble of the lab end-to-end tests (sourced, not run).
# The caller sets NAME (e.g. firewall_test) and TOOLS (commands it needs), then sources
# this file. It provides ROOT, CONTROLLER_JAR, LAB, the PASSED/FAILED counters with
# say/ok/bad/finish, skips when not root, checks tools and build outputs, and takes the
# one-lab-per-machine lock (fd 9) so CI and a developer on the same host queue.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONTROLLER_JAR="$ROOT/controller/target/mayfly-controller.jar"
LAB="$ROOT/scripts/lab.sh"
PASSED=0
FAILED=0

say() { printf '[%s] %s\n' "$NAME" "$*" >&2; }
ok() { PASSED=$((PASSED + 1)); say "PASS: $*"; }
bad() { FAILED=$((FAILED + 1)); say "FAIL: $*"; }
finish() { echo "$NAME: $PASSED passed, $FAILED failed"; ((FAILED == 0)); }

if [[ $(id -u) -ne 0 ]]; then
  say "SKIPPED: needs root (network namespaces, sandboxed guests)"
  echo "$NAME: 0 passed, 0 failed (skipped: not root)"
  exit 0
fi
for tool in $TOOLS; do
  command -v "$tool" >/dev/null || { say "missing tool '$tool' (./mayfly test installs it)"; bad "prerequisites"; finish; exit 1; }
done
for f in "$CONTROLLER_JAR" "$ROOT/edge-agent/target/edge-agent-0.1.0-SNAPSHOT-all.jar" \
  "$ROOT/clickos-images/target/bin/clickos"; do
  [[ -f "$f" ]] || { say "not built: $f (mvn verify / ./mayfly build)"; bad "build"; finish; exit 1; }
done
mkdir -p /run/lock
exec 9>/run/lock/mayfly-lab.lock
if ! flock -n 9; then
  say "another lab run holds /run/lock/mayfly-lab.lock: waiting (up to 20 min)"
  flock -w 1200 9 || { bad "lab lock"; finish; exit 1; }
fi
if ip netns list | grep -qE '^mf-(core|edge-a|edge-b)\b'; then
  say "a lab is already running (./mayfly lab down)"; bad "no lab running"; finish; exit 1
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts a controller on free ports (a private copy of its jar under $WORK) and a lab with two
# edge nodes and two UEs against it; sets HP, SP, PW (prefix $1), API, SUB. $2 is appended to
# the "lab up" line. Exits the test (with finish) when either does not come up.
start_controller_and_lab() {
  HP="$(free_port)"
  SP="$(free_port)"
  PW="$1-$RANDOM$RANDOM"
  API="http://127.0.0.1:$HP/api/v1"
  export MAYFLY_API="$API" MAYFLY_ADMIN_PASSWORD="$PW"
  SUB=001010000000001

  mkdir -p "$WORK/log"
  say "starting controller (http :$HP, southbound :$SP)"
  cp "$CONTROLLER_JAR" "$WORK/controller.jar" # a rebuild of target/ must not pull it away under us
  java -jar "$WORK/controller.jar" --server.port="$HP" --mayfly.southbound.port="$SP" \
    --mayfly.southbound.extra-sans=10.77.254.1,10.77.254.5 --mayfly.admin.password="$PW" \
    >"$WORK/log/controller.log" 2>&1 9>&- &
  CPID=$!
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "http://127.0.0.1:$HP/actuator/health" 2>/dev/null && break
    kill -0 "$CPID" 2>/dev/null || break
    sleep 0.5
  done
  curl -fsS -o /dev/null "http://127.0.0.1:$HP/actuator/health" 2>/dev/null || {
    tail -30 "$WORK/log/controller.log" >&2; bad "controller healthy"; finish; exit 1; }
  ok "controller healthy"

  if ! bash "$LAB" up --ues 2 --southbound-port "$SP"; then
    bad "lab up"; finish; exit 1
  fi
  ok "lab up: two edge agents READY$2"
}

# Helpers of the lab tests (after start_controller_and_lab).
api() { # METHOD PATH [BODY] -> $BODY, $STATUS
  local out
  out="$(curl -sS -u "admin:$PW" -H 'Content-Type: application/json' -X "$1" -w '\n%{http_code}' \
    "$API$2" ${3:+-d "$3"})"
  STATUS="${out##*$'\n'}"
  BODY="${out%$'\n'*}"
}
field() { jq -r "$1" <<<"$BODY"; }
ue() { local n="$1"; shift; ip netns exec "mf-$n" "$@"; }
http_once() { [[ "$(ue "$1" curl -s -m 2 -o /dev/null -w '%{http_code}' http://10.77.0.1:8080/ 2>/dev/null)" == 200 ]]; }
http_ok() { local i; for i in 1 2 3; do http_once "$1" && return 0; done; return 1; }
wait_running() {
  local i
  for i in $(seq 1 300); do
    api GET "/subscribers/$1/policy"
    [[ "$(field .firewall.state)" == RUNNING && "$(field .firewall.appliedGeneration)" -ge "$2" ]] && return 0
    [[ "$(field .firewall.state)" == FAILED ]] && { say "firewall FAILED: $BODY"; return 1; }
    sleep 0.1
  done
  say "not RUNNING: $BODY"
  return 1
}
