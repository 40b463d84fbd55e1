#!/usr/bin/env bash
# ready_ab.sh SOCK A [B ...]: time from banlistd start to /readyz 200 and to
# its first snapshot, on an already seeded Redis (unix socket SOCK), for each
# banlistd binary in turn, ROUNDS times alternating. Prints wall seconds,
# banlistd CPU seconds at /readyz and peak RSS (VmHWM). Figures, not a test.
# Environment: ROUNDS (1), PORT (18481).
set -euo pipefail
SOCK=$1; shift
ROUNDS=${ROUNDS:-1}; PORT=${PORT:-18481}
KEY=bench-admin-key-0123456789
for r in $(seq "$ROUNDS"); do
  for bin in "$@"; do
    log=$(mktemp /tmp/ready-ab.XXXXXX.log)
    t0=$(date +%s.%N)
    BANLIST_ADMIN_KEY=$KEY "$bin" --listen "127.0.0.1:$PORT" --redis "unix://$SOCK" \
      --threads 2 >"$log" 2>&1 &
    pid=$!
    until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz") == 200 ]]; do
      sleep 0.05
      kill -0 $pid 2>/dev/null || { cat "$log" >&2; exit 1; }
    done
    t1=$(date +%s.%N)
    cpu=$(awk '{printf "%.1f", ($14 + $15) / 100}' /proc/$pid/stat)
    until [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" \
        "http://127.0.0.1:$PORT/v1/snapshot") == 200 ]]; do
      sleep 0.1
    done
    t2=$(date +%s.%N)
    hwm=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' /proc/$pid/status)
    echo "round $r $(basename "$bin"): ready $(echo "$t1 - $t0" | bc) s (cpu $cpu s)," \
         "first snapshot +$(echo "$t2 - $t1" | bc) s, peak RSS $hwm MB," \
         "load $(cut -d' ' -f1 /proc/loadavg)"
    kill $pid; wait $pid 2>/dev/null || true
    rm -f "$log"
  done
done
