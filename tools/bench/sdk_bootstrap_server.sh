#!/usr/bin/env bash
# Bootstrap of the partner SDK against a real banlistd on a seeded Redis
# (docs/benchmarks.md, "Partner SDK: bootstrap from a seeded banlistd").
#
# Usage: tools/bench/sdk_bootstrap_server.sh REDIS_SOCKET [MODES...]
#   REDIS_SOCKET: unix socket of a running redis-server seeded with
#   `banbench seed` (the data dir is kept outside the repo so that a seed of
#   millions of bans is made once). MODES: filter (default) and/or replica.
# Env: BUILD (build dir, default ./build), PORT (default 18480).
# Starts banlistd (Release, --threads 2) on 127.0.0.1, times /readyz and the
# first GET /v1/snapshot that is not 503 (the first snapshot build), then
# runs sdk_bootstrap_bench --url against it, and stops banlistd.
set -euo pipefail
SOCK=${1:?redis unix socket}
shift
MODES=("${@:-filter}")
BUILD=${BUILD:-$(pwd)/build}
PORT=${PORT:-18480}
KEY=bench-admin-key-0123456789
LOG=$(mktemp /tmp/banlistd-bootstrap.XXXXXX.log)

t0=$(date +%s.%N)
BANLIST_ADMIN_KEY=$KEY "$BUILD/service/src/banlistd" --listen "127.0.0.1:$PORT" \
  --redis "unix://$SOCK" --threads 2 >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz") == 200 ]]; do
  sleep 0.1
  kill -0 $PID 2>/dev/null || { cat "$LOG" >&2; exit 1; }
done
t1=$(date +%s.%N)
for target in /v1/snapshot '/v1/snapshot?format=fps'; do
  until code=$(curl -s -o /tmp/banlist-snap.$$ -w '%{http_code}' -H "Authorization: Bearer $KEY" \
      "http://127.0.0.1:$PORT$target") && [[ $code != 503 ]]; do
    sleep 0.1
  done
  t2=$(date +%s.%N)
  echo "first $target: HTTP $code, $(stat -c %s /tmp/banlist-snap.$$) bytes," \
       "$(echo "$t2 - $t1" | bc) s after /readyz"
done
rm -f /tmp/banlist-snap.$$
echo "banlistd start to /readyz: $(echo "$t1 - $t0" | bc) s; load $(cut -d' ' -f1-3 /proc/loadavg)"
BANLIST_KEY=$KEY "$BUILD/tools/bench/sdk_bootstrap_bench" --url "http://127.0.0.1:$PORT" "${MODES[@]}"
