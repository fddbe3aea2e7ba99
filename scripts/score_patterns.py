#!/usr/bin/env python3
"""Score `logpipe patterns` against the loghub 2k ground truth (grouping accuracy).

For every system in the corpora directory, the `Content` column of
`<System>_2k.log_structured.csv` is written to a temporary file (one message
per line), `<binary> patterns <file>` is run, and its CSV output
(`LineId,GroupId,Template`, header line first, LineId from 1) is compared with
the ground-truth `EventId` column.

Grouping accuracy (GA): a line is correct when the set of lines in its
predicted group is exactly the set of lines sharing its true EventId.
GA = correct lines / all lines. Exits 1 when the mean GA is below --min-ga.

Standard library only.
"""
import argparse
import collections
import csv
import io
import os
import subprocess
import sys
import tempfile
import time


def grouping_accuracy(truth, predicted):
    """truth, predicted: lists of labels, one per line. Returns GA in [0, 1]."""
    if len(truth) != len(predicted):
        raise ValueError("length mismatch")
    by_true = collections.defaultdict(set)
    by_pred = collections.defaultdict(set)
    for i, (t, p) in enumerate(zip(truth, predicted)):
        by_true[t].add(i)
        by_pred[p].add(i)
    correct = 0
    for t, members in by_true.items():
        first = next(iter(members))
        if by_pred[predicted[first]] == members:
            correct += len(members)
    return correct / len(truth) if truth else 1.0


def read_ground_truth(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    contents, events = [], []
    for row in rows:
        content = row["Content"]
        if "\n" in content or "\r" in content:
            raise SystemExit(f"{path}: message with a line break in LineId {row['LineId']}")
        contents.append(content)
        events.append(row["EventId"])
    return contents, events


def run_binary(binary, messages):
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False, encoding="utf-8", newline="") as f:
        f.write("\n".join(messages) + "\n")
        path = f.name
    try:
        start = time.perf_counter()
        proc = subprocess.run([binary, "patterns", path], capture_output=True, text=True, encoding="utf-8")
        elapsed = time.perf_counter() - start
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise SystemExit(f"{binary} failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    reader = csv.reader(io.StringIO(proc.stdout, newline=""))
    header = next(reader, None)
    if header != ["LineId", "GroupId", "Template"]:
        raise SystemExit(f"unexpected header from {binary}: {header!r}")
    groups = {}
    templates = {}
    for row in reader:
        if not row:
            continue
        line_id, group_id, template = int(row[0]), row[1], row[2]
        groups[line_id] = group_id
        templates[group_id] = template
    predicted = []
    for i in range(1, len(messages) + 1):
        if i not in groups:
            raise SystemExit(f"{binary}: no output row for LineId {i}")
        predicted.append(groups[i])
    return predicted, templates, elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=".build/release/logpipe", help="logpipe-like binary (default: %(default)s)")
    ap.add_argument("--corpora", default="../shared/corpora/loghub", help="loghub corpora dir (default: %(default)s)")
    ap.add_argument("--min-ga", type=float, default=0.90, help="fail when mean GA is below this (default: %(default)s)")
    ap.add_argument("--systems", nargs="*", help="only these systems (default: all found)")
    ap.add_argument("--show-errors", metavar="SYSTEM", help="print mis-grouped events of SYSTEM")
    args = ap.parse_args()

    if not os.path.exists(args.binary):
        raise SystemExit(f"binary not found: {args.binary}")
    systems = args.systems or sorted(
        d for d in os.listdir(args.corpora)
        if os.path.isfile(os.path.join(args.corpora, d, f"{d}_2k.log_structured.csv"))
    )
    if not systems:
        raise SystemExit(f"no <System>/<System>_2k.log_structured.csv under {args.corpora}")

    print(f"{'System':<12} {'Lines':>6} {'Events':>6} {'Groups':>6} {'GA':>7} {'Time':>8}")
    scores = []
    for system in systems:
        contents, events = read_ground_truth(os.path.join(args.corpora, system, f"{system}_2k.log_structured.csv"))
        predicted, templates, elapsed = run_binary(args.binary, contents)
        ga = grouping_accuracy(events, predicted)
        scores.append(ga)
        print(f"{system:<12} {len(contents):>6} {len(set(events)):>6} {len(set(predicted)):>6} {ga:>7.3f} {elapsed:>7.2f}s")
        if args.show_errors == system:
            show_errors(contents, events, predicted, templates)
    mean = sum(scores) / len(scores)
    print(f"{'Mean':<12} {'':>6} {'':>6} {'':>6} {mean:>7.3f}")
    if mean < args.min_ga:
        print(f"FAIL: mean GA {mean:.3f} < {args.min_ga}", file=sys.stderr)
        return 1
    return 0


def show_errors(contents, events, predicted, templates):
    by_true = collections.defaultdict(list)
    by_pred = collections.defaultdict(list)
    for i, (t, p) in enumerate(zip(events, predicted)):
        by_true[t].append(i)
        by_pred[p].append(i)
    for t, members in sorted(by_true.items(), key=lambda x: -len(x[1])):
        preds = collections.Counter(predicted[i] for i in members)
        if len(preds) == 1 and len(by_pred[predicted[members[0]]]) == len(members):
            continue
        print(f"  {t} ({len(members)} lines) e.g. {contents[members[0]]!r}")
        for p, n in preds.most_common(5):
            others = collections.Counter(events[i] for i in by_pred[p])
            print(f"     -> group {p} x{n} (group has {dict(others.most_common(4))}) {templates.get(p, '')!r}")


if __name__ == "__main__":
    sys.exit(main())
