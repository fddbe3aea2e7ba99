#!/usr/bin/env python3
"""Counts the `seq=N` entries in logpipe segments, read back with the real `lz4 -dc` / `gzip -dc`.

count.py DIR... --expect A-B[,C-D…] [--include-open] [--prefix]
Prints `in=… out=… lost=… dup=… extra=…` (shell-evaluable):
  in    expected sequence numbers;  out  distinct expected ones found;  lost  expected ones missing;
  dup   entries found more than once (extra copies);  extra  seqs found outside the expected ranges.
--prefix: each range START-END is what a writer wrote before a kill; the entries found must be a gap-free
  prefix START..START+k-1 of it. Adds `gaps=` (holes inside the found prefix: lost data),
  `unacked=` (written, not in a segment: the batches in flight at the kill) and `lost` becomes the gaps.
--manifested counts only finalized segments that have a manifest and pass `logpipe verify` ($BIN).
--include-open also reads `.open` segments (complete frames only; for polling, not for verdicts).
"""
import collections, glob, os, re, subprocess, sys

args = sys.argv[1:]
dirs, expect, include_open, prefix, manifested = [], [], False, False, False
i = 0
while i < len(args):
    if args[i] == "--expect":
        for part in args[i + 1].split(","):
            if part:
                a, b = part.split("-"); expect.append((int(a), int(b)))
        i += 2; continue
    if args[i] == "--include-open": include_open = True
    elif args[i] == "--prefix": prefix = True
    elif args[i] == "--manifested": manifested = True
    else: dirs.append(args[i])
    i += 1

seq_re = re.compile(rb"seq=(\d+)")
counts = collections.Counter()
entries = 0
for d in dirs:
    files = sorted(glob.glob(os.path.join(d, "*.jsonl.lz4")) + glob.glob(os.path.join(d, "*.jsonl.gz")))
    if manifested:  # acknowledged: finalized segments with a manifest (that `logpipe verify` accepts)
        files = [f for f in files if os.path.exists(f.split(".jsonl.")[0] + ".meta.json")
                 and subprocess.run([os.environ.get("BIN", "logpipe"), "verify", f], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL).returncode == 0]
    if include_open:
        files += sorted(glob.glob(os.path.join(d, "*.jsonl.*.open")))
    for f in files:
        tool = ["gzip", "-dc"] if ".jsonl.gz" in f else ["lz4", "-dc"]
        out = subprocess.run(tool + [f], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        if not f.endswith(".open"):
            out = out  # a finalized segment must decode whole; `logpipe verify` checks that separately
        for line in out.split(b"\n"):
            if not line: continue
            entries += 1
            m = seq_re.search(line)
            if m: counts[int(m.group(1))] += 1

def in_ranges(s):
    return any(a <= s <= b for a, b in expect)

total_in = sum(b - a + 1 for a, b in expect)
found = {s for s in counts if in_ranges(s)}
dup = sum(c - 1 for c in counts.values() if c > 1)
extra = sum(1 for s in counts if not in_ranges(s))
if prefix:
    gaps = unacked = 0
    for a, b in expect:
        got = sorted(s for s in found if a <= s <= b)
        top = got[-1] if got else a - 1
        gaps += (top - a + 1) - len(got)
        unacked += b - top
    print(f"in={total_in} out={len(found)} lost={gaps} dup={dup} extra={extra} gaps={gaps} unacked={unacked} entries={entries}")
else:
    print(f"in={total_in} out={len(found)} lost={total_in - len(found)} dup={dup} extra={extra} entries={entries}")
