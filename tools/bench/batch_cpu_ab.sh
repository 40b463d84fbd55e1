#!/usr/bin/env bash
# batch_cpu_ab.sh A B: banlistd CPU time per fingerprint of a JSON
# POST /v1/check (10,000 fingerprints a request, all negatives), two banlistd
# binaries alternating on one Redis. CPU per item (/proc/PID/stat utime+stime
# over the items answered) is what "fingerprints per second per core" means,
# and it is steadier than the end-to-end rate, which the JSON load generator
# on the same cores bounds. Figures, not a test.
# Environment: BANBENCH (banbench binary), ROUNDS (3), REQUESTS (1500 per
# round and binary), CONNECTIONS (2), THREADS (banlistd --threads, 2),
# BINARY (1: the binary request form instead of JSON).
set -euo pipefail
A=$1; B=$2; BANBENCH=${BANBENCH:-/work/main/build/tools/banbench/banbench}
ROUNDS=${ROUNDS:-3}; REQUESTS=${REQUESTS:-1500}; CONNECTIONS=${CONNECTIONS:-2}
THREADS=${THREADS:-2}; ITEMS=10000
W=$(mktemp -d); RP=$((21000 + RANDOM % 5000)); HP=$((RP+1))
KEY="bench_admin_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
redis-server --port $RP --bind 127.0.0.1 --unixsocket $W/r.sock --dir $W --save '' --appendonly no --daemonize no --logfile $W/r.log & RPID=$!
trap 'kill $RPID 2>/dev/null; wait $RPID 2>/dev/null; rm -rf $W' EXIT
sleep 0.5
ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
load() {
  "$BANBENCH" batch-check --port $HP --key "$KEY" --connections $CONNECTIONS --items $ITEMS \
    --count "$1" ${BINARY:+--binary} 2>&1 | grep RESULT
}
for r in $(seq $ROUNDS); do
  for bin in "$A" "$B"; do
    BANLIST_ADMIN_KEY=$KEY "$bin" --listen 127.0.0.1:$HP --redis unix://$W/r.sock --threads $THREADS >$W/b.log 2>&1 & P=$!
    for _ in $(seq 300); do [[ $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$HP/readyz) == 200 ]] && break; sleep 0.1; done
    load 30 >/dev/null  # warm: allocator, parser buffers, key memo
    t0=$(ticks $P)
    out=$(load $REQUESTS)
    t1=$(ticks $P)
    fps=$(echo "$out" | sed -n 's/.* items_per_s=\([0-9.]*\).*/\1/p'); p99=$(echo "$out" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
    ns=$(( (t1 - t0) * 10000000 / (REQUESTS * ITEMS) ))
    echo "round $r $bin: end_to_end_fps=$fps p99_ms=$p99 cpu_ns_per_fp=$ns per_cpu_second=$(( 1000000000 / (ns > 0 ? ns : 1) ))"
    kill $P; wait $P 2>/dev/null || true
  done
done
