#!/usr/bin/env bash
# slow_fetch.sh SOCK BIN...: cold-starts each banlistd BIN on the Redis at unix
# socket SOCK, then fetches GET /v1/snapshot?format=fps twice at full speed
# and once with curl --limit-rate 4M, printing bytes received and seconds.
# Figures, not a test.
SOCK=$1; shift; PORT=18594; KEY=bench-admin-key-0123456789
for bin in "$@"; do
  BANLIST_ADMIN_KEY=$KEY "$bin" --listen 127.0.0.1:$PORT --redis unix://$SOCK --threads 2 --checkpoint none >/dev/null 2>&1 &
  pid=$!
  until [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" http://127.0.0.1:$PORT/v1/snapshot) == 200 ]]; do sleep 0.5; done
  for r in 1 2; do
    curl -s -o /dev/null -w "$(basename $bin) full speed: %{size_download} bytes in %{time_total} s\n" -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/v1/snapshot?format=fps"
  done
  curl -s -o /dev/null --limit-rate 4M -w "$(basename $bin) at 4 MB/s: %{size_download} bytes in %{time_total} s\n" -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/v1/snapshot?format=fps"
  kill $pid; wait $pid 2>/dev/null
done
