#!/usr/bin/env bash
# Sets up and runs Ressò's whole test suite on a fresh Debian machine:
#   lint (layering, rustfmt, clippy) → Rust unit + integration tests (the cluster tests start their own
#   redis-server and nats-server processes, the app-store tests their own PostgreSQL and MariaDB) → a short run of every fuzz target → a seconds-long
#   smoke of the benchmark harness and its 60-second soak → compat tests with the real npm packages (pusher-js,
#   laravel-echo, pusher; the debug console in headless Chromium) → the Python
#   `pusher` SDK test → the chat example with pusher-js → the CSV-export demo end to end in headless
#   Chromium → resso-broadcasting packaged as it would be published → the Debian package
#   built, installed, run and purged (scripts/package-test.sh; needs root).
# Installs what it needs (Debian packages, npm packages from the lock file, a Python venv).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

need_apt=()
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
command -v python3 >/dev/null || need_apt+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v nats-server >/dev/null || need_apt+=(nats-server)
# The app-store tests (tests/store) start their own PostgreSQL and MariaDB servers.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v mariadb-install-db >/dev/null || need_apt+=(mariadb-server)
# Laravel's own RedisBroadcaster for tests/compat/test/laravel-redis.test.js.
command -v php >/dev/null || need_apt+=(php-cli)
php -r 'exit(stream_resolve_include_path("Illuminate/autoload.php") ? 0 : 1);' 2>/dev/null ||
  need_apt+=(php-laravel-framework)
php -m 2>/dev/null | grep -qx redis || need_apt+=(php-redis)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v curl >/dev/null || need_apt+=(curl)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || need_apt+=(python3-aiosmtpd)
if [ ${#need_apt[@]} -gt 0 ]; then
  step "installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}"
fi

step "format and lint"
python3 scripts/layers.py
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust unit and integration tests"
cargo test --workspace --locked

step "fuzz smoke: every cargo-fuzz target over its seed corpus (fuzz/README.md)"
bash scripts/fuzz.sh smoke

step "building the resso binary for the harness smoke and the compat tests"
cargo build --locked -p resso-server -p resso-bench --bins
export RESSO_BIN="$root/target/debug/resso"
# resso-broadcasting's app for tests/compat/test/broadcasting.test.js
cargo build --locked -p resso-broadcasting --example compat_server

step "benchmark harness smoke (no timing assertions)"
target/debug/resso-bench smoke

step "soak, 60 s: churn + slow consumers; RSS flat, fds/tasks back, no lost delivery (docs/reliability.md)"
target/debug/resso-bench soak --duration 60 --churners 20 --subs 20 --sample-every 2 --quiet

step "compat tests: pusher-js, laravel-echo, pusher (npm)"
(cd tests/compat && npm ci --no-audit --no-fund --loglevel=error && npm test)

step "compat tests: pusher (PyPI)"
venv="$root/tests/compat/python/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r tests/compat/python/requirements.txt
"$venv/bin/python" -m pytest -q tests/compat/python

step "chat example: two pusher-js users against a real Ressò (presence and private channels)"
cargo build --locked -p chat
(cd examples/chat && npm ci --no-audit --no-fund --loglevel=error \
  && CHAT_BIN="$root/target/debug/chat" npm test)

step "CSV-export demo end to end: headless Chromium, redis-server, aiosmtpd"
cargo build --locked -p csv-export
(cd examples/csv-export && npm ci --no-audit --no-fund --loglevel=error \
  && CSV_EXPORT_BIN="$root/target/debug/csv-export" npm test)

step "resso-broadcasting ready to publish: cargo publish --dry-run (with resso-protocol, which it needs)"
# Packaging, metadata, readme, licence and that every dependency resolves from the registry (path
# dependencies carry versions). --no-verify: the crate's build and tests have run above; a verified
# dry-run builds every dependency again from the packaged sources (minutes on this machine).
cargo publish --dry-run --no-verify --allow-dirty --locked -p resso-protocol -p resso-broadcasting

step "Debian package: build (release), dpkg -i, the installed binary with pusher-js, dpkg --purge"
bash scripts/package-test.sh

step "all tests passed"
