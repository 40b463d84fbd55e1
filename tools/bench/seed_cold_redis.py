#!/usr/bin/env python3
# seed_cold_redis.py N | redis-cli -s SOCK --pipe
#
# Writes RESP for redis-cli --pipe: N synthetic bans as the listing order
# holds them (layout 8, docs/redis-layout.md: bucket hashes bl:bans:{seq /
# 128}, seq -> the fingerprint's 16 raw bytes, its type and reason codes and
# the public flag), bl:bans:count, a matching bl:digest and bl:seq, and the
# layout marker; no records, no log: enough for banlistd's cold start (the
# scan of the banned set), faster than replaying an AOF of real bans.
import sys, random
n = int(sys.argv[1])
rnd = random.Random(42)
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)
digest = 0
fields = []
for seq in range(1, n + 1):
    v = rnd.getrandbits(128); digest ^= v
    value = v.to_bytes(16, "big") + bytes([rnd.randint(1, 8), rnd.randint(1, 14)]) + b"0"
    fields += [str(seq).encode(), value]
    if seq % 128 == 127 or seq == n:
        out.write(cmd(b"HSET", b"bl:bans:%d" % (seq // 128), *fields))
        fields = []
out.write(cmd("SET", "bl:bans:count", n))
out.write(cmd("SET", "bl:seq", n))
out.write(cmd("SET", "bl:digest", "%032x" % digest))
out.write(cmd("SET", "bl:log_oldest", n + 1))
out.write(cmd("SET", "bl:layout", 8))
