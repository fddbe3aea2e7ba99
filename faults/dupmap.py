#!/usr/bin/env python3
"""Where duplicates and gaps come from (issue 17 diagnosis): decodes the segments in OUT (with lz4 -dc / gzip -dc),
groups the sequence numbers seen more than once (or never) into ranges, and names the log file in LOGS holding
each range, with the byte offsets of the range in that file.

dupmap.py OUT LOGS [--expect A-B]
"""
import collections, glob, os, re, subprocess, sys

out, logs = sys.argv[1], sys.argv[2]
expect = None
if "--expect" in sys.argv:
    a, b = sys.argv[sys.argv.index("--expect") + 1].split("-"); expect = (int(a), int(b))
seq_re = re.compile(rb"seq=(\d+)")
counts = collections.Counter()
where = collections.defaultdict(list)
for f in sorted(glob.glob(os.path.join(out, "*.jsonl.*"))):
    tool = ["gzip", "-dc"] if ".jsonl.gz" in f else ["lz4", "-dc"]
    data = subprocess.run(tool + [f], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    for line in data.split(b"\n"):
        m = seq_re.search(line)
        if m:
            s = int(m.group(1)); counts[s] += 1; where[s].append(os.path.basename(f))
files = {}
for f in sorted(glob.glob(os.path.join(logs, "*"))):
    off = 0
    for line in open(f, "rb"):
        m = seq_re.search(line)
        if m: files.setdefault(int(m.group(1)), []).append((os.path.basename(f), off))
        off += len(line)

def ranges(seqs):
    seqs = sorted(seqs); out = []
    for s in seqs:
        if out and s == out[-1][1] + 1: out[-1][1] = s
        else: out.append([s, s])
    return out

def describe(a, b):
    fa, fb = files.get(a, [("?", -1)]), files.get(b, [("?", -1)])
    return ", ".join(f"{x[0]}@{x[1]}" for x in fa) + " .. " + ", ".join(f"{x[0]}@{x[1]}" for x in fb)

dups = [s for s, c in counts.items() if c > 1]
print(f"{len(dups)} sequence numbers duplicated ({sum(counts[s] - 1 for s in dups)} extra copies)")
for a, b in ranges(dups):
    print(f"  dup {a}-{b} ({b - a + 1} lines): in log files {describe(a, b)}; segments {sorted(set(where[a]))}")
if expect:
    missing = [s for s in range(expect[0], expect[1] + 1) if counts[s] == 0]
    print(f"{len(missing)} missing")
    for a, b in ranges(missing):
        print(f"  lost {a}-{b} ({b - a + 1} lines): in log files {describe(a, b)}")
