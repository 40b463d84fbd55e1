#!/usr/bin/env bash
# failover.sh: the issue-9 failover figures in one run on this machine.
#
# Runs the loopback failover test (tests/ha/failover_test.cpp): a Redis
# primary with replicas and 3 sentinels (down-after-milliseconds 2000,
# failover-timeout 4000), two banlistd instances on Sentinel, 4 clients
# banning concurrently, a checker alternating hits and misses, a WebSocket
# subscriber on each instance; then kill -9 of the primary. Each case prints
# one FIGURE line; this script collects them into a table:
#   recovery_s          kill -9 -> first ban accepted (2xx) again
#   lost_acknowledged   acknowledged bans missing on the new primary
#   unknown_or_refused  503s answered during the failover (retry is safe)
#   checks / check_failures  GET /v1/check requests / non-200 answers
#   subscriber_resets   resync_required resets the two subscribers got
# Figures, not a benchmark of speed: the test also asserts its invariants.
#
# Environment: BUILD (default: the worktree's build/), RUNS (default 1).
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$here/build}
RUNS=${RUNS:-1}
test_binary=$BUILD/tests/ha/ha_failover_test
if [[ ! -x $test_binary ]]; then
  echo "build it first: ninja -C $BUILD ha_failover_test" >&2
  exit 1
fi

echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %-13s %-9s %-11s %-13s %-5s %-12s %-8s %-15s %-7s\n' run replica_acks replicas \
  recovery_s acknowledged lost unknown_503 checks check_failures resets
for run in $(seq 1 "$RUNS"); do
  { "$test_binary" 2>&1 || echo "run $run: the test failed (see its output)" >&2; } |
    { grep '^FIGURE' || true; } | while read -r _ fields; do
    declare -A f=()
    for kv in $fields; do f[${kv%%=*}]=${kv#*=}; done
    printf '%-5s %-13s %-9s %-11s %-13s %-5s %-12s %-8s %-15s %-7s\n' "$run" \
      "${f[replica_acks]}" "${f[replicas]}" "${f[recovery_s]}" "${f[acknowledged]}" \
      "${f[lost_acknowledged]}" "${f[unknown_or_refused]}" "${f[checks]}" \
      "${f[check_failures]}" "${f[subscriber_resets]}"
  done
done
