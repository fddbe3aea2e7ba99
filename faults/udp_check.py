#!/usr/bin/env python3
"""Judges the kill9-udp row: which numbered datagrams a live logpipe was handed, and which of them are in segments.

udp_check.py TICKLOG EVENTS DIR --bound N
TICKLOG is udp_seq_send.py's (`T0 T1 FIRST LAST REFUSED` per tick). EVENTS is the harness's, one line each:
  up T              logpipe's socket was seen bound (in /proc/net/udp) at wall-clock time T
  kill T DROPS      about to kill -9; DROPS = the socket's kernel drop counter read just before
  stop T DROPS      the sender has stopped (its last datagram was sent before T); a graceful SIGTERM follows
  received N        the stopped run's exit summary: N datagrams received
A round's window is the datagrams sent wholly after its `up` and before its `kill`/`stop`: each was handed to
the socket of a live logpipe. (Those sent around a start or a kill, or while nothing was bound, are outside every
window: not "in", reported as `edge`.)
  killed round:  the entries found in its window must be a gap-free prefix FIRST..k (one sender, order kept);
                 the rest, k+1..LAST, was in flight at the kill (`unacked`, at most --bound per round, else the
                 round fails); a hole inside the prefix is lost, unless the kernel counted a drop for it.
  stopped round: everything in its window must be in the segments (the stop drains the socket and finalizes).
The stopped run is also checked whole: the datagrams sent after the last kill can only have reached it, and the
number of them in the segments must equal what its summary says it received (`last_found`, `last_received`).
Prints shell-evaluable `in= out= lost= dup= unacked= unacked_max= kdrops= edge= over_bound= rounds= last_found=
last_received=`.
"""
import collections, glob, os, re, subprocess, sys

ticklog, events, outdir = sys.argv[1:4]
bound = int(sys.argv[sys.argv.index("--bound") + 1])

ticks = []
for line in open(ticklog):
    t0, t1, first, last, _ = line.split()
    ticks.append((float(t0), float(t1), int(first), int(last)))

rounds, up, last_kill, last_received = [], None, 0.0, -1
for line in open(events):
    f = line.split()
    if f[0] == "up":
        up = float(f[1])
    elif f[0] == "received":
        last_received = int(f[1])
    elif f[0] in ("kill", "stop") and up is not None:
        end = float(f[1])
        if f[0] == "kill": last_kill = end
        seqs = [s for t0, t1, a, b in ticks if t0 > up and t1 < end for s in range(a, b + 1)]
        if seqs: rounds.append((f[0], min(seqs), max(seqs), int(f[2]) if len(f) > 2 else 0))
        up = None

counts = collections.Counter()
for f in sorted(glob.glob(os.path.join(outdir, "*.jsonl.lz4")) + glob.glob(os.path.join(outdir, "*.jsonl.gz"))):
    tool = ["gzip", "-dc"] if f.endswith(".gz") else ["lz4", "-dc"]
    data = subprocess.run(tool + [f], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    for m in re.finditer(rb"seq=(\d+)", data):
        counts[int(m.group(1))] += 1

total_in = out = lost = unacked = unacked_max = kdrops = over = 0
for kind, a, b, drops in rounds:
    got = sorted(s for s in counts if a <= s <= b)
    total_in += b - a + 1
    out += len(got)
    kdrops += drops
    if kind == "kill":
        top = got[-1] if got else a - 1
        gaps = (top - a + 1) - len(got)
        lost += max(0, gaps - drops)
        unacked += b - top
        unacked_max = max(unacked_max, b - top)
        if b - top > bound: over += 1
    else:
        lost += max(0, (b - a + 1) - len(got) - drops)
after_last_kill = min((a for t0, t1, a, b in ticks if t0 > last_kill and a <= b), default=None)
last_found = sum(1 for s in counts if after_last_kill is not None and s >= after_last_kill)
in_window = lambda s: any(a <= s <= b for _, a, b, _ in rounds)
dup = sum(c - 1 for c in counts.values() if c > 1)
edge = sum(1 for s in counts if not in_window(s))
print(f"in={total_in} out={out} lost={lost} dup={dup} unacked={unacked} unacked_max={unacked_max} "
      f"kdrops={kdrops} edge={edge} over_bound={over} rounds={len(rounds)} last_found={last_found} "
      f"last_received={last_received}")
