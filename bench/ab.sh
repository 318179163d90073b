#!/bin/sh
# A/B/A/B side-by-side runs: Ressò vs one peer, fresh server per run, server pinned to core 0 and
# the harness to core 1 (resso-bench defaults). Usage, from the repository root:
#   bench/ab.sh soketi  [RUNS] [SCENARIOS…]
#   bench/ab.sh sockudo [RUNS] [SCENARIOS…]
#   BASE_BIN=/path/to/older/resso bench/ab.sh base [RUNS] [SCENARIOS…]   (Ressò against an older build;
#     OPTS="--protocol sio4" to compare the Socket.IO path)
#   bench/ab.sh les [RUNS] [SCENARIOS…]         (Ressò vs laravel-echo-server, both Socket.IO EIO 3)
#   bench/ab.sh self-sio3|self-sio4 [RUNS] [SCENARIOS…]   (Ressò Pusher vs Ressò Socket.IO, same run)
# Scenarios: fanout100 fanout200 latency idle knee storm (default: all but storm). Raw JSON lines go to $OUT.
# Peers are found as `sockudo` on PATH, Soketi under $SOKETI_DIR and laravel-echo-server under
# $LES_DIR, which also gets its config, lock file and a redis-server on port 6391 (it needs one
# for presence even when unused) for the length of the run (see docs/benchmarks.md).
set -eu
PEER=$1; RUNS=${2:-3}; shift; [ $# -gt 0 ] && shift
SCENARIOS=${*:-fanout100 fanout200 latency idle knee}
OUT=${OUT:-bench/results/$(date -u +%F).jsonl}
SOKETI_DIR=${SOKETI_DIR:-/tmp/soketi}
LES_DIR=${LES_DIR:-../les}
BENCH=target/release/resso-bench
# OURS_CONFIG: another config for our side (bench/resso-store.toml: the app in a database).
OURS="target/release/resso --config ${OURS_CONFIG:-bench/resso.toml} --port 6201"
# Harness options of each side (the subscribers' protocol, the publisher's API); $OPTS is given
# to both, e.g. OPTS="--protocol sio4" for a base A/B of the Socket.IO path.
OURS_OPTS=${OPTS:-}; PEER_OPTS=${OPTS:-}
case $PEER in
  soketi)      PEER_CMD="node $SOKETI_DIR/node_modules/@soketi/soketi/bin/server.js start --config=bench/peers/soketi.json"; PEER_PORT=6001 ;;
  sockudo)     PEER_CMD="env RUST_LOG=warn sockudo --config bench/peers/sockudo.toml"; PEER_PORT=6101 ;;
  # Sockudo with a 100-message per-socket outbound queue instead of its default 1000.
  sockudo-q100) PEER_CMD="env RUST_LOG=warn WEBSOCKET_MAX_MESSAGES=100 PORT=6102 sockudo --config bench/peers/sockudo.toml"; PEER_PORT=6102 ;;
  # An older Ressò build (e.g. from `git worktree add`), to measure a change of ours.
  base)        PEER_CMD="${BASE_BIN:?set BASE_BIN} --config bench/resso.toml --port 6202"; PEER_PORT=6202 ;;
  # laravel-echo-server 1.6.3 (Socket.IO 2 server: EIO 3 only), published through its HTTP API.
  les)         cp bench/peers/laravel-echo-server.json "$LES_DIR/laravel-echo-server.json"
               redis-server --port 6391 --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
               REDIS_PID=$!; trap 'kill $REDIS_PID' EXIT
               PEER_CMD="node $LES_DIR/node_modules/laravel-echo-server/bin/server.js start --dir $LES_DIR --force"
               PEER_PORT=6301; OURS_OPTS="--protocol sio3"; PEER_OPTS="--protocol sio3 --publish-api echo" ;;
  # The same Ressò build and config on another port, its subscribers on Socket.IO.
  self-sio3|self-sio4)
               PEER_CMD="target/release/resso --config bench/resso.toml --port 6203"; PEER_PORT=6203
               PEER_OPTS="--protocol ${PEER#self-}" ;;
  *) echo "unknown peer $PEER" >&2; exit 2 ;;
esac
args_for() {
  case $1 in
    fanout100) echo "fanout -n 1000 -r 100 -d 10" ;;
    fanout200) echo "fanout -n 1000 -r 200 -d 10" ;;
    latency)   echo "latency -n 1000 -r 10 -d 10" ;;
    idle)      echo "idle -n 10000 -d 5 --connect-rate 100000" ;;
    knee)      echo "knee -n 1000 -d 5 --rates 100,200,300,400,500,600,800,1000,1200" ;;
    storm)     echo "storm -n 10000" ;;
  esac
}
for s in $SCENARIOS; do
  for i in $(seq "$RUNS"); do
    for who in ours peer; do
      if [ $who = ours ]; then cmd=$OURS; port=6201; opts=$OURS_OPTS
      else cmd=$PEER_CMD; port=$PEER_PORT; opts=$PEER_OPTS; fi
      echo "== $s run $i $who ($PEER)" >&2
      # shellcheck disable=SC2046,SC2086
      timeout 300 $BENCH $(args_for "$s") $opts --server-cmd "$cmd" --port $port --json "$OUT" -q || echo "!! failed: $s $i $who" >&2
      sleep 1
    done
  done
done
