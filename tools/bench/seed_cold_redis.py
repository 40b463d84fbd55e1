#!/usr/bin/env python3
# seed_cold_redis.py N [LAYOUT] | redis-cli -s SOCK --pipe
#
# Writes RESP for redis-cli --pipe: N synthetic banned fingerprints, a
# matching bl:digest and bl:seq (no records, no log): enough for banlistd's
# cold start. LAYOUT 2 (default) writes the bucket hashes bl:banned:{first
# four hex digits}, fingerprints as their 16 raw bytes (as banlistd writes
# them since layout 6), and the bl:banned:nonempty bitmap (docs/redis-layout.md);
# LAYOUT 1 writes the single bl:banned hash older banlistd kept, which a
# newer one migrates at start. The same seed gives the same set either way.
import sys, random
n = int(sys.argv[1]); layout = int(sys.argv[2]) if len(sys.argv) > 2 else 2
rnd = random.Random(42)
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)
digest = 0; batch = 1000
buckets = {}
def flush_buckets():
    for b, fields in buckets.items():
        out.write(cmd(b"HSET", b"bl:banned:" + b, *fields))
    buckets.clear()
nonempty = bytearray(65536 // 8)
for i in range(0, n, batch):
    entries = []
    for _ in range(min(batch, n - i)):
        v = rnd.getrandbits(128); digest ^= v
        entries.append((b"%032x" % v, bytes([rnd.randint(1, 8), rnd.randint(1, 12)])))
    if layout == 1:
        args = [b"HSET", b"bl:banned"]
        for fp, codes in entries:
            args += [fp, codes]
        out.write(cmd(*args))
    else:
        for fp, codes in entries:
            buckets.setdefault(fp[:4], []).extend([bytes.fromhex(fp.decode()), codes])
            b = int(fp[:4], 16); nonempty[b // 8] |= 0x80 >> (b % 8)
        if len(buckets) > 20000:
            flush_buckets()
flush_buckets()
if layout != 1 and n > 0:
    out.write(cmd("SET", "bl:banned:nonempty", bytes(nonempty)))
out.write(cmd("SET", "bl:seq", n))
out.write(cmd("SET", "bl:digest", "%032x" % digest))
out.write(cmd("SET", "bl:log_oldest", n + 1))
