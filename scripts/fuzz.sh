#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (see fuzz/README.md).
#   scripts/fuzz.sh smoke          every target over its seed corpus plus a few thousand runs (CI)
#   scripts/fuzz.sh long [RUNS]    every target for RUNS executions (default 10000000), with the
#                                  memory and length limits of docs/reliability.md; prints a summary
#   scripts/fuzz.sh list           the targets
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`, done here when missing). The toolchain is
# stable; RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z flags to it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
mode=${1:-smoke}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=$(cargo fuzz list)
limits=(-rss_limit_mb=2048 -malloc_limit_mb=512 -max_len=65536 -timeout=10)

case $mode in
  list) echo "$targets" ;;
  smoke)
    # A debug build without a sanitizer: quick to build on a fresh CI machine; the long run is the
    # optimized one.
    cargo fuzz build --dev --sanitizer none
    for t in $targets; do
      mkdir -p "work/$t"
      out=$(cargo fuzz run --dev --sanitizer none "$t" "work/$t" "corpus/$t" -- "${limits[@]}" -runs=20000 2>&1) ||
        { echo "$out" | tail -40; echo "fuzz target $t FAILED" >&2; exit 1; }
      echo "$t: $(echo "$out" | grep -E '^Done' | tail -1)"
    done
    echo "fuzz smoke: $(echo "$targets" | wc -w) targets, 0 crashes"
    ;;
  long)
    runs=${2:-10000000}
    # No sanitizer: the code under test forbids `unsafe`, so AddressSanitizer would find nothing
    # the Rust checks do not; libFuzzer's own RSS, malloc and time limits stay on.
    cargo fuzz build --sanitizer none
    for t in $targets; do
      mkdir -p "work/$t"
      start=$(date +%s)
      out=$(cargo fuzz run --sanitizer none "$t" "work/$t" "corpus/$t" -- "${limits[@]}" -runs="$runs" -print_final_stats=1 2>&1) ||
        { echo "$out" | tail -40; echo "fuzz target $t FAILED" >&2; exit 1; }
      execs=$(echo "$out" | sed -n 's/^stat::number_of_executed_units: *//p')
      rss=$(echo "$out" | sed -n 's/^stat::peak_rss_mb: *//p')
      echo "$t: $execs executions, $(( $(date +%s) - start )) s, peak RSS $rss MB, 0 crashes"
    done
    ;;
  *) echo "usage: $0 smoke|long [RUNS]|list" >&2; exit 2 ;;
esac
