#!/usr/bin/env bash
# firewall_test.sh - personal firewalls end to end (issue 5): controller + the lab
# (scripts/lab.sh: core server, two edge nodes with their agents, two UEs), a subscriber
# with a policy on edge-a, and real tools (curl, nc, ping, iperf3) on the UE.
# Needs root; skips with a message otherwise. Cleans up everything, also on failure.
# Last line: "firewall_test: N passed, M failed".
set -uo pipefail

NAME=firewall_test
TOOLS="curl nc ping iperf3 python3 nsenter jq java"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WORK="$(mktemp -d /tmp/mf-fwtest.XXXXXX)"
export MAYFLY_HOME="$WORK" MAYFLY_LAB_DIR="$WORK/lab" MAYFLY_LAB_POOL=4 MAYFLY_LAB_SLOTS=64
CPID=""
cleanup() {
  trap - EXIT INT TERM
  bash "$LAB" down >/dev/null 2>&1 || true
  if [[ -n "$CPID" ]] && kill -0 "$CPID" 2>/dev/null; then
    kill -TERM "$CPID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$CPID" 2>/dev/null || true
  fi
  if ((FAILED > 0)); then
    local keep="/tmp/mf-fwtest-logs.$$"
    mkdir -p "$keep/lab" && cp -r "$WORK/log" "$keep/" 2>/dev/null && cp -r "$WORK/lab/log" "$keep/lab/" 2>/dev/null
    say "logs kept in $keep"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_controller_and_lab fwtest ""
SUB2=001010000000002

tcp_open() { # UE port -> 0 when a TCP connection to the server opens within 0.3 s
  ue "$1" timeout 0.3 bash -c "exec 3<>/dev/tcp/10.77.0.1/$2" 2>/dev/null
}
echo_ok() { [[ "$(echo "ping-$RANDOM" | ue "$1" nc -w 1 -q 1 10.77.0.1 7777 2>/dev/null)" == ping-* ]]; }
icmp_ok() { ue "$1" ping -c 1 -W 1 10.77.0.1 >/dev/null 2>&1; }

POLICY1='{"rules":[
  {"action":"ALLOW","direction":"OUTBOUND","protocol":"TCP","remoteCidr":"10.77.0.1/32","portFrom":8080,"description":"web"},
  {"action":"ALLOW","direction":"OUTBOUND","protocol":"TCP","remoteCidr":"10.77.0.1/32","portFrom":5201,"description":"iperf3"},
  {"action":"ALLOW","direction":"OUTBOUND","protocol":"ICMP"}],
  "defaultOutbound":"DENY","defaultInbound":"DENY","stateful":true}'
POLICY2='{"rules":[
  {"action":"ALLOW","direction":"OUTBOUND","protocol":"TCP","remoteCidr":"10.77.0.1/32","portFrom":8080},
  {"action":"ALLOW","direction":"OUTBOUND","protocol":"TCP","remoteCidr":"10.77.0.1/32","portFrom":5201},
  {"action":"ALLOW","direction":"OUTBOUND","protocol":"TCP","remoteCidr":"10.77.0.0/17","portFrom":7777,"portTo":7780},
  {"action":"DENY","direction":"OUTBOUND","protocol":"ICMP"}],
  "defaultOutbound":"DENY","defaultInbound":"DENY","stateful":true}'

# ---- subscribers: ue1 on edge-a with a policy, ue2 on edge-b without one (fail closed)
api POST /subscribers "{\"id\":\"$SUB\",\"ueIp\":\"10.77.1.1\",\"edgeNode\":\"edge-a\",\"attachment\":\"ue1\"}"
[[ "$STATUS" == 201 ]] && ok "create subscriber" || bad "create subscriber ($STATUS)"
api POST /subscribers "{\"id\":\"$SUB2\",\"ueIp\":\"10.77.1.2\",\"edgeNode\":\"edge-b\",\"attachment\":\"ue2\"}"
[[ "$STATUS" == 201 ]] && ok "create subscriber 2" || bad "create subscriber 2 ($STATUS)"
api POST /subscribers "{\"id\":\"$SUB\",\"ueIp\":\"10.77.1.3\",\"edgeNode\":\"edge-a\",\"attachment\":\"ue3\"}"
[[ "$STATUS" == 409 ]] && ok "duplicate subscriber id is 409" || bad "duplicate id ($STATUS)"
api PUT "/subscribers/$SUB/policy" '{"rules":[{"action":"ALLOW","direction":"OUTBOUND","protocol":"TCP","remoteCidr":"10.0.0.1/33"}]}'
[[ "$STATUS" == 422 && "$(field '.errors[0].field')" == "rules[0].remoteCidr" ]] \
  && ok "bad CIDR is 422 naming rules[0].remoteCidr" || bad "bad CIDR ($STATUS $BODY)"

http_once ue1 && bad "no policy yet: traffic must be blocked" || ok "no policy: ue1 blocked (fail closed)"

api PUT "/subscribers/$SUB/policy" "$POLICY1"
[[ "$STATUS" == 202 ]] && ok "PUT policy 202" || bad "PUT policy ($STATUS $BODY)"
GEN="$(field .generation)"
wait_running "$SUB" "$GEN" && ok "firewall guest RUNNING on edge-a" || bad "firewall guest RUNNING"

http_ok ue1 && ok "allowed TCP 8080 (curl) passes" || bad "allowed TCP 8080 (curl)"
echo_ok ue1 && bad "denied TCP 7777 (nc) passed" || ok "denied TCP 7777 (nc) is blocked"
icmp_ok ue1 && ok "ICMP allowed by policy (ping)" || bad "ICMP allowed (ping)"

# stateful: replies to the allowed outbound flows came back (above); unsolicited inbound does not
ue ue1 timeout 4 nc -l 10.77.1.1 9000 >"$WORK/inbound.txt" 2>/dev/null &
LPID=$!
sleep 0.5
echo unsolicited | ue core nc -w 2 -q 1 10.77.1.1 9000 >/dev/null 2>&1
wait "$LPID" 2>/dev/null
[[ -s "$WORK/inbound.txt" ]] && bad "unsolicited inbound reached the UE" || ok "unsolicited inbound from the server is blocked"
http_once ue2 && bad "ue2 (no policy, fail closed) passed" || ok "ue2 without policy is blocked"

# ---- live update during an established allowed flow (iperf3 on 5201)
ue ue1 iperf3 -c 10.77.0.1 -p 5201 -t 5 -i 1 -f m >"$WORK/iperf.txt" 2>&1 &
IPID=$!
sleep 1.5
api GET "/subscribers/$SUB/policy"
GUEST1="$(field .firewall.guestId)"
T0=$(date +%s%N)
api PUT "/subscribers/$SUB/policy" "$POLICY2"
GEN="$(field .generation)"
EFFECT=""
for _ in $(seq 1 100); do
  if tcp_open ue1 7777; then EFFECT=$((($(date +%s%N) - T0) / 1000000)); break; fi
done
if [[ -n "$EFFECT" ]]; then
  ok "live update: TCP 7777 allowed ${EFFECT} ms after the PUT"
  ((EFFECT <= 1000)) || say "WARN: live update took ${EFFECT} ms (goal <= 1000 ms; host under load?)"
else
  bad "live update: TCP 7777 still blocked"
fi
icmp_ok ue1 && bad "live update: ICMP still allowed" || ok "live update: ICMP now denied"
wait "$IPID"
IRC=$?
LAST="$(grep -E '^\[ *[0-9]+\] +4\.[0-9]+-5\.[0-9]+ ' "$WORK/iperf.txt" | head -1)"
if ((IRC == 0)) && [[ -n "$LAST" ]] && ! grep -qE ' 0\.00 Bytes' <<<"$LAST"; then
  ok "established iperf3 flow kept across the live update ($(awk '{print $7, $8}' <<<"$LAST") in the last second)"
else
  bad "established flow broken by the live update (rc $IRC): $(tail -5 "$WORK/iperf.txt")"
fi
api GET "/subscribers/$SUB/policy"
GUEST2="$(field .firewall.guestId)"
[[ "$GUEST1" == "$GUEST2" ]] && ok "same guest after the update (no reboot)" || bad "guest replaced ($GUEST1 -> $GUEST2)"
wait_running "$SUB" "$GEN" && ok "update reported applied" || bad "update applied"

# ---- automatic restart: kill the guest's process; the controller replaces the guest and the
# subscriber is protected again (same policy: 8080 passes, ICMP stays denied)
api GET "/subscribers/$SUB/policy"
GUEST3="$(field .firewall.guestId)"
# the guest's pid from edge-a's slot journal (tab-separated records; its GUEST record is written
# just behind the boot, so it may take a moment to appear)
SLOTF="$(ls "$MAYFLY_LAB_DIR"/agents/edge-a/sandbox/slots/journal "$MAYFLY_LAB_DIR"/agents/edge-a/slots/journal \
  2>/dev/null | head -1)"
GPID=""
for _ in $(seq 1 50); do
  GPID="$(awk -F'\t' -v g="guestId=$GUEST3" '$1 == "GUEST" {hit = 0; p = ""
      for (i = 3; i < NF; i++) { if ($i == g) hit = 1; if (substr($i, 1, 4) == "pid=") p = substr($i, 5) }
      if (hit) pid = p} END {print pid}' "$SLOTF" 2>/dev/null)"
  [[ -n "$GPID" ]] && break
  sleep 0.1
done
if [[ -n "$GPID" ]] && kill -KILL "$GPID" 2>/dev/null; then
  ok "killed the firewall guest's process (pid $GPID)"
  NEWG=""
  for _ in $(seq 1 300); do
    api GET "/subscribers/$SUB/policy"
    if [[ "$(field .firewall.guestId)" != "$GUEST3" && "$(field .firewall.state)" == RUNNING ]]; then
      NEWG="$(field .firewall.guestId)"; break
    fi
    sleep 0.1
  done
  [[ -n "$NEWG" ]] && ok "crashed guest replaced automatically ($NEWG RUNNING)" || bad "crashed guest not replaced ($BODY)"
  http_ok ue1 && ok "after the restart: allowed TCP 8080 passes again" || bad "after the restart: TCP 8080"
  icmp_ok ue1 && bad "after the restart: ICMP passes (policy lost)" || ok "after the restart: ICMP still denied"
else
  bad "no process found for guest $GUEST3 (slot journal '${SLOTF}')"
fi

# ---- fail-open subscriber: a pass-all guest
api PUT "/subscribers/$SUB2" '{"ueIp":"10.77.1.2","edgeNode":"edge-b","attachment":"ue2","failOpen":true}'
api GET "/subscribers/$SUB2/policy"
GEN2="$(field .generation)"
wait_running "$SUB2" "$GEN2" && http_ok ue2 && echo_ok ue2 && ok "fail-open subscriber passes everything" \
  || bad "fail-open subscriber"

# ---- delete the policy: the guest goes, traffic is blocked
api DELETE "/subscribers/$SUB/policy"
[[ "$STATUS" == 202 ]] && ok "DELETE policy 202" || bad "DELETE policy ($STATUS)"
BLOCKED=""
for _ in $(seq 1 50); do
  if ! http_once ue1; then BLOCKED=1; break; fi
  sleep 0.1
done
[[ -n "$BLOCKED" ]] && ok "policy deleted: ue1 blocked" || bad "policy deleted: ue1 still passes"
for _ in $(seq 1 100); do
  api GET "/subscribers/$SUB/policy"
  [[ "$(field .firewall.state)" == NONE ]] && break
  sleep 0.1
done
[[ "$(field .firewall.state)" == NONE ]] && ok "firewall state NONE" || bad "firewall state after delete ($BODY)"

api DELETE "/subscribers/$SUB2"
[[ "$STATUS" == 204 ]] && ok "delete subscriber" || bad "delete subscriber ($STATUS)"

finish
