#!/usr/bin/env bash
# service_bench.sh: the issue-3 service benchmark in one run on this machine.
#
# Starts its own redis-server (AOF, appendfsync always, the listpack and
# stream node limits banlistd sets on its embedded Redis) and banlistd (Release
# build) on loopback, seeds bans through `banbench seed` (the real ban
# script), then measures side by side:
#   - GET /v1/check negatives, 64 keep-alive connections (wrk with
#     wrk_check.lua when wrk is installed, and banbench)  vs
#     redis-benchmark -c 64 -P 1 SISMEMBER on a 1M-member set (and HEXISTS on
#     a bucket of the records, the real keys), alternating, ROUNDS times;
#   - POST /v1/check batches of 10,000 fingerprints (fps/s, and per banlistd
#     CPU-second);
#   - POST /v1/bans at 64 connections with appendfsync always;
#   - memory per ban in Redis (INFO used_memory delta, MEMORY USAGE per key
#     type) and in banlistd (RSS delta against an empty instance);
#   - with BANLIST_BENCH_10M=1: 10M bans, time to /readyz 200, RSS vs filter.
# Prints a table at the end. Figures, not a test: nothing here asserts.
#
# Environment: BUILD (default /work/build-bench), COUNT (1000000), ROUNDS (3),
# DURATION (seconds per HTTP run, 10), THREADS (banlistd --threads, 2),
# CLIENT_THREADS (banbench --threads, 1), BANLIST_BENCH_10M (0).
set -euo pipefail

BUILD=${BUILD:-/work/build-bench}
COUNT=${COUNT:-1000000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CLIENT_THREADS=${CLIENT_THREADS:-1}
BIG=${BANLIST_BENCH_10M:-0}
WRK=$(command -v wrk || true)  # apt install wrk; without it only banbench loads the check
HERE=$(cd "$(dirname "$0")" && pwd)
BANLISTD=$BUILD/service/src/banlistd
BANBENCH=$BUILD/tools/banbench/banbench
for bin in "$BANLISTD" "$BANBENCH"; do
  [[ -x $bin ]] || { echo "missing $bin (ninja -C $BUILD banlistd banbench)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/service-bench.XXXXXX)
KEY="bench_admin_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
REDIS_PORT=$((20000 + RANDOM % 10000))
HTTP_PORT=$((REDIS_PORT + 1))
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "n/a"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }  # value of key=... in a RESULT line
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# wrk --latency prints "99%  1.07ms" (or us, or s): the p99 in ms.
wrk_p99_ms() {
  awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
    print (u == "us" ? v / 1000 : (u == "s" ? v * 1000 : v)) }' "$1"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

start_redis() {  # $1: data dir
  mkdir -p "$1"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --unixsocket "$1/redis.sock" \
    --unixsocketperm 700 --dir "$1" --appendonly yes --appendfsync always --save '' \
    --hash-max-listpack-entries 512 --hash-max-listpack-value 1024 \
    --stream-node-max-bytes 8192 --stream-node-max-entries 500 \
    --daemonize no --logfile "$1/redis.log" &
  PIDS+=($!)
  REDIS_PID=$!
  for _ in $(seq 100); do rcli ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "redis-server did not start" >&2; exit 1
}

start_banlistd() {  # $1: data dir, $2: key prefix; sets BANLISTD_PID, READY_S
  local t0 t1
  t0=$(date +%s.%N)
  BANLIST_ADMIN_KEY=$KEY "$BANLISTD" --listen "127.0.0.1:$HTTP_PORT" \
    --redis "unix://$1/redis.sock" --key-prefix "$2" --threads "$THREADS" \
    >"$WORK/banlistd-$2.log" 2>&1 &
  BANLISTD_PID=$!
  PIDS+=($BANLISTD_PID)
  for _ in $(seq 1200); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/readyz") == 200 ]]; then
      t1=$(date +%s.%N)
      READY_S=$(echo "$t1 - $t0" | bc)
      return
    fi
    sleep 0.05
  done
  echo "banlistd did not become ready" >&2; cat "$WORK/banlistd-$2.log" >&2; exit 1
}

stop_banlistd() {
  kill -TERM "$BANLISTD_PID"; wait "$BANLISTD_PID" 2>/dev/null || true
}

filter_bytes() { curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^banlist_filter_bits / {printf "%.0f", $2 / 8}'; }

log "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
start_redis "$WORK/redis"

# --- empty banlistd: RSS baseline ---------------------------------------
start_banlistd "$WORK/redis" "empty:"
sleep 1
RSS_EMPTY_KB=$(rss_kb "$BANLISTD_PID")
stop_banlistd

# --- seed COUNT bans through the ban script; Redis memory per ban -------
rcli set bl:seed_probe 1 >/dev/null; rcli del bl:seed_probe >/dev/null
MEM0=$(rcli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
log "seeding $COUNT bans (banbench seed, appendfsync always)"
SEED_OUT=$("$BANBENCH" seed --redis "unix://$WORK/redis/redis.sock" --count "$COUNT" \
  --run-id 1 --concurrency 512 --fps-out "$WORK/fps.txt" --fps-out-limit 100000 | tee /dev/stderr)
SEED_RATE=$(grep '^RESULT' <<<"$SEED_OUT" | field bans_per_s)
SEED_S=$(grep '^RESULT' <<<"$SEED_OUT" | field seconds)
MEM1=$(rcli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
REDIS_BYTES_PER_BAN=$(( (MEM1 - MEM0) / COUNT ))
# What each key type costs, per ban (MEMORY USAGE, SAMPLES 0 = exact).
KEY_COSTS=""
# The records' 65,536 bucket hashes (packed records): the first 256
# measured, per record they hold.
rec_sum=0; rec_n=0
for b in $(seq 0 255); do
  used=$(rcli memory usage "bl:rec:$(printf '%04x' "$b")" samples 0)
  rec_sum=$((rec_sum + ${used:-0}))
  rec_n=$((rec_n + $(rcli hlen "bl:rec:$(printf '%04x' "$b")")))
done
KEY_COSTS+="bl:rec:* record buckets $((rec_sum / (rec_n > 0 ? rec_n : 1))) B/ban (256 of 65,536 measured); "
# The listing order's buckets, 128 seqs each: the first 256 measured.
order_sum=0
for b in $(seq 0 255); do
  used=$(rcli memory usage "bl:bans:$b" samples 0)
  order_sum=$((order_sum + ${used:-0}))
done
KEY_COSTS+="bl:bans:* order buckets $((order_sum / (256 * 128))) B/ban (256 measured); "
for k in log audit; do
  bytes=$(rcli memory usage "bl:$k" samples 0)
  KEY_COSTS+="bl:$k $((bytes / COUNT)) B/ban; "
done
AOF_BYTES=$(du -sb "$WORK/redis/appendonlydir" 2>/dev/null | cut -f1 || echo 0)

# --- the 1M-member set for redis-benchmark SISMEMBER --------------------
log "building bench:set ($COUNT members) for SISMEMBER"
# The banned fingerprints in hex, as a partner would ask for them, copied
# inside Redis from the listing order (its values hold raw bytes since
# layout 6), 64 order buckets per script run.
for ((b = 0; b <= COUNT / 128; b += 64)); do
  rcli eval "for b = tonumber(ARGV[1]), tonumber(ARGV[2]) do
      for _, v in ipairs(redis.call('HVALS', 'bl:bans:' .. b)) do
        local fp = string.sub(v, 1, 32)
        if #v == 19 then fp = string.format(string.rep('%02x', 16), string.byte(v, 1, 16)) end
        redis.call('SADD', 'bench:set', fp)
      end
    end
    return 0" 0 "$b" "$((b + 63))" >/dev/null
done
log "bench:set has $(rcli scard bench:set) members"

# --- banlistd on the seeded list -----------------------------------------
start_banlistd "$WORK/redis" "bl:"
READY_1M_S=$READY_S
sleep 1
RSS_1M_KB=$(rss_kb "$BANLISTD_PID")
FILTER_1M=$(filter_bytes)
BANLISTD_BYTES_PER_BAN=$(( (RSS_1M_KB - RSS_EMPTY_KB) * 1024 / COUNT ))

# --- single check vs SISMEMBER, alternating ------------------------------
NEG=ffffffffffffffffffffffffffffffff
for r in $(seq "$ROUNDS"); do
  log "round $r/$ROUNDS (load $(cut -d' ' -f1 /proc/loadavg))"
  "$BANBENCH" check --port "$HTTP_PORT" --key "$KEY" --connections 64 --threads "$CLIENT_THREADS" \
    --warmup 1 --duration "$DURATION" | tee -a "$WORK/check.txt" >&2
  if [[ -n $WRK ]]; then
    # wrk: a lighter load generator than banbench (C, no Beast), so more of
    # the two cores is left to banlistd, as redis-benchmark leaves to Redis.
    BANLIST_KEY=$KEY "$WRK" -t1 -c64 -d"${DURATION}s" --latency -s "$HERE/wrk_check.lua" \
      "http://127.0.0.1:$HTTP_PORT/" | tee "$WORK/wrk-$r.txt" >&2
    echo "$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-$r.txt") $(wrk_p99_ms "$WORK/wrk-$r.txt")" \
      >>"$WORK/wrk.txt"
  fi
  RB_N=$(( DURATION * 60000 ))
  redis-benchmark -p "$REDIS_PORT" -c 64 -P 1 -n "$RB_N" --csv sismember bench:set "$NEG" \
    | tail -n 1 | tee -a "$WORK/sismember.csv" >&2
  redis-benchmark -p "$REDIS_PORT" -c 64 -P 1 -n "$RB_N" --csv hexists bl:rec:ffff "$NEG" \
    | tail -n 1 | tee -a "$WORK/hexists.csv" >&2
  "$BANBENCH" check --port "$HTTP_PORT" --key "$KEY" --connections 64 --threads "$CLIENT_THREADS" \
    --fps-file "$WORK/fps.txt" --warmup 1 --duration "$DURATION" | sed 's/^RESULT check/RESULT check_hit/' \
    | tee -a "$WORK/check_hit.txt" >&2
done
CHECK_RPS=$(grep '^RESULT check ' "$WORK/check.txt" | field rps | median)
CHECK_P99=$(grep '^RESULT check ' "$WORK/check.txt" | field p99_ms | median)
HIT_RPS=$(grep '^RESULT check_hit ' "$WORK/check_hit.txt" | field rps | median)
HIT_P99=$(grep '^RESULT check_hit ' "$WORK/check_hit.txt" | field p99_ms | median)
# redis-benchmark --csv: "test","rps","avg_latency_ms","min_latency_ms","p50","p95","p99","max"
SIS_RPS=$(tr -d '"' <"$WORK/sismember.csv" | cut -d, -f2 | median)
SIS_P99=$(tr -d '"' <"$WORK/sismember.csv" | cut -d, -f7 | median)
HEX_RPS=$(tr -d '"' <"$WORK/hexists.csv" | cut -d, -f2 | median)
RATIO=$(echo "scale=2; $CHECK_RPS / $SIS_RPS" | bc)
if [[ -n $WRK ]]; then
  WRK_RPS=$(cut -d' ' -f1 "$WORK/wrk.txt" | median)
  WRK_P99=$(cut -d' ' -f2 "$WORK/wrk.txt" | median)
  WRK_RATIO=$(echo "scale=2; $WRK_RPS / $SIS_RPS" | bc)
fi

# --- batch check ---------------------------------------------------------
for r in $(seq "$ROUNDS"); do
  c0=$(cpu_ticks "$BANLISTD_PID")
  out=$("$BANBENCH" batch-check --port "$HTTP_PORT" --key "$KEY" --connections 2 --items 10000 \
    --warmup 1 --duration "$DURATION")
  c1=$(cpu_ticks "$BANLISTD_PID")
  echo "$out" >&2
  fps=$(grep '^RESULT' <<<"$out" | field items_per_s)
  # banlistd CPU seconds spent in warm-up + window; scale to the window.
  cpu_s=$(echo "scale=3; ($c1 - $c0) / $(getconf CLK_TCK) * $DURATION / ($DURATION + 1)" | bc)
  echo "$fps $(echo "scale=0; $fps * $DURATION / $cpu_s" | bc) $(grep '^RESULT' <<<"$out" | field p99_ms)" \
    >>"$WORK/batch.txt"
done
BATCH_FPS=$(cut -d' ' -f1 "$WORK/batch.txt" | median)
BATCH_FPS_CORE=$(cut -d' ' -f2 "$WORK/batch.txt" | median)
BATCH_P99=$(cut -d' ' -f3 "$WORK/batch.txt" | median)

# --- bans over HTTP, 64 clients, appendfsync always ---------------------
for r in $(seq "$ROUNDS"); do
  "$BANBENCH" ban --port "$HTTP_PORT" --key "$KEY" --connections 64 --run-id $((10 + r)) \
    --warmup 1 --duration "$DURATION" | tee -a "$WORK/ban.txt" >&2
done
BAN_RPS=$(grep '^RESULT ban ' "$WORK/ban.txt" | field rps | median)
BAN_P99=$(grep '^RESULT ban ' "$WORK/ban.txt" | field p99_ms | median)
BAN_NON2XX=$(grep '^RESULT ban ' "$WORK/ban.txt" | field non2xx | paste -sd+ | bc)
stop_banlistd

# --- 10M scale -----------------------------------------------------------
BIG_ROWS=""
if [[ $BIG == 1 ]]; then
  kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true
  start_redis "$WORK/redis10m"
  log "seeding 10,000,000 bans"
  out=$("$BANBENCH" seed --redis "unix://$WORK/redis10m/redis.sock" --count 10000000 --run-id 3 \
    --concurrency 512 | tee /dev/stderr)
  BIG_SEED_S=$(grep '^RESULT' <<<"$out" | field seconds)
  BIG_MEM=$(rcli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
  start_banlistd "$WORK/redis10m" "bl:"
  sleep 1
  BIG_RSS=$(( $(rss_kb "$BANLISTD_PID") * 1024 ))
  BIG_FILTER=$(filter_bytes)
  BIG_LIMIT=$(( BIG_FILTER * 3 / 2 + 100 * 1024 * 1024 ))
  BIG_ROWS=$(printf '| 10M: seed time (banbench seed) | %s s | |\n| 10M: start to /readyz 200 | %s s | <= 30 s |\n| 10M: banlistd RSS / filter size | %s MB / %s MB (limit %s MB) | RSS <= 1.5 x filter + 100 MB |\n| 10M: Redis used_memory | %s B/ban | |' \
    "$BIG_SEED_S" "$READY_S" $((BIG_RSS / 1048576)) $((BIG_FILTER / 1048576)) \
    $((BIG_LIMIT / 1048576)) $((BIG_MEM / 10000000)))
  stop_banlistd
fi

cat <<TABLE

service_bench: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, banlistd --threads $THREADS,
banbench --threads $CLIENT_THREADS, $COUNT bans, $ROUNDS rounds x ${DURATION}s (medians), load now $(cut -d' ' -f1-3 /proc/loadavg)

| measure | result | target |
|---|---|---|
| seed $COUNT bans (banbench seed, ban.lua, appendfsync always) | $SEED_S s, $SEED_RATE bans/s | |
| GET /v1/check negative, 64 conns (wrk -t1) | ${WRK_RPS:-n/a} req/s, p99 ${WRK_P99:-n/a} ms | >= 1.0 x SISMEMBER, p99 <= 5 ms |
| GET /v1/check negative, 64 conns (banbench) | $CHECK_RPS req/s, p99 $CHECK_P99 ms | |
| redis-benchmark -c 64 -P 1 SISMEMBER (1M set) | $SIS_RPS req/s, p99 $SIS_P99 ms | |
| ratio check / SISMEMBER (wrk; banbench) | ${WRK_RATIO:-n/a}; $RATIO | >= 1.0 |
| redis-benchmark -c 64 -P 1 HEXISTS bl:rec:ffff | $HEX_RPS req/s | (a real record bucket) |
| GET /v1/check positive (confirmed in Redis), 64 conns | $HIT_RPS req/s, p99 $HIT_P99 ms | |
| POST /v1/check 10,000 fps, 2 conns | $BATCH_FPS fps/s, p99 $BATCH_P99 ms | |
| same, per banlistd CPU-second | $BATCH_FPS_CORE fps/s/core | >= 5M |
| POST /v1/bans, 64 conns, appendfsync always | $BAN_RPS bans/s, p99 $BAN_P99 ms (non-2xx: $BAN_NON2XX) | >= 3000/s |
| Redis used_memory per ban | $REDIS_BYTES_PER_BAN B | <= 300 B |
| Redis per key type | $KEY_COSTS | |
| AOF size per ban | $(( AOF_BYTES / COUNT )) B | |
| banlistd RSS: empty / $COUNT bans | $((RSS_EMPTY_KB / 1024)) MB / $((RSS_1M_KB / 1024)) MB ($BANLISTD_BYTES_PER_BAN B/ban) | |
| banlistd filter size ($COUNT bans) | $((FILTER_1M / 1024)) KiB | |
| start to /readyz 200 ($COUNT bans) | $READY_1M_S s | |
$BIG_ROWS
TABLE
