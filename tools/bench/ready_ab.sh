#!/usr/bin/env bash
# ready_ab.sh SOCK A [B ...]: time from banlistd start to /readyz 200 and to
# its first snapshot, on an already seeded Redis (unix socket SOCK), for each
# banlistd binary in turn, ROUNDS times alternating. Prints wall seconds,
# banlistd CPU seconds at /readyz, peak RSS (VmHWM) and RSS 5 s after the
# first snapshot. Figures, not a test.
# Environment: ROUNDS (1), PORT (18481), ARGS (more banlistd flags, e.g.
# "--checkpoint /path/checkpoint.fps"; the checkpoint is written after the
# first snapshot, so wait for its log line before the next round).
set -euo pipefail
SOCK=$1; shift
ROUNDS=${ROUNDS:-1}; PORT=${PORT:-18481}
KEY=bench-admin-key-0123456789
for r in $(seq "$ROUNDS"); do
  for bin in "$@"; do
    log=$(mktemp /tmp/ready-ab.XXXXXX.log)
    t0=$(date +%s.%N)
    BANLIST_ADMIN_KEY=$KEY "$bin" --listen "127.0.0.1:$PORT" --redis "unix://$SOCK" \
      --threads 2 ${ARGS:-} >"$log" 2>&1 &
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
    sleep 5
    hwm=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' /proc/$pid/status)
    rss=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$pid/status)
    if [[ -n ${ARGS:-} ]]; then
      for _ in $(seq 600); do grep -q "checkpoint written" "$log" && break; sleep 0.1; done
    fi
    echo "round $r $(basename "$bin"): ready $(echo "$t1 - $t0" | bc) s (cpu $cpu s)," \
         "first snapshot +$(echo "$t2 - $t1" | bc) s, peak RSS $hwm MB, RSS $rss MB," \
         "load $(cut -d' ' -f1 /proc/loadavg)"
    grep -E "checkpoint|filter built" "$log" | sed 's/^/    /' || true
    kill $pid; wait $pid 2>/dev/null || true
    rm -f "$log"
  done
done
