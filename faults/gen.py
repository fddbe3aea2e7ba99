#!/usr/bin/env python3
"""Writes numbered log lines `LEVEL fault seq=N pad…` (plain text) for the fault scenarios.

gen.py START COUNT [--out FILE] [--rate N] [--error-every K] [--random-pad N] [--count-file F] [--rotate-at N]
  --out FILE       append to FILE (default stdout); --rotate-at N renames FILE to FILE.1 after N lines
  --rate N         lines per second (flushing every line group), default: as fast as possible
  --error-every K  every K-th line is ERROR (default: all INFO)
  --random-pad N   N random hex characters per line (defeats compression)
  --count-file F   the number of lines wholly written, kept up to date and written on exit (broken pipe too)
"""
import argparse, os, random, signal, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("start", type=int); ap.add_argument("count", type=int)
ap.add_argument("--out"); ap.add_argument("--rate", type=float, default=0)
ap.add_argument("--error-every", type=int, default=0); ap.add_argument("--random-pad", type=int, default=0)
ap.add_argument("--count-file"); ap.add_argument("--rotate-at", type=int, default=0)
a = ap.parse_args()
signal.signal(signal.SIGPIPE, signal.SIG_DFL if not a.count_file else signal.SIG_IGN)
rnd = random.Random(a.start)
written = 0

def save():
    if a.count_file:
        with open(a.count_file + ".tmp", "w") as f: f.write(str(written))
        os.replace(a.count_file + ".tmp", a.count_file)

fd = os.open(a.out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if a.out else 1
group = max(1, int(a.rate / 50)) if a.rate else 500
t0 = time.time()
try:
    i = 0
    while i < a.count:
        buf = []
        for _ in range(min(group, a.count - i)):
            seq = a.start + i
            lvl = "ERROR" if a.error_every and seq % a.error_every == 0 else "INFO"
            pad = "%0*x" % (a.random_pad, rnd.getrandbits(4 * a.random_pad)) if a.random_pad else "x" * 40
            buf.append(f"{lvl} fault seq={seq} {pad}\n")
            i += 1
        data = "".join(buf).encode()
        n = 0
        while n < len(data):
            n += os.write(fd, data[n:])
        written = i
        if a.rotate_at and a.out and written >= a.rotate_at > written - len(buf):
            os.rename(a.out, a.out + ".1"); os.close(fd)
            fd = os.open(a.out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if a.count_file and (i // group) % 10 == 0: save()
        if a.rate:
            ahead = t0 + i / a.rate - time.time()
            if ahead > 0: time.sleep(ahead)
except (BrokenPipeError, OSError):
    pass
finally:
    save()
