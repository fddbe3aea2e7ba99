#!/usr/bin/env python3
"""Counts the soak's `seq=N` entries (1..N) in the segments and in the urgent receiver's log, in bounded memory.

soak_count.py SEGMENT_DIR N RECEIVER_LOG
Segments are read back with the real `lz4 -dc` / `gzip -dc`, finalized ones only (`.open` is not a result).
The urgent lines are the seqs divisible by 100 (ERROR, FATAL at 1000).
Entries without a seq (logpipe's own incident entries) are counted as `other`.
Prints shell-evaluable `entries= other= found= lost= dup= extra= urgent_sent= urgent_received= urgent_lost= urgent_dup=`.
"""
import glob, os, re, subprocess, sys

d, n, rlog = sys.argv[1], int(sys.argv[2]), sys.argv[3]
seen = bytearray(n + 1)  # a count per seq, saturating at 255
entries = other = extra = dup = 0
seq_re = re.compile(rb"seq=(\d+)")
files = sorted(glob.glob(os.path.join(d, "*.jsonl.lz4")) + glob.glob(os.path.join(d, "*.jsonl.gz")))
for f in files:
    tool = ["gzip", "-dc"] if f.endswith(".gz") else ["lz4", "-dc"]
    p = subprocess.Popen(tool + [f], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for line in p.stdout:
        entries += 1
        m = seq_re.search(line)
        if not m: other += 1; continue
        s = int(m.group(1))
        if s < 1 or s > n: extra += 1; continue
        if seen[s]: dup += 1
        if seen[s] < 255: seen[s] += 1
    p.wait()
found = n - seen.count(0) + (1 if seen[0] == 0 else 0)  # index 0 is not a seq
urgent_sent = n // 100
got, rdup = set(), 0
if os.path.exists(rlog):
    for line in open(rlog):
        f = line.split()
        if not f or not f[0].isdigit(): continue
        s = int(f[0])
        if s in got: rdup += 1
        got.add(s)
urgent_received = sum(1 for s in got if s % 100 == 0 and 1 <= s <= n)
print(f"entries={entries} other={other} found={found} lost={n - found} dup={dup} extra={extra} urgent_sent={urgent_sent} "
      f"urgent_received={urgent_received} urgent_lost={urgent_sent - urgent_received} urgent_dup={rdup}")
