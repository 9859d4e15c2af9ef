#!/usr/bin/env bash
# test_devices.sh - end-to-end test of FromDevice/ToDevice, ARP pass-through,
# IPFilter and FlowFirewall between two network namespaces (veth pairs):
#   ns A (a0, 10.77.0.1) -- clickos in ns M (a1 = access, b1 = internet) -- ns B (b0, 10.77.0.2)
# A can ping B (the reply belongs to a flow started inside), B cannot ping A
# (unsolicited from outside), and UDP to port 9 is denied by the IPFilter.
# Needs root; skips (exit 0, with the reason) otherwise.
set -u
BIN=${CLICKOS:-target/bin/clickos}
if [ "$(id -u)" != 0 ]; then echo "skip test_devices.sh: needs root (network namespaces)"; exit 0; fi
if ! command -v ip >/dev/null; then echo "skip test_devices.sh: iproute2 not installed"; exit 0; fi
ID=$$
A="mf-ckt${ID}-a"; M="mf-ckt${ID}-m"; B="mf-ckt${ID}-b"
CPID=""
cleanup() {
  [ -n "$CPID" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
  for n in "$A" "$M" "$B"; do ip netns del "$n" 2>/dev/null; done
  rm -f "/tmp/ckt${ID}.click" "/tmp/ckt${ID}.out"
}
trap cleanup EXIT INT TERM
fail=0
check() { if "$@"; then echo "ok   $DESC"; else echo "FAIL $DESC"; fail=1; fi; }

ip netns add "$A" && ip netns add "$M" && ip netns add "$B" || { echo "FAIL cannot create namespaces"; exit 1; }
ip link add "ckt${ID}x" type veth peer name "ckt${ID}y"
ip link add "ckt${ID}z" type veth peer name "ckt${ID}w"
ip link set "ckt${ID}x" netns "$A" name a0
ip link set "ckt${ID}y" netns "$M" name a1
ip link set "ckt${ID}z" netns "$M" name b1
ip link set "ckt${ID}w" netns "$B" name b0
for p in "$A a0" "$M a1" "$M b1" "$B b0"; do set -- $p; ip -n "$1" link set "$2" up; ip -n "$1" link set lo up; done
ip -n "$A" addr add 10.77.0.1/24 dev a0
ip -n "$B" addr add 10.77.0.2/24 dev b0

cat > "/tmp/ckt${ID}.click" <<'CONF'
to_in  :: ToDevice(a1);
to_out :: ToDevice(b1);
fw :: FlowFirewall(TIMEOUT 60);
FromDevice(a1) -> ca :: Classifier(12/0806, 12/0800, -);
ca[0] -> to_out;
ca[1] -> CheckIPHeader(14) -> rules :: IPFilter(deny udp dst port 9, allow all) -> [0]fw[0] -> to_out;
ca[2] -> Discard;
FromDevice(b1) -> cb :: Classifier(12/0806, 12/0800, -);
cb[0] -> to_in;
cb[1] -> CheckIPHeader(14) -> [1]fw[1] -> to_in;
fw[2] -> refused :: Counter -> Discard;
cb[2] -> Discard;
CONF
ip netns exec "$M" "$BIN" "/tmp/ckt${ID}.click" -h fw.size -h refused.count -h rules.drops > "/tmp/ckt${ID}.out" 2>&1 &
CPID=$!
sleep 0.5

DESC="inside can ping outside through FromDevice/IPFilter/FlowFirewall/ToDevice"
check bash -c "for i in 1 2 3 4 5 6 7 8 9 10; do ip netns exec '$A' ping -c 1 -W 1 10.77.0.2 >/dev/null && exit 0; done; exit 1"
DESC="outside cannot ping inside (no flow)"
check bash -c "! ip netns exec '$B' ping -c 2 -i 0.2 -W 1 10.77.0.1 >/dev/null"
ip netns exec "$A" bash -c 'echo x > /dev/udp/10.77.0.2/9' 2>/dev/null || true
sleep 0.2
kill -INT "$CPID"; wait "$CPID"; rc=$?; CPID=""
DESC="clickos exits cleanly on SIGINT"
check [ "$rc" = 0 ]
out=$(cat "/tmp/ckt${ID}.out")
DESC="one ICMP flow remembered"
check grep -qx "1" <<<"$(sed -n '/^fw.size:/{n;p}' <<<"$out")"
DESC="unsolicited echo requests refused"
check test "$(sed -n '/^refused.count:/{n;p}' <<<"$out")" -ge 2
DESC="UDP to port 9 denied by IPFilter"
check test "$(sed -n '/^rules.drops:/{n;p}' <<<"$out")" -ge 1
[ $fail = 0 ] || { echo "clickos output:"; echo "$out"; }
echo "tests/test_devices.sh: $([ $fail = 0 ] && echo 0 || echo 1) failures"
exit $fail
