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
    """Best wall-clock seconds of `runs` runs, and the CPU seconds (user + system) of that run.

    On a shared machine the wall clock includes waiting for a core; CPU time does not.
    """
    best, best_cpu = float("inf"), float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        with open(os.devnull, "w") as null:
            proc = subprocess.Popen(cmd, stdout=null)
            _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise SystemExit(f"{cmd[0]} failed: status {status}")
        wall = time.perf_counter() - start
        best = min(best, wall)
        best_cpu = min(best_cpu, usage.ru_utime + usage.ru_stime)
    return best, best_cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=".build/release/logpipe", help="logpipe-like binary (default: %(default)s)")
    ap.add_argument("--corpora", default="../shared/corpora/loghub", help="loghub corpora dir (default: %(default)s)")
    ap.add_argument("--lines", type=int, default=256_000, help="minimum number of lines (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool, best is kept (default: %(default)s)")
    ap.add_argument("--min-ratio", type=float, default=0.0, help="exit 1 if logpipe/drain3 speed ratio is below this")
    ap.add_argument("--no-install", action="store_true", help="do not pip-install drain3 when missing")
    ap.add_argument("--no-drain3", action="store_true", help="time logpipe only")
    ap.add_argument("--cores", default="0", help="CPU list for taskset, `all` for no pinning (default: %(default)s,"
                    " one core: the issue's target is 1.5M lines/s on one core)")
    ap.add_argument("--min-rate", type=float, default=0.0, help="exit 1 if logpipe lines/s is below this")
    args = ap.parse_args()

    if not os.path.exists(args.binary):
        raise SystemExit(f"binary not found: {args.binary}")
    if not args.no_drain3:
        ensure_drain3(not args.no_install)
    pin = [] if args.cores == "all" else ["taskset", "-c", args.cores]
    messages = build_messages(args.corpora, args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "messages.log")
        with open(log, "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(messages) + "\n")
        job = os.path.join(tmp, "drain3_patterns.py")
        with open(job, "w") as f:
            f.write(DRAIN3_JOB)
        ours = best_time(pin + [args.binary, "patterns", log], args.runs)
        theirs = None if args.no_drain3 else best_time(pin + [sys.executable, job, log], args.runs)
    n = len(messages)
    cores = "all cores" if not pin else f"cores {args.cores}"
    print(f"messages: {n} lines ({len(set(messages))} distinct), best of {args.runs} runs, end to end, {cores}")
    print(f"{'tool':<20} {'seconds':>8} {'lines/s':>12} {'cpu s':>8} {'lines/cpu s':>12}")
    ours, ours_cpu = ours
    print(f"{'logpipe patterns':<20} {ours:>8.3f} {n / ours:>12,.0f} {ours_cpu:>8.3f} {n / ours_cpu:>12,.0f}")
    if n / ours < args.min_rate:
        print(f"FAIL: {n / ours:,.0f} lines/s < {args.min_rate:,.0f}", file=sys.stderr)
        return 1
    if theirs is None:
        return 0
    theirs, theirs_cpu = theirs
    print(f"{'drain3 (default)':<20} {theirs:>8.3f} {n / theirs:>12,.0f} {theirs_cpu:>8.3f} {n / theirs_cpu:>12,.0f}")
    ratio = theirs / ours
    print(f"speed-up: {ratio:.1f}x")
    if ratio < args.min_ratio:
        print(f"FAIL: speed-up {ratio:.1f}x < {args.min_ratio}x", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
