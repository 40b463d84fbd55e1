#!/usr/bin/env bash
# import_bench.sh: the issue-7 import figure. Starts banlistd with its
# embedded redis-server (appendfsync always) in a temp dir, generates a CSV of
# LINES realistic bans (2/3 CN mobiles, 1/3 e-mails, 1% invalid phones), sends
# it to POST /v1/bans/import?confirm=true with curl, and prints the rate and
# banlistd's RSS before, at the peak during, and after the import (memory
# must be flat in the file size). Figures, not a test.
#
# Environment: BUILD (default /work/main/build), LINES (1000000), THREADS (2),
# REDIS_STATS, REDIS_CONFIG, PERF_OUT (see below).
set -euo pipefail
BUILD=${BUILD:-/work/main/build}
LINES=${LINES:-1000000}
THREADS=${THREADS:-2}
BANLISTD=$BUILD/service/src/banlistd
[[ -x $BANLISTD ]] || { echo "missing $BANLISTD (ninja -C $BUILD banlistd)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/import-bench.XXXXXX)
PORT=$((30000 + RANDOM % 10000))
KEY="bench_admin_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PID=""
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# Distinct values per run (the run id), so every valid line is a new ban.
RUN=$(date +%s%N | tail -c 7)
awk -v n="$LINES" -v run="$RUN" 'BEGIN {
  print "type,value,reason,case_id,note";
  for (i = 0; i < n; i++) {
    if (i % 100 == 99) { printf "phone,12%09d,telecom_fraud,C-%d,bad number\n", i, i % 977; continue }
    if (i % 3 == 2) printf "email,u%s.%d@example.com,phishing,C-%d,reported by three users\n", run, i, i % 977;
    else printf "phone,+86 13%d%08d,telecom_fraud,C-%d,scam calls about parcels\n", i % 10, (run * 7919 + i) % 100000000, i % 977;
  }
}' >"$WORK/bans.csv"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "file: $LINES lines, $(du -h "$WORK/bans.csv" | cut -f1)"

BANLIST_ADMIN_KEY=$KEY "$BANLISTD" --listen "127.0.0.1:$PORT" --data "$WORK/data" \
  --threads "$THREADS" >"$WORK/banlistd.log" 2>&1 &
PID=$!
for _ in $(seq 400); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz") == 200 ]] && break
  sleep 0.05
done
RSS0=$(rss_kb "$PID")
PEAK=$RSS0
( while kill -0 "$PID" 2>/dev/null; do r=$(rss_kb "$PID" 2>/dev/null || echo 0); echo "$r"; sleep 0.5; done ) >"$WORK/rss.txt" &
SAMPLER=$!
cpu_s() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }
REDIS_PID=$(pgrep -P "$PID" redis-server || true)
C0=$(cpu_s "$PID"); R0=$(cpu_s "$REDIS_PID")
# REDIS_STATS=1: Redis's per-command CPU (INFO commandstats, commands run
# inside scripts included) for the import alone, most expensive first.
SOCK=$(find "$WORK/data" -name '*.sock' | head -n 1)
[[ -n ${REDIS_STATS:-} ]] && redis-cli -s "$SOCK" CONFIG RESETSTAT >/dev/null
# REDIS_CONFIG="name value": a CONFIG SET on the embedded Redis before the
# import, for diagnosis (e.g. "appendfsync everysec": what the fsyncs cost).
[[ -n ${REDIS_CONFIG:-} ]] && redis-cli -s "$SOCK" CONFIG SET ${REDIS_CONFIG} >/dev/null
T0=$(date +%s.%N)
if [[ -n ${PERF_OUT:-} ]]; then
  perf record ${PERF_ARGS:--g} -o "$PERF_OUT" -p "$PID" 2>/dev/null &
  PERF_PID=$!
  [[ -n $REDIS_PID ]] && { perf record -g -o "$PERF_OUT.redis" -p "$REDIS_PID" 2>/dev/null & PERF2_PID=$!; }
fi
curl -s -X POST -H "Authorization: Bearer $KEY" -H "Content-Type: text/csv" \
  "http://127.0.0.1:$PORT/v1/bans/import?confirm=true" -T "$WORK/bans.csv" -o "$WORK/out.ndjson"
T1=$(date +%s.%N)
if [[ -n ${PERF_OUT:-} ]]; then kill -INT "$PERF_PID" ${PERF2_PID:-}; wait "$PERF_PID" ${PERF2_PID:-} 2>/dev/null || true; fi
RSS1=$(rss_kb "$PID")
C1=$(cpu_s "$PID"); R1=$(cpu_s "$REDIS_PID")
echo "CPU seconds during the import: banlistd $(echo "$C1 - $C0" | bc), redis-server $(echo "$R1 - $R0" | bc)"
kill "$SAMPLER" 2>/dev/null || true
if [[ -n ${REDIS_STATS:-} ]]; then
  redis-cli -s "$SOCK" INFO commandstats | tr -d '\r' | grep '^cmdstat_' |
    sed 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),usec=\([0-9]*\),.*/\3 \2 \1/' | sort -rn |
    awk '{printf "redis %-12s calls=%-9d usec=%-10d usec_per_line=%.2f\n", $3, $2, $1, $1 / '"$LINES"'}'
fi
PEAK=$(sort -n "$WORK/rss.txt" | tail -1)
SECONDS_TAKEN=$(echo "$T1 - $T0" | bc)
tail -n 1 "$WORK/out.ndjson"
CREATED=$(grep -c '"status":"created"' "$WORK/out.ndjson" || true)
REJECTED=$(grep -c '"status":"rejected"' "$WORK/out.ndjson" || true)
printf 'RESULT lines=%d created=%d rejected=%d seconds=%.2f lines_per_s=%.0f created_per_s=%.0f rss_before_mb=%.1f rss_peak_mb=%.1f rss_after_mb=%.1f\n' \
  "$LINES" "$CREATED" "$REJECTED" "$SECONDS_TAKEN" "$(echo "$LINES / $SECONDS_TAKEN" | bc -l)" \
  "$(echo "$CREATED / $SECONDS_TAKEN" | bc -l)" "$(echo "$RSS0 / 1024" | bc -l)" \
  "$(echo "$PEAK / 1024" | bc -l)" "$(echo "$RSS1 / 1024" | bc -l)"
