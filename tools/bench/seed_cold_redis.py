#!/usr/bin/env python3
# seed_cold_redis.py N | redis-cli -s SOCK --pipe
#
# Writes RESP for redis-cli --pipe: N synthetic entries in bl:banned, a matching
# bl:digest and bl:seq (no records, no log): enough for banlistd's cold start.
import sys, random
n = int(sys.argv[1]); rnd = random.Random(42)
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)
digest = 0; batch = 1000; buf = []
for i in range(0, n, batch):
    args = [b"HSET", b"bl:banned"]
    for _ in range(min(batch, n - i)):
        v = rnd.getrandbits(128); digest ^= v
        args += [b"%032x" % v, bytes([rnd.randint(1, 8), rnd.randint(1, 12)])]
    out.write(cmd(*args))
out.write(cmd("SET", "bl:seq", n))
out.write(cmd("SET", "bl:digest", "%032x" % digest))
out.write(cmd("SET", "bl:log_oldest", n + 1))
