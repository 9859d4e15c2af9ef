#!/usr/bin/env python3
"""Measurements of ./mayfly bench firewall (bench/firewall/run.sh starts the controller and
the lab first). Writes bench/results/firewall.{json,md} in the BENCH.md format.

  fwbench.py API PASSWORD RESULTS_DIR --ues N --bulk N --iperf-seconds S

provision_to_forwarding: per UE, REST PUT of a policy (allow TCP 8080 to the server) until
  a TCP connection from the UE's namespace to the server opens through the new firewall
  (non-blocking connects every ~2 ms in the UE's network namespace).
bulk_rate: one POST /subscriber-batches of N subscribers with policies across edge-a and
  edge-b (attachments are veth ends b0..), until every firewall is RUNNING (the controller
  has recorded N successful create results: mayfly.firewall.results{ok=true}; the batch's
  final state is read afterwards). Breakdown: bulk_accept (the POST answered: validated and stored), bulk_sent (the
  controller has sent every CreateGuest: its counter mayfly.firewall.commands{action=create}
  in /actuator/metrics), bulk_total (every firewall RUNNING); bulk_agents = total - sent
  is what the agents took beyond the controller.
Before anything is measured the agents' shell pools (--pool per agent) are waited for:
  shells prepared ahead are the LightVM design; the fill time is reported in notes.
tcp_through_firewall_gbps / tcp_direct_gbps: iperf3 from ue1 to the server through its
  firewall guest, then the same path with the attachment put straight on the core bridge.
"""
import base64
import ctypes
import errno
import json
import os
import re
import platform
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL("libc.so.6", use_errno=True)
SERVER = "10.77.0.1"


class Api:
    def __init__(self, base, password):
        self.base = base
        self.root = base[:base.index("/api/")] if "/api/" in base else base
        self.auth = "Basic " + base64.b64encode(("admin:" + password).encode()).decode()

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", self.auth)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")


    def meter_count(self, name, tag):
        """A counter's value through /actuator/metrics/NAME?tag=K:V (one meter, not the whole
        Prometheus scrape: polled every 50 ms during the bulk it must stay cheap)."""
        req = urllib.request.Request(self.root + "/actuator/metrics/" + name + "?tag=" + tag)
        req.add_header("Authorization", self.auth)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                b = json.loads(r.read())
        except urllib.error.HTTPError as e:
            return 0.0 if e.code == 404 else None  # 404: no such meter yet (nothing counted)
        except (urllib.error.URLError, OSError):
            return None
        for m in b.get("measurements", []):
            if m.get("statistic") == "COUNT":
                return float(m["value"])
        return None


def wait_pools(api, timeout=1800):
    """Waits until both edge agents report a full shell pool; returns the wait in ms and the pools."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        st, b = api.call("GET", "/edge-nodes?size=50")
        pools = {}
        if st == 200:
            for n in b.get("items", []):
                load = n.get("load") or {}
                pools[n["name"]] = (load.get("poolReady", 0), load.get("poolTarget", 0))
        edges = {k: v for k, v in pools.items() if k in ("edge-a", "edge-b")}
        if len(edges) == 2 and all(t > 0 and r >= t for r, t in edges.values()):
            return (time.monotonic() - t0) * 1000, edges
        if edges != last:
            last = edges
            print("[fwbench] shell pools %s after %.0f s" % (edges, time.monotonic() - t0), file=sys.stderr)
        time.sleep(1)
    print("[fwbench] shell pools not full after %d s: measuring anyway" % timeout, file=sys.stderr)
    return (time.monotonic() - t0) * 1000, last


def wait_netns_cleanup(pools, timeout=300):
    """Waits until the kernel has torn down the network namespaces of the guests the warm-up
    destroyed. It does that in one background work item (cleanup_net) after the destroys have
    returned; after a warm-up of 2000 guests it still ran during the bulk and took 19% of the
    CPU. Done when every edge node holds no more guest host ends (mf<slot>h0) than its pool
    has shells."""
    t0 = time.monotonic()
    last = 0.0
    while time.monotonic() - t0 < timeout:
        left = {}
        for e, (_ready, target) in pools.items():
            out = subprocess.run(["ip", "-n", "mf-" + e, "-o", "link", "show"], capture_output=True, text=True).stdout
            n = sum(1 for l in out.splitlines() if re.match(r"^\d+: mf[0-9a-z]+h0[@:]", l))
            left[e] = max(0, n - target)
        if not any(left.values()):
            return (time.monotonic() - t0) * 1000
        if time.monotonic() - last >= 5:
            last = time.monotonic()
            print("[fwbench] waiting for the kernel to tear down destroyed guests' namespaces: %s" % left,
                  file=sys.stderr)
        time.sleep(1)
    print("[fwbench] namespaces still being torn down after %d s: measuring anyway" % timeout, file=sys.stderr)
    return (time.monotonic() - t0) * 1000


def in_netns(ns, fn):
    """Runs fn() on a thread that joined network namespace mf-<ns>; returns its result."""
    out = {}

    def run():
        fd = os.open("/run/netns/mf-" + ns, os.O_RDONLY)
        try:
            if LIBC.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + ns)
        finally:
            os.close(fd)
        try:
            out["v"] = fn()
        except Exception as e:  # noqa: BLE001 - reported to the caller
            out["e"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "e" in out:
        raise out["e"]
    return out["v"]


def probe_until_open(port, deadline):
    """In the current thread's netns: non-blocking connects until one succeeds; the time."""
    while time.monotonic() < deadline:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            rc = s.connect_ex((SERVER, port))
            if rc in (0, errno.EINPROGRESS):
                _, w, _ = select.select([], [s], [], 0.002)
                if w and s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    return time.monotonic()
        finally:
            s.close()
    return None


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def lat(name, xs, unit="ms"):
    return {"name": name, "unit": unit, "n": len(xs), "p50": round(pct(xs, 50), 3), "p90": round(pct(xs, 90), 3),
            "p99": round(pct(xs, 99), 3), "max": round(max(xs), 3)}


def policy():
    return {"rules": [{"action": "ALLOW", "direction": "OUTBOUND", "protocol": "TCP", "remoteCidr": SERVER + "/32",
                       "portFrom": 8080}, {"action": "ALLOW", "direction": "OUTBOUND", "protocol": "TCP",
                                           "remoteCidr": SERVER + "/32", "portFrom": 5201}],
            "defaultOutbound": "DENY", "defaultInbound": "DENY", "stateful": True}


def wait_state(api, sub, want, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st, b = api.call("GET", "/subscribers/%s/policy" % sub)
        if st == 200 and b["firewall"]["state"] == want:
            return True
        time.sleep(0.02)
    return False


def ue_edge(i):
    return "edge-a" if i % 2 == 1 else "edge-b"


def provision_to_forwarding(api, ues):
    out, rest = [], []
    for i in range(1, ues + 1):
        sub = "0010200000%05d" % i
        st, b = api.call("POST", "/subscribers", {"id": sub, "ueIp": "10.77.1.%d" % i, "edgeNode": ue_edge(i),
                                                  "attachment": "ue%d" % i})
        if st != 201 and not (st == 409 and i <= WARM_UES):  # 409: made by the warm-up
            raise SystemExit("create subscriber %s: %s %s" % (sub, st, b))

        # the probe runs on a thread inside the UE's namespace; the REST call from here
        result = {}
        go = threading.Event()

        def probe():
            go.wait()
            result["t2"] = probe_until_open(8080, time.monotonic() + 30)

        th = threading.Thread(target=lambda: in_netns("ue%d" % i, probe))
        th.start()
        t0 = time.monotonic()
        go.set()
        st2, b2 = api.call("PUT", "/subscribers/%s/policy" % sub, policy())
        t1 = time.monotonic()
        th.join()
        if st2 != 202:
            raise SystemExit("PUT policy: %s %s" % (st2, b2))
        t2 = result.get("t2")
        if t2 is None:
            print("[fwbench] ue%d: no forwarding within 30 s" % i, file=sys.stderr)
            continue
        out.append((t2 - t0) * 1000)
        rest.append((t1 - t0) * 1000)
    return out, rest


WARM_UES = 3  # provisioned, forwarding and deleted again before provision_to_forwarding


def warm_up(api, ues, per, nwarm):
    """JIT warm-up of the controller and agents (fresh JVMs compile the provisioning paths
    during the first requests: C2 took ~20% of the CPU of an unwarmed bulk, and still 24%
    after a warm-up batch of 200). Not measured: WARM_UES UEs get a firewall, forward and
    lose it again; a batch of nwarm (a fifth of the bulk) on the spare attachments b<per>..
    runs and is deleted. Then the pools are waited for again."""
    for i in range(1, min(WARM_UES, ues) + 1):
        sub = "0010200000%05d" % i
        api.call("POST", "/subscribers", {"id": sub, "ueIp": "10.77.1.%d" % i, "edgeNode": ue_edge(i),
                                          "attachment": "ue%d" % i})
        api.call("PUT", "/subscribers/%s/policy" % sub, policy())
        wait_state(api, sub, "RUNNING")
        in_netns("ue%d" % i, lambda: probe_until_open(8080, time.monotonic() + 10))
        api.call("DELETE", "/subscribers/%s/policy" % sub)
        wait_state(api, sub, "NONE")
    items = []
    for k in range(nwarm):
        items.append({"id": "00104%010d" % k, "ueIp": "10.77.%d.%d" % (100 + k // 250, 1 + k % 250),
                      "edgeNode": "edge-a" if k % 2 == 0 else "edge-b", "attachment": "b%d" % (per + k // 2),
                      "policy": policy()})
    st, b = api.call("POST", "/subscriber-batches", {"atomic": True, "items": items})
    if st != 202:
        raise SystemExit("warm-up batch: %s %s" % (st, json.dumps(b)[:500]))
    for _ in range(600):
        st, b2 = api.call("GET", "/subscriber-batches/%s?items=none" % b["id"])
        if b2["state"] != "RUNNING":
            break
        time.sleep(0.5)
    for it in items:
        api.call("DELETE", "/subscribers/" + it["id"])
    for it in items:  # the guests gone (the subscriber is gone at once; its guest soon after)
        for _ in range(200):
            st, _b = api.call("GET", "/subscribers/" + it["id"])
            if st == 404:
                break
            time.sleep(0.1)


def bulk_items(n):
    items = []
    for k in range(n):
        e = "edge-a" if k % 2 == 0 else "edge-b"
        idx = k // 2
        ip = "10.77.%d.%d" % (16 + k // 250, 1 + k % 250)
        items.append({"id": "00103%010d" % k, "ueIp": ip, "edgeNode": e, "attachment": "b%d" % idx,
                      "policy": policy()})
    return items


DRY_RUNS = 3


def warm_up_accept(api, n):
    """JIT warm-up of the controller's accept path (JSON, bean validation, policy checks,
    conflict queries), which a warm-up batch of a fifth of the bulk runs too few times for C2:
    a method is compiled by C2 after ~5000 calls, and a bulk of 10 000 items crossed that for
    per-item methods (a JIT log showed ~350 C2 compilations in the controller during the bulk).
    DRY_RUNS atomic POSTs of the bulk's own items, the last one replaced by a duplicate of the
    first: all validated, refused with 409, nothing applied."""
    items = bulk_items(n)
    if len(items) < 2:
        return
    items[-1] = dict(items[0])
    for _ in range(DRY_RUNS):
        st, b = api.call("POST", "/subscriber-batches", {"atomic": True, "items": items})
        if st != 409:
            raise SystemExit("warm-up dry batch: expected 409, got %s %s" % (st, json.dumps(b)[:500]))


def bulk(api, n):
    per = (n + 1) // 2
    items = bulk_items(n)
    assert per * 2 >= n
    base = api.meter_count("mayfly.firewall.commands", "action:create") or 0.0
    rbase = api.meter_count("mayfly.firewall.results", "ok:true") or 0.0
    sent = {}

    def watch_sent():
        # every CreateGuest of the batch sent by the controller (counter incremented at send time)
        while time.monotonic() - t0 < 1800 and "t" not in sent and not sent.get("stop"):
            v = api.meter_count("mayfly.firewall.commands", "action:create")
            if v is not None and v - base >= n:
                sent["t"] = time.monotonic()
                return
            time.sleep(0.05)

    t0 = time.monotonic()
    watcher = threading.Thread(target=watch_sent, daemon=True)
    watcher.start()
    st, b = api.call("POST", "/subscriber-batches", {"atomic": True, "items": items})
    t1 = time.monotonic()
    if st != 202:
        raise SystemExit("bulk: %s %s" % (st, json.dumps(b)[:2000]))
    bid = b["id"]
    # done when the controller has recorded n successful results (counter
    # mayfly.firewall.results{ok=true} through /actuator/metrics, polled every 50 ms); the batch
    # (counts only: ?items=none; still 10 000 rows
    # with their guests, ~1 s a read on a loaded host) is read only every 5 s for progress,
    # so the polling does not compete with the provisioning it measures
    last, last_get, t2, t_counted, use_counter = None, 0.0, None, None, True
    while time.monotonic() - t0 < 1800:
        if use_counter and t_counted is None:
            v = api.meter_count("mayfly.firewall.results", "ok:true")
            if v is not None and v - rbase >= n:
                t_counted = time.monotonic()
        if t_counted is not None or time.monotonic() - last_get >= 5:
            last_get = time.monotonic()
            st, b = api.call("GET", "/subscriber-batches/" + bid + "?items=none")
            if b["state"] != "RUNNING":
                # the counter's time when it saw them all; else (failures) now
                t2 = t_counted if t_counted is not None and b["running"] >= n else time.monotonic()
                break
            if t_counted is not None:
                # a resent create answered twice counts twice: from here on the batch decides
                use_counter, t_counted = False, None
            if b["running"] != last:
                last = b["running"]
                print("[fwbench] bulk: %d/%d running after %.1f s" % (last, n, time.monotonic() - t0),
                      file=sys.stderr)
        time.sleep(0.05)
    if t2 is None:
        t2 = time.monotonic()
    for _ in range(120):  # the batch as the API reports it (final by now, or soon after)
        st, b = api.call("GET", "/subscriber-batches/" + bid)
        if b["state"] != "RUNNING":
            break
        time.sleep(0.5)
    watcher.join(timeout=5)
    sent["stop"] = True
    return {"state": b["state"], "running": b["running"], "failed": b["failed"], "accept_ms": (t1 - t0) * 1000,
            "total_ms": (t2 - t0) * 1000, "sent_ms": (sent["t"] - t0) * 1000 if "t" in sent else None,
            "first_failures": [it for it in b["items"] if it["result"] == "FAILED"][:3]}


def iperf(ns, seconds):
    r = subprocess.run(["ip", "netns", "exec", "mf-" + ns, "iperf3", "-c", SERVER, "-p", "5201", "-t",
                        str(seconds), "-J"], capture_output=True, text=True, timeout=seconds + 60)
    if r.returncode != 0:
        raise SystemExit("iperf3 in %s failed: %s %s" % (ns, r.stdout[-500:], r.stderr[-500:]))
    j = json.loads(r.stdout)
    return j["end"]["sum_received"]["bits_per_second"] / 1e9


def main():
    api_url, password, results = sys.argv[1], sys.argv[2], sys.argv[3]
    args = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    ues = int(args.get("--ues", "100"))
    nbulk = int(args.get("--bulk", "10000"))
    secs = int(args.get("--iperf-seconds", "5"))
    quick = args.get("--quick", "0") == "1"
    pool = int(args.get("--pool", "0"))
    nwarm = int(args.get("--warm-bulk", "200"))
    api = Api(api_url, password)
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    print("[fwbench] waiting for the agents' shell pools (%d per agent) ..." % pool, file=sys.stderr)
    pool_wait_ms, pools = wait_pools(api)
    print("[fwbench] warm-up (%d UEs, a batch of %d, %d refused dry batches of %d; not measured) ..."
          % (WARM_UES, nwarm, DRY_RUNS, nbulk), file=sys.stderr)
    warm_up(api, ues, (nbulk + 1) // 2, nwarm)
    warm_up_accept(api, nbulk)
    _w, warm_pools = wait_pools(api)
    wait_netns_cleanup(warm_pools)

    print("[fwbench] provision_to_forwarding over %d UEs ..." % ues, file=sys.stderr)
    p2f, rest = provision_to_forwarding(api, ues)

    print("[fwbench] tcp through the firewall of ue1 vs direct ...", file=sys.stderr)
    through = iperf("ue1", secs)
    sub1 = "0010200000%05d" % 1
    api.call("DELETE", "/subscribers/%s/policy" % sub1)
    if not wait_state(api, sub1, "NONE"):
        raise SystemExit("ue1's firewall did not go away")
    edge = "mf-" + ue_edge(1)
    subprocess.run(["ip", "netns", "exec", edge, "ip", "link", "set", "ue1", "master", "mfcore0"], check=True)
    try:
        time.sleep(0.2)
        direct = iperf("ue1", secs)
    finally:
        subprocess.run(["ip", "netns", "exec", edge, "ip", "link", "set", "ue1", "nomaster"], check=False)

    print("[fwbench] bulk: %d subscribers with policies ..." % nbulk, file=sys.stderr)
    load_before_bulk = os.getloadavg()
    b = bulk(api, nbulk)
    rate = nbulk / (b["total_ms"] / 1000.0) if b["state"] == "SUCCEEDED" else 0.0

    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // (1024 * 1024)
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.split('"')
    report = {
        "bench": "firewall",
        "started": started,
        "host": {"cpus": os.cpu_count(), "mem_gib": mem, "kernel": platform.release(),
                 "java": java[1] if len(java) > 1 else "?"},
        "params": {"ues": ues, "bulk_subscribers": nbulk, "iperf_seconds": secs, "quick": quick,
                   "pool_per_agent": pool, "warm_up_batch": nwarm,
               "warm_up_dry_batches": DRY_RUNS},
        "metrics": [
            lat("provision_to_forwarding", p2f),
            lat("policy_put_response", rest),
            {"name": "bulk_rate", "unit": "subscribers/s", "value": round(rate, 1)},
            {"name": "bulk_total", "unit": "ms", "value": round(b["total_ms"], 1)},
            {"name": "bulk_accept", "unit": "ms", "value": round(b["accept_ms"], 1)},
            {"name": "bulk_sent", "unit": "ms", "value": round(b["sent_ms"], 1) if b["sent_ms"] else None},
            {"name": "bulk_agents", "unit": "ms",
             "value": round(b["total_ms"] - b["sent_ms"], 1) if b["sent_ms"] else None},
            {"name": "tcp_through_firewall_gbps", "unit": "Gbit/s", "value": round(through, 3)},
        ],
        "peers": [{"name": "tcp_direct_gbps", "unit": "Gbit/s", "value": round(direct, 3)}],
        "ratios": [{"name": "tcp_through_firewall_gbps/tcp_direct_gbps",
                    "value": round(through / direct, 3) if direct else None}],
        "notes": {"pool_fill_wait_ms": round(pool_wait_ms, 1), "pools_ready_target": pools,
                  "load_before_bulk": load_before_bulk, "load_after": os.getloadavg(),
                  "bulk_state": b["state"], "bulk_running": b["running"], "bulk_failed": b["failed"],
                  "bulk_first_failures": b["first_failures"]},
    }
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "firewall.json"), "w") as f:
        json.dump(report, f, indent=2)
    m = report["metrics"]
    md = ["# bench firewall", "", "started %s, host %s" % (started, json.dumps(report["host"])),
          "params %s" % json.dumps(report["params"]), "",
          "| metric | unit | n | p50 | p90 | p99 | max | value |", "|---|---|---|---|---|---|---|---|"]
    for x in m + report["peers"]:
        md.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            x["name"], x["unit"], x.get("n", ""), x.get("p50", ""), x.get("p90", ""), x.get("p99", ""),
            x.get("max", ""), x.get("value", "")))
    for r in report["ratios"]:
        md.append("| %s | ratio | | | | | | %s |" % (r["name"], r["value"]))
    md += ["", "bulk: state %s, %d running, %d failed" % (b["state"], b["running"], b["failed"]),
           "shell pools: %d per agent, filled %.0f s before the measurements; load average before the bulk %s"
           % (pool, pool_wait_ms / 1000, ", ".join("%.2f" % x for x in load_before_bulk)), ""]
    with open(os.path.join(results, "firewall.md"), "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
