#!/usr/bin/env python3
"""Sleeps until a kill point for the rotation scenario (issue 17), then exits: at least MIN and at most MAX
seconds from now (uniform), drawn again when it falls where a kill would lose data no program can recover.

killsched.py EVENTS MIN MAX [--avoid-delete BEFORE,AFTER]
EVENTS is rotgen.py's --events file; its rotations happen at start + k * period. With --avoid-delete, no kill
lands within AFTER seconds after a delete rotation (its last lines may not be durable yet: the file is gone) or
BEFORE seconds before one (logpipe would be down when the file is deleted: lines written since its last read
are gone with it). Prints the chosen delay and the style of the rotation nearest to it.
"""
import random, sys, time

events, lo, hi = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
avoid = None
if len(sys.argv) > 5 and sys.argv[4] == "--avoid-delete":
    avoid = tuple(float(x) for x in sys.argv[5].split(","))
start = period = None
styles = []
for line in open(events):
    p = line.split()
    if p[0] == "start": start, period, styles = float(p[1]), float(p[2]), p[3].split(",")
if start is None: sys.exit("no start line in " + events)
now = time.time()
t = now + random.uniform(lo, hi)

def unsafe(t):
    if not avoid or "delete" not in styles: return False
    k = int((t - start) // period)
    for j in (k, k + 1, k + 2):
        if j < 1: continue
        if styles[(j - 1) % len(styles)] != "delete": continue
        d = start + j * period
        if d - avoid[0] <= t <= d + avoid[1]: return True
    return False

# Redrawn (not pushed to the end of the unsafe stretch, which would pile kills up there), the range widened by a
# period after each miss.
span = hi
while unsafe(t):
    span += period / 10
    t = now + random.uniform(lo, span)
k = round((t - start) / period)
near = styles[(k - 1) % len(styles)] if k >= 1 else "-"
time.sleep(max(0, t - time.time()))
print(f"{t - now:.2f}s {near}{(t - start) - k * period:+.2f}")
