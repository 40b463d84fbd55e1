#!/usr/bin/env bash
# check_cpu_ab.sh A B: banlistd CPU time per GET /v1/check (a negative,
# answered from the filter), two banlistd binaries alternating on one Redis,
# with redis-benchmark SISMEMBER in the same run as the reference. The machine
# is noisy, so A and B are measured round by round side by side; CPU per
# request (/proc/PID/stat utime+stime over the requests answered) is steadier
# than req/s when other work shares the cores. Figures, not a test.
# Environment: BANBENCH (banbench binary), ROUNDS (3), DURATION (s, 8),
# LOADER (wrk, the default when installed, with wrk_check.lua; or banbench),
# THREADS (banlistd --threads, 2), COUNT (bans seeded first through the ban
# script, and members of the SISMEMBER set; 0: none, a 1,000-member set).
set -euo pipefail
A=$1; B=$2; BANBENCH=${BANBENCH:-/work/main/build/tools/banbench/banbench}
ROUNDS=${ROUNDS:-3}; DURATION=${DURATION:-8}; THREADS=${THREADS:-2}; COUNT=${COUNT:-0}
LOADER=${LOADER:-$(command -v wrk >/dev/null && echo wrk || echo banbench)}
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d); RP=$((21000 + RANDOM % 5000)); HP=$((RP+1))
KEY="bench_admin_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
redis-server --port $RP --bind 127.0.0.1 --unixsocket $W/r.sock --dir $W --save '' --appendonly yes --appendfsync always --daemonize no --logfile $W/r.log & RPID=$!
trap 'kill $RPID 2>/dev/null; wait $RPID 2>/dev/null; rm -rf $W' EXIT
sleep 0.5
if (( COUNT > 0 )); then
  redis-cli -p $RP config set appendfsync no >/dev/null  # seeding only; the rounds fsync
  "$BANBENCH" seed --redis unix://$W/r.sock --count $COUNT --run-id 1 --concurrency 512 | grep RESULT
  redis-cli -p $RP config set appendfsync always >/dev/null
  # COUNT members of 32 hex digits, as many as the bans, 100,000 a script run.
  for ((first = 0; first < COUNT; first += 100000)); do
    redis-cli -p $RP eval "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do
        redis.call('SADD', 'bench:set', string.format('%032x', i * 2654435761))
      end return 0" 0 $first $(( (first + 100000 < COUNT ? first + 100000 : COUNT) - 1 )) >/dev/null
  done
  echo "bench:set: $(redis-cli -p $RP scard bench:set) members"
else
  redis-cli -p $RP sadd bench:set $(seq 1 1000) >/dev/null
fi
ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
for r in $(seq $ROUNDS); do
  for bin in "$A" "$B"; do
    BANLIST_ADMIN_KEY=$KEY "$bin" --listen 127.0.0.1:$HP --redis unix://$W/r.sock --threads $THREADS >$W/b.log 2>&1 & P=$!
    for _ in $(seq 300); do [[ $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$HP/readyz) == 200 ]] && break; sleep 0.1; done
    t0=$(ticks $P)
    if [[ $LOADER == wrk ]]; then
      out=$(BANLIST_KEY=$KEY wrk -t1 -c64 -d${DURATION}s --latency -s "$HERE/wrk_check.lua" http://127.0.0.1:$HP/)
      t1=$(ticks $P)
      n=$(echo "$out" | sed -n 's/ *\([0-9]*\) requests in.*/\1/p'); rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
      p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    else
      out=$("$BANBENCH" check --port $HP --key "$KEY" --connections 64 --duration $DURATION --warmup 0 2>&1 | grep RESULT)
      t1=$(ticks $P)
      n=$(echo "$out" | sed -n 's/.* ok=\([0-9]*\).*/\1/p'); rps=$(echo "$out" | sed -n 's/.* rps=\([0-9.]*\).*/\1/p'); p99=$(echo "$out" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
    fi
    echo "round $r $(basename $bin) ($LOADER): rps=$rps p99=$p99 cpu_us_per_req=$(echo "scale=2; ($t1-$t0)*10000/$n" | bc)"
    kill $P; wait $P 2>/dev/null || true
  done
  s=$(redis-benchmark -p $RP -c 64 -P 1 -n 400000 --csv sismember bench:set 5000 2>/dev/null | tail -1)
  echo "round $r redis SISMEMBER: $s"
done
