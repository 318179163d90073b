#!/usr/bin/env bash
# What a delivery costs in a 2-node Redis cluster compared with one node (issue 4's "≤ 1.2×").
# Single: 1000 subscribers on one node, publishes to that node. Cluster: the same 1000 subscribers
# on node B, publishes to node A, so every event crosses Redis; the server CPU counted is node A +
# node B + redis-server together. Everything under test is pinned to core 0, the harness to core 1.
# Interleaved single/cluster runs; raw JSON lines go to $OUT. Usage, from the repository root:
#   bench/cluster.sh [RUNS] [RATE]
set -eu
RUNS=${1:-3}; RATE=${2:-100}
OUT=${OUT:-bench/results/cluster-$(date -u +%F).jsonl}
BENCH=target/release/resso-bench
RESSO=target/release/resso
REDIS_PORT=${REDIS_PORT:-6390}
dir=$(mktemp -d)
cat > "$dir/node.toml" <<TOML
[server]
host = "127.0.0.1"

[[apps]]
id = "app-id"
key = "app-key"
secret = "app-secret"

[cluster]
backend = "redis"
url = "redis://127.0.0.1:$REDIS_PORT"
prefix = "bench-"
TOML
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
wait_port() { for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

taskset -c 0 redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$dir" > "$dir/redis.log" 2>&1 &
redis=$!; pids="$redis"
wait_port "$REDIS_PORT"

for i in $(seq "$RUNS"); do
  echo "== run $i single" >&2
  $BENCH fanout -n 1000 -r "$RATE" -d 10 -q --json "$OUT" \
    --server-cmd "$RESSO --config bench/resso.toml --port 6201" --port 6201
  echo "== run $i cluster" >&2
  taskset -c 0 $RESSO --config "$dir/node.toml" --port 6211 > "$dir/a.log" 2>&1 & a=$!
  taskset -c 0 $RESSO --config "$dir/node.toml" --port 6212 > "$dir/b.log" 2>&1 & b=$!
  pids="$redis $a $b"
  wait_port 6211 && wait_port 6212
  sleep 2 # heartbeats: the nodes know each other
  $BENCH fanout -n 1000 -r "$RATE" -d 10 -q --json "$OUT" \
    --ws-url ws://127.0.0.1:6212 --http-url http://127.0.0.1:6211 \
    --server-pid "$b" --extra-pid "$a" --extra-pid "$redis"
  kill "$a" "$b"; wait "$a" "$b" 2>/dev/null || true
  pids="$redis"
  sleep 1
done
python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
runs = {"single": [], "cluster": []}
for r in rows:
    if r.get("scenario") != "fanout":
        continue
    kind = "cluster" if ":6212/" in r.get("server_url", "") else "single"
    runs[kind].append(r)
def med(kind, key):
    vals = [r[key] for r in runs[kind] if r.get(key) is not None]
    return statistics.median(vals) if vals else float("nan")
for key in ("server_cpu_us_per_delivery", "deliveries_per_s"):
    s, c = med("single", key), med("cluster", key)
    print(f"{key}: single {s:.3g}  cluster {c:.3g}  cluster/single {c / s:.2f}  (runs {len(runs['single'])}/{len(runs['cluster'])})")
PY
