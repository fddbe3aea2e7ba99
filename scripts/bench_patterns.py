#!/usr/bin/env python3
"""Benchmark `logpipe patterns` against drain3 (PyPI, default config) on the same messages.

Builds one message file from the `Content` column of every
`<System>/<System>_2k.log_structured.csv` in the corpora dir (all systems
concatenated, repeated until at least --lines lines), then times, end to end
(process start, reading the file, mining, writing CSV to /dev/null):

  * `<binary> patterns FILE`
  * a drain3 script doing the same job: TemplateMiner() with its defaults,
    add_log_message() per line, then the same `LineId,GroupId,Template` CSV.

Best of --runs wall-clock times is reported, with lines/s and the ratio.
drain3 is pip-installed when missing (pass --no-install to refuse).
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

DRAIN3_JOB = r'''
import csv, sys, logging
logging.disable(logging.CRITICAL)
from drain3 import TemplateMiner
miner = TemplateMiner()
ids = []
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    for line in f:
        ids.append(miner.add_log_message(line.rstrip("\r\n"))["cluster_id"])
templates = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["LineId", "GroupId", "Template"])
for i, c in enumerate(ids, 1):
    w.writerow([i, c, templates[c]])
'''


def ensure_drain3(install):
    try:
        import drain3  # noqa: F401
        return
    except ImportError:
        if not install:
            raise SystemExit("drain3 is not installed (pip install drain3)")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "drain3"], check=True)


def build_messages(corpora, min_lines):
    messages = []
    for system in sorted(os.listdir(corpora)):
        path = os.path.join(corpora, system, f"{system}_2k.log_structured.csv")
        if os.path.isfile(path):
            with open(path, newline="", encoding="utf-8") as f:
                messages += [row["Content"] for row in csv.DictReader(f)]
    if not messages:
        raise SystemExit(f"no corpora under {corpora}")
    repeats = max(1, -(-min_lines // len(messages)))
    return messages * repeats


def best_time(cmd, runs):
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        with open(os.devnull, "w") as null:
            subprocess.run(cmd, stdout=null, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=".build/release/logpipe", help="logpipe-like binary (default: %(default)s)")
    ap.add_argument("--corpora", default="../shared/corpora/loghub", help="loghub corpora dir (default: %(default)s)")
    ap.add_argument("--lines", type=int, default=256_000, help="minimum number of lines (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool, best is kept (default: %(default)s)")
    ap.add_argument("--min-ratio", type=float, default=0.0, help="exit 1 if logpipe/drain3 speed ratio is below this")
    ap.add_argument("--no-install", action="store_true", help="do not pip-install drain3 when missing")
    args = ap.parse_args()

    if not os.path.exists(args.binary):
        raise SystemExit(f"binary not found: {args.binary}")
    ensure_drain3(not args.no_install)
    messages = build_messages(args.corpora, args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "messages.log")
        with open(log, "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(messages) + "\n")
        job = os.path.join(tmp, "drain3_patterns.py")
        with open(job, "w") as f:
            f.write(DRAIN3_JOB)
        ours = best_time([args.binary, "patterns", log], args.runs)
        theirs = best_time([sys.executable, job, log], args.runs)
    n = len(messages)
    print(f"messages: {n} lines ({len(set(messages))} distinct), best of {args.runs} runs, end to end")
    print(f"{'tool':<20} {'seconds':>8} {'lines/s':>12}")
    print(f"{'logpipe patterns':<20} {ours:>8.3f} {n / ours:>12,.0f}")
    print(f"{'drain3 (default)':<20} {theirs:>8.3f} {n / theirs:>12,.0f}")
    ratio = theirs / ours
    print(f"speed-up: {ratio:.1f}x")
    if ratio < args.min_ratio:
        print(f"FAIL: speed-up {ratio:.1f}x < {args.min_ratio}x", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
