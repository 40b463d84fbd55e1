#!/bin/sh
# The partner's path end to end: install the SDK into a fresh prefix
# (cmake --install, component sdk), build the example out of tree with
# find_package(banlist_sdk) and with pkg-config, start a banlistd (own
# embedded redis-server), ban two accounts through the HTTP API, and gate
# sign-ups with both builds of the example, checking every decision.
#
# Usage: install_test.sh BUILD_DIR SOURCE_DIR BANLISTD MODE(cmake|pkg-config)
set -eu
build=$1 source=$2 banlistd=$3 how=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/banlist-sdk-install.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" --component sdk >/dev/null
for f in include/banlist/sdk/client.hpp include/banlist/bloom/fingerprint.hpp \
         lib/libbanlist_sdk.a lib/libbanlist_sdk_protocol.a lib/libbanlist_bloom.a \
         lib/cmake/banlist_sdk/banlist_sdkConfig.cmake lib/pkgconfig/banlist_sdk.pc; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done

# The example, copied out of the source tree as a partner would.
mkdir -p "$work/app"
cp "$prefix/share/banlist_sdk/examples/registration_gate.cpp" \
   "$prefix/share/banlist_sdk/examples/CMakeLists.txt" "$work/app/"
case $how in
  cmake)
    cmake -S "$work/app" -B "$work/app/build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "configure"; }
    cmake --build "$work/app/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }
    gate=$work/app/build/registration_gate
    ;;
  pkg-config)
    flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs banlist_sdk) \
      || fail "pkg-config"
    # shellcheck disable=SC2086
    c++ -std=c++2b -O1 -o "$work/app/registration_gate" "$work/app/registration_gate.cpp" $flags \
      >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }
    gate=$work/app/registration_gate
    ;;
  *) fail "mode must be cmake or pkg-config" ;;
esac

# A live banlistd with its own embedded redis-server.
admin=admin-key-for-the-install-test-0123
: >"$work/banlistd.log"  # exists before the loop below reads it (the child may start late)
BANLIST_ADMIN_KEY=$admin "$banlistd" --listen 127.0.0.1:0 --data "$work/data" \
  --threads 1 --filter-capacity 1000 >"$work/banlistd.log" 2>&1 &
pid=$!
# Port 0: the OS picks a free port; banlistd prints it.
i=0 port=""
while [ -z "$port" ]; do
  port=$(sed -n 's/^banlistd: listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/banlistd.log")
  i=$((i + 1)); [ $i -lt 300 ] || { cat "$work/banlistd.log"; fail "banlistd did not start"; }
  [ -n "$port" ] || sleep 0.1
done
url=http://127.0.0.1:$port
i=0
until curl -fs "$url/readyz" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 200 ] || { cat "$work/banlistd.log"; fail "banlistd not ready"; }
  sleep 0.1
done
curl -fs -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"type":"phone","value":"13800138000","reason":"telecom_fraud"}' "$url/v1/bans" >/dev/null \
  || fail "ban phone"
curl -fs -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"type":"email","value":"scammer@example.com","reason":"phishing"}' "$url/v1/bans" >/dev/null \
  || fail "ban email"
partner=$(curl -fs -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"role":"partner","name":"install test"}' "$url/v1/keys" \
  | sed -n 's/.*"key":"\([^"]*\)".*/\1/p') || fail "partner key"
[ -n "$partner" ] || fail "partner key"


signups='phone +86 138 0013 8000
email Scammer@Example.com
email friend@example.com
phone 13900139000
id_card 123
fax 555'
expected='deny    phone +86 138 0013 8000 telecom_fraud
deny    email Scammer@Example.com phishing
allow   email friend@example.com
allow   phone 13900139000
review  id_card 123 invalid-value
review  fax 555 unreadable-line'
for mode in replica filter; do
  out=$(printf '%s\n' "$signups" | BANLIST_KEY=$partner "$gate" "$url" "$work/store-$mode" "$mode" \
    2>"$work/gate.err") || { cat "$work/gate.err"; fail "registration_gate ($mode) exited non-zero"; }
  if [ "$out" != "$expected" ]; then
    echo "expected:"; echo "$expected"; echo "got:"; echo "$out"; cat "$work/gate.err"
    fail "decisions ($mode)"
  fi
  [ -f "$work/store-$mode/replica.snapshot" ] || fail "no stored replica ($mode)"
done
echo "ok: installed SDK, example built with $how, decisions as expected in both modes"
