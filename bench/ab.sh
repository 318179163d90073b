#!/bin/sh
# A/B/A/B side-by-side runs: Ressò vs one peer, fresh server per run, server pinned to core 0 and
# the harness to core 1 (resso-bench defaults). Usage, from the repository root:
#   bench/ab.sh soketi  [RUNS] [SCENARIOS…]
#   bench/ab.sh sockudo [RUNS] [SCENARIOS…]
#   BASE_BIN=/path/to/older/resso bench/ab.sh base [RUNS] [SCENARIOS…]   (Ressò against an older build)
# Scenarios: fanout100 fanout200 latency idle knee (default: all). Raw JSON lines go to $OUT.
# Peers are found as `sockudo` on PATH and Soketi under $SOKETI_DIR (see docs/benchmarks.md).
set -eu
PEER=$1; RUNS=${2:-3}; shift; [ $# -gt 0 ] && shift
SCENARIOS=${*:-fanout100 fanout200 latency idle knee}
OUT=${OUT:-bench/results/$(date -u +%F).jsonl}
SOKETI_DIR=${SOKETI_DIR:-/tmp/soketi}
BENCH=target/release/resso-bench
OURS="target/release/resso --config bench/resso.toml --port 6201"
case $PEER in
  soketi)      PEER_CMD="node $SOKETI_DIR/node_modules/@soketi/soketi/bin/server.js start --config=bench/peers/soketi.json"; PEER_PORT=6001 ;;
  sockudo)     PEER_CMD="env RUST_LOG=warn sockudo --config bench/peers/sockudo.toml"; PEER_PORT=6101 ;;
  # Sockudo with a 100-message per-socket outbound queue instead of its default 1000.
  sockudo-q100) PEER_CMD="env RUST_LOG=warn WEBSOCKET_MAX_MESSAGES=100 PORT=6102 sockudo --config bench/peers/sockudo.toml"; PEER_PORT=6102 ;;
  # An older Ressò build (e.g. from `git worktree add`), to measure a change of ours.
  base)        PEER_CMD="${BASE_BIN:?set BASE_BIN} --config bench/resso.toml --port 6202"; PEER_PORT=6202 ;;
  *) echo "unknown peer $PEER" >&2; exit 2 ;;
esac
args_for() {
  case $1 in
    fanout100) echo "fanout -n 1000 -r 100 -d 10" ;;
    fanout200) echo "fanout -n 1000 -r 200 -d 10" ;;
    latency)   echo "latency -n 1000 -r 10 -d 10" ;;
    idle)      echo "idle -n 10000 -d 5 --connect-rate 100000" ;;
    knee)      echo "knee -n 1000 -d 5 --rates 100,200,300,400,500,600,800,1000,1200" ;;
  esac
}
for s in $SCENARIOS; do
  for i in $(seq "$RUNS"); do
    for who in ours peer; do
      if [ $who = ours ]; then cmd=$OURS; port=6201; else cmd=$PEER_CMD; port=$PEER_PORT; fi
      echo "== $s run $i $who ($PEER)" >&2
      # shellcheck disable=SC2046
      timeout 300 $BENCH $(args_for "$s") --server-cmd "$cmd" --port $port --json "$OUT" -q || echo "!! failed: $s $i $who" >&2
      sleep 1
    done
  done
done
