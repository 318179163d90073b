#!/usr/bin/env bash
# The Debian package end to end, on this machine (needs root, dpkg and curl):
#   build the release binary and the .deb (cargo-deb, installed first if missing) → dpkg -i →
#   check the installed files, user and conffiles → start the unit's ExecStart line as the unit's
#   User, with its EnvironmentFile (systemd does not run in CI), on a free port set in
#   /etc/default/resso → GET /up → tests/compat/test/package.test.js (pusher-js + the HTTP API) →
#   SIGTERM → dpkg --purge, and the machine is as before.
# Usage, from the repository root: bash scripts/package-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
fail() { echo "package-test: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"
command -v curl >/dev/null || fail "needs curl"
if dpkg-query -W -f='${Status}' resso 2>/dev/null | grep -q 'installed'; then
  fail "a resso package is already installed here; remove it first (dpkg --purge resso)"
fi
had_user=false
getent passwd resso >/dev/null && had_user=true

step "building the release binary and the .deb"
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked
cargo build --release --locked -p resso-server --bin resso
rm -rf target/debian
cargo deb -p resso-server --no-build
deb=$(ls target/debian/resso_*.deb)
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
ls -l target/release/resso "$deb"

server_pid=
logs=$(mktemp)
cleanup() {
  status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid"; fi
  if dpkg-query -W resso >/dev/null 2>&1; then dpkg --purge resso >/dev/null || status=1; fi
  if ! $had_user && getent passwd resso >/dev/null; then userdel resso || status=1; fi
  if ! $had_user && getent group resso >/dev/null; then groupdel resso || status=1; fi
  [ $status = 0 ] || { echo "--- server output:"; cat "$logs"; } >&2
  rm -f "$logs"
  exit $status
}
trap cleanup EXIT

step "dpkg -i $deb"
dpkg -i "$deb"

step "checking what was installed"
unit=/usr/lib/systemd/system/resso.service
for f in /usr/bin/resso "$unit" /etc/resso/resso.toml /etc/default/resso; do
  [ -f "$f" ] || fail "$f is missing"
done
/usr/bin/resso --version
getent passwd resso >/dev/null || fail "no resso user"
[ "$(stat -c '%U:%G %a' /etc/resso/resso.toml)" = "root:resso 640" ] ||
  fail "/etc/resso/resso.toml is $(stat -c '%U:%G %a' /etc/resso/resso.toml), not root:resso 640"
conffiles=$(dpkg-query -W -f='${Conffiles}' resso)
for f in /etc/resso/resso.toml /etc/default/resso; do
  grep -q " $f " <<<"$conffiles" || fail "$f is not a conffile"
done
if command -v systemd-analyze >/dev/null; then systemd-analyze verify "$unit"; fi
/usr/bin/resso config check --config /etc/resso/resso.toml --env-file /etc/default/resso |
  grep -x '# resso config check: the configuration is valid.'

step "starting the unit's ExecStart as its User, with its EnvironmentFile"
unit_value() { sed -n "s/^$1=//p" "$unit" | tail -1; }
exec_start=$(unit_value ExecStart)
user=$(unit_value User)
env_file=$(unit_value EnvironmentFile)
env_file=${env_file#-}
nofile=$(unit_value LimitNOFILE)
mapfile -t unit_env < <(sed -n 's/^Environment=//p' "$unit")
[ "$exec_start" = "/usr/bin/resso --config /etc/resso/resso.toml" ] || fail "unexpected ExecStart: $exec_start"
[ "$env_file" = /etc/default/resso ] || fail "unexpected EnvironmentFile: $env_file"
# A free port, set where an administrator would: the environment file.
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
echo "RESSO_PORT=$port" >>"$env_file"
# systemd's clean environment plus the unit's Environment= and the file's variables; the unit's
# descriptor limit as far as this shell's hard limit allows; no new privileges, no capabilities;
# killed if this script dies.
# shellcheck disable=SC2016
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${unit_env[@]}" \
  NOFILE="$nofile" ENV_FILE="$env_file" RUN_AS="$user" \
  bash -c 'set -a; . "$ENV_FILE"; set +a
    hard=$(ulimit -Hn)
    if [ "$hard" != unlimited ] && [ "$NOFILE" -gt "$hard" ]; then ulimit -n "$hard"; else ulimit -n "$NOFILE"; fi
    exec setpriv --reuid="$RUN_AS" --regid="$RUN_AS" --init-groups --no-new-privs \
      --inh-caps=-all --bounding-set=-all --pdeathsig=KILL -- '"$exec_start" >"$logs" 2>&1 &
server_pid=$!

base=http://127.0.0.1:$port
for _ in $(seq 100); do
  curl -fsS "$base/up" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited"
  sleep 0.1
done
curl -fsS "$base/up" || fail "no answer from $base/up"
echo
[ "$(ps -o user= -p "$server_pid")" = "$user" ] || fail "the server does not run as $user"

step "pusher-js and the HTTP API against the installed server"
if [ ! -d tests/compat/node_modules/pusher-js ]; then
  (cd tests/compat && npm ci --no-audit --no-fund --loglevel=error)
fi
tap=$(mktemp)
(cd tests/compat && RESSO_PACKAGE_URL=$base node --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" test/package.test.js)
grep -qx '# skipped 0' "$tap" && grep -qx '# fail 0' "$tap" && ! grep -qx '# pass 0' "$tap" ||
  { rm -f "$tap"; fail "package.test.js did not run all its tests"; }
rm -f "$tap"

step "SIGTERM: the server exits cleanly"
kill -TERM "$server_pid"
code=0
wait "$server_pid" || code=$?
server_pid=
[ $code = 0 ] || fail "the server exited with $code after SIGTERM"
cat "$logs"
! grep -q $'\e' "$logs" || fail "terminal colour codes in the log (the unit sets NO_COLOR=1)"

step "dpkg --purge resso"
dpkg --purge resso
for f in /usr/bin/resso "$unit" /etc/resso /etc/default/resso; do
  [ ! -e "$f" ] || fail "$f is still there after the purge"
done
! dpkg-statoverride --list /etc/resso/resso.toml >/dev/null || fail "the statoverride is still there"

step "package test passed in $((SECONDS - started)) s"
