#!/usr/bin/env python3
"""Medians of A/B runs in a resso-bench JSON Lines file written by bench/ab.sh.

Servers are told apart by port: 6201 Ressò, 6101 Sockudo, 6102 Sockudo with
WEBSOCKET_MAX_MESSAGES=100, 6001 Soketi, 6202 an older Ressò build (`bench/ab.sh base`),
6301 laravel-echo-server, 6203 Ressò again with Socket.IO subscribers (`bench/ab.sh self-sio4`,
named `self-sio4`).  Each Ressò run is paired with the peer run that follows it
(bench/ab.sh runs ours, peer, ours, peer, …), so every ratio compares runs of the same session.
Usage: bench/summarize.py bench/results/FILE.jsonl
"""
import json, re, statistics as st, sys
from collections import defaultdict

NAMES = {"6201": "resso", "6101": "sockudo", "6102": "sockudo-q100", "6001": "soketi", "6202": "base",
         "6301": "les"}

def proto(r):
    return r.get("protocol", "pusher")

def server(r):
    port = re.search(r":(\d+)/", r["server_url"]).group(1)
    return f"self-{proto(r)}" if port == "6203" else NAMES.get(port, "?")

# Group lines into runs (a knee run is several lines with one server pid).
runs = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if runs and runs[-1]["pid"] == r["server_pid"] and r["scenario"] == "knee":
        runs[-1]["steps"].append(r)
    else:
        runs.append({"pid": r["server_pid"], "server": server(r), "proto": proto(r), "steps": [r]})
for i, run in enumerate(runs):
    nxt = runs[i + 1]["server"] if i + 1 < len(runs) else None
    run["peer"] = nxt if run["server"] == "resso" else run["server"]

def key(run):
    r = run["steps"][0]
    return r["scenario"] if r["scenario"] in ("idle", "knee", "latency", "storm") else f"fanout {int(r['rate'])}"

def knee(run):
    ok = [s for s in run["steps"] if s["drops"] == 0 and s["latency_us"] and s["latency_us"]["p99"] <= 50000
          and not s["publish_errors"]]
    return max((s["deliveries_per_s"] for s in ok), default=0.0)

def user_us(r):
    """Server CPU per delivery outside the kernel (runs from before the split have none)."""
    kernel = r.get("server_kernel_us_per_delivery")
    total = r["server_cpu_us_per_delivery"]
    return None if kernel is None or total is None else total - kernel

METRICS = {
    "fanout": [("server CPU µs/delivery", lambda r: r["server_cpu_us_per_delivery"]),
               ("server kernel µs/delivery", lambda r: r.get("server_kernel_us_per_delivery")),
               ("server user µs/delivery", lambda r: user_us(r)),
               ("server CPU (cores)", lambda r: r["server_cpu_cores"]),
               ("deliveries/s", lambda r: r["deliveries_per_s"]),
               ("p50 ms", lambda r: r["latency_us"]["p50"] / 1000),
               ("p99 ms", lambda r: r["latency_us"]["p99"] / 1000),
               ("drops", lambda r: r["drops"])],
    "latency": [("p50 ms", lambda r: r["latency_us"]["p50"] / 1000),
                ("p99 ms", lambda r: r["latency_us"]["p99"] / 1000),
                ("server CPU µs/delivery", lambda r: r["server_cpu_us_per_delivery"]),
                ("server kernel µs/delivery", lambda r: r.get("server_kernel_us_per_delivery")),
                ("server user µs/delivery", lambda r: user_us(r)),
                ("drops", lambda r: r["drops"])],
    "idle": [("KiB RSS per connection", lambda r: r["rss_kib_per_conn"]),
             ("connects+subscribes/s", lambda r: r["connect_per_s"]),
             ("server CPU µs per connect", lambda r: r["server_cpu_us_per_connect"]),
             ("connect p99 ms", lambda r: r["connect_latency_us"]["p99"] / 1000)],
    "storm": [("server CPU µs per connect+subscribe", lambda r: r["server_cpu_us_per_connect"]),
              ("storm seconds (all subscribed again)", lambda r: r["duration_s"]),
              ("reconnect p50 ms", lambda r: r["connect_latency_us"]["p50"] / 1000),
              ("reconnect p99 ms", lambda r: r["connect_latency_us"]["p99"] / 1000),
              ("errors", lambda r: r["connect_errors"])],
}

def num(x):
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"

groups = defaultdict(list)  # (peer, scenario) -> runs
for run in runs:
    groups[(run["peer"], key(run))].append(run)

print("| peer | scenario | metric | Ressò | peer | ours/peer | runs (ours/peer) | harness-bound runs (ours/peer) | protocols (ours/peer) |")
print("|---|---|---|---|---|---|---|---|---|")
for (peer, sc) in sorted({(p, s) for (p, s) in groups if p not in ("resso", None)}):
    rs = groups[(peer, sc)]
    ours = [r for r in rs if r["server"] == "resso"]
    theirs = [r for r in rs if r["server"] != "resso"]
    hb = lambda xs: sum(any(s["harness_bound"] for s in x["steps"]) for x in xs)
    protos = lambda xs: ",".join(sorted({x["proto"] for x in xs})) or "-"
    if sc == "knee":
        rows = [("knee deliveries/s (p99 ≤ 50 ms, 0 drops)", knee)]
    else:
        rows = [(n, (lambda f: lambda run: f(run["steps"][0]))(f)) for n, f in METRICS[sc.split()[0]]]
    for name, f in rows:
        xs = [f(r) for r in ours]; ys = [f(r) for r in theirs]
        if None in xs or None in ys:
            continue  # a metric these runs did not record
        a = st.median(xs); b = st.median(ys)
        ratio = "-" if not b else f"{a / b:.2f}"
        print(f"| {peer} | {sc} | {name} | {num(a)} | {num(b)} | {ratio} | {len(ours)}/{len(theirs)} | {hb(ours)}/{hb(theirs)} | {protos(ours)}/{protos(theirs)} |")
