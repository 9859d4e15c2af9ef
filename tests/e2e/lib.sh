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
