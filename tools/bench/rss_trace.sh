#!/usr/bin/env bash
# rss_trace.sh BIN SOCK: cold-starts banlistd BIN (--checkpoint none) on the
# Redis at unix socket SOCK and prints "seconds rss_MB" every 0.25 s until 5 s
# after its first snapshot, then the peak (VmHWM) and its log. Figures, not a test.
BIN=$1; SOCK=$2; PORT=18592; KEY=bench-admin-key-0123456789
log=$(mktemp); t0=$(date +%s.%N)
BANLIST_ADMIN_KEY=$KEY "$BIN" --listen 127.0.0.1:$PORT --redis unix://$SOCK --threads 2 --checkpoint none >"$log" 2>&1 &
pid=$!; n=0; snap=0
while kill -0 $pid 2>/dev/null; do
  t=$(echo "$(date +%s.%N) - $t0" | bc); rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$pid/status)
  echo "$t $rss"
  if ((snap == 0)) && [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" http://127.0.0.1:$PORT/v1/snapshot) == 200 ]]; then snap=1; n=0; fi
  ((snap)) && ((++n > 20)) && break
  sleep 0.25
done
awk '/VmHWM/ {print "peak", $2/1024, "MB"}' /proc/$pid/status
sed 's/^/LOG /' "$log" | grep -v "request" | head -30
kill $pid; wait $pid 2>/dev/null; rm -f "$log"
