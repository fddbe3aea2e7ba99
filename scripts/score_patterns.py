#!/usr/bin/env python3
"""Score `logpipe patterns` against the loghub 2k ground truth: GA, FGA, PA, FTA.

For every system in the corpora directory, the `Content` column of
`<System>_2k.log_structured.csv` is written to a temporary file (one message
per line), `<binary> patterns <file>` is run, and its CSV output
(`LineId,GroupId,Template`, header line first, LineId from 1) is compared with
the ground truth. Definitions follow Jiang et al., "A Large-scale Evaluation
for Log Parsing Techniques: How Far are We?" (ISSTA 2024), as computed by the
Loghub-2.0 evaluator:

* GA (grouping accuracy): a line is correct when the set of lines in its
  predicted group is exactly the set of lines sharing its true event.
  Ground truth: `EventId` of the original labels (`--corpora`).
* FGA: F1 of group precision (correct groups / predicted groups) and recall
  (correct groups / true groups); a predicted group is correct when its lines
  are exactly the lines of one true event. Original labels.
* PA (parsing accuracy): a line is correct when its predicted template string
  equals its true `EventTemplate` exactly. Ground truth: the corrected
  Loghub-2.0 labels (`--corrected`, `<System>_2k.log_structured_corrected.csv`).
* FTA: F1 of template precision and recall, where a predicted template is
  correct when its group is correct (against the corrected events) and its
  template string equals the true one.

Leave-one-out (`--loo FLAG=V1,V2,...`): the binary is run with `FLAG V` for
every value; for each system, the value with the best mean (GA+PA)/2 over the
*other* systems is chosen (ties: the value listed first, so list the default
first) and that system is scored with it. `--loo` may be repeated: the grid is
the product, e.g. `--loo=--min-distinct=4,2,3,5,6 --loo=--varying-share=3,2,4,5`. With no tunable
parameter, leave-one-out equals the in-sample scores (the default setting is
the only candidate).

Exits 1 when the mean GA is below --min-ga or the mean PA below --min-pa.
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


def groups_of(labels):
    by = collections.defaultdict(list)
    for i, label in enumerate(labels):
        by[label].append(i)
    return by


def grouping_accuracy(truth, predicted):
    """truth, predicted: lists of labels, one per line. Returns GA in [0, 1]."""
    if len(truth) != len(predicted):
        raise ValueError("length mismatch")
    by_pred = groups_of(predicted)
    correct = 0
    for members in groups_of(truth).values():
        if len(by_pred[predicted[members[0]]]) == len(members) and \
                all(predicted[i] == predicted[members[0]] for i in members):
            correct += len(members)
    return correct / len(truth) if truth else 1.0


def f1(correct, n_predicted, n_truth):
    if correct == 0:
        return 0.0
    p, r = correct / n_predicted, correct / n_truth
    return 2 * p * r / (p + r)


def correct_groups(truth, predicted):
    """Predicted groups whose lines are exactly one true event's lines: {pred label: true label}."""
    by_true = groups_of(truth)
    result = {}
    for p, members in groups_of(predicted).items():
        t = truth[members[0]]
        if len(by_true[t]) == len(members) and all(truth[i] == t for i in members):
            result[p] = t
    return result


def group_f1(truth, predicted):
    return f1(len(correct_groups(truth, predicted)), len(set(predicted)), len(set(truth)))


def parsing_accuracy(true_templates, predicted_templates):
    ok = sum(1 for t, p in zip(true_templates, predicted_templates) if t.strip() == p.strip())
    return ok / len(true_templates) if true_templates else 1.0


def template_f1(true_templates, predicted, templates):
    """FTA: a predicted group is correct when it is a correct group and its template equals the truth."""
    good = correct_groups(true_templates, predicted)
    correct = sum(1 for p, t in good.items() if templates[p].strip() == t.strip())
    return f1(correct, len(set(predicted)), len(set(true_templates)))


def read_csv(path, columns):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for column in columns:
        if rows and column not in rows[0]:
            raise SystemExit(f"{path}: no column {column}")
    return rows


def read_system(corpora, corrected, system):
    rows = read_csv(os.path.join(corpora, system, f"{system}_2k.log_structured.csv"), ["Content", "EventId"])
    contents, events = [], []
    for row in rows:
        content = row["Content"]
        if "\n" in content or "\r" in content:
            raise SystemExit(f"{system}: message with a line break in LineId {row['LineId']}")
        contents.append(content)
        events.append(row["EventId"])
    true_templates = None
    path = os.path.join(corrected, system, f"{system}_2k.log_structured_corrected.csv") if corrected else None
    if path and os.path.isfile(path):
        fixed = read_csv(path, ["Content", "EventTemplate"])
        if [r["Content"] for r in fixed] != contents:
            raise SystemExit(f"{path}: Content differs from the original labels")
        true_templates = [r["EventTemplate"] for r in fixed]
    return contents, events, true_templates


def run_binary(binary, messages, extra=()):
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False, encoding="utf-8", newline="") as f:
        f.write("\n".join(messages) + "\n")
        path = f.name
    try:
        start = time.perf_counter()
        proc = subprocess.run([binary, "patterns", *extra, path], capture_output=True, text=True, encoding="utf-8")
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


def score(data, predicted, templates):
    contents, events, true_templates = data
    s = {"GA": grouping_accuracy(events, predicted), "FGA": group_f1(events, predicted)}
    if true_templates is not None:
        s["PA"] = parsing_accuracy(true_templates, [templates[p] for p in predicted])
        s["FTA"] = template_f1(true_templates, predicted, templates)
    return s


METRICS = ["GA", "FGA", "PA", "FTA"]


def fmt(s, k):
    return f"{s[k]:>6.3f}" if k in s else f"{'-':>6}"


def print_table(rows, title):
    print(title)
    print(f"{'System':<12} {'Lines':>6} {'Events':>6} {'Groups':>6} " + " ".join(f"{m:>6}" for m in METRICS)
          + f" {'Time':>7}")
    for system, n, ne, ng, s, elapsed, note in rows:
        print(f"{system:<12} {n:>6} {ne:>6} {ng:>6} " + " ".join(fmt(s, m) for m in METRICS)
              + f" {elapsed:>6.2f}s{note}")
    means = mean_scores([r[4] for r in rows])
    print(f"{'Mean':<12} {'':>6} {'':>6} {'':>6} " + " ".join(fmt(means, m) for m in METRICS))
    return means


def mean_scores(scores):
    means = {}
    for m in METRICS:
        values = [s[m] for s in scores if m in s]
        if values:
            means[m] = sum(values) / len(values)
    return means


def objective(s):
    return (s["GA"] + s.get("PA", s["GA"])) / 2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=".build/release/logpipe", help="logpipe-like binary (default: %(default)s)")
    ap.add_argument("--corpora", default="../shared/corpora/loghub", help="loghub corpora dir (default: %(default)s)")
    ap.add_argument("--corrected", default="../shared/corpora/loghub_2k_corrected",
                    help="Loghub-2.0 corrected labels dir, for PA and FTA (default: %(default)s)")
    ap.add_argument("--min-ga", type=float, default=0.0, help="fail when mean GA is below this (default: %(default)s)")
    ap.add_argument("--min-pa", type=float, default=0.0, help="fail when mean PA is below this (default: %(default)s)")
    ap.add_argument("--systems", nargs="*", help="only these systems (default: all found)")
    ap.add_argument("--loo", metavar="FLAG=V1,V2,...", action="append", default=[],
                    help="leave-one-out over the values of a `patterns` flag (repeatable: the grid is the product)")
    ap.add_argument("--show-errors", metavar="SYSTEM", help="print mis-grouped events of SYSTEM")
    ap.add_argument("--show-templates", metavar="SYSTEM", help="print wrong templates of SYSTEM (against corrected)")
    args = ap.parse_args()

    if not os.path.exists(args.binary):
        raise SystemExit(f"binary not found: {args.binary}")
    systems = args.systems or sorted(
        d for d in os.listdir(args.corpora)
        if os.path.isfile(os.path.join(args.corpora, d, f"{d}_2k.log_structured.csv"))
    )
    if not systems:
        raise SystemExit(f"no <System>/<System>_2k.log_structured.csv under {args.corpora}")
    data = {s: read_system(args.corpora, args.corrected, s) for s in systems}

    rows = []
    for system in systems:
        predicted, templates, elapsed = run_binary(args.binary, data[system][0])
        s = score(data[system], predicted, templates)
        contents, events, true_templates = data[system]
        rows.append((system, len(contents), len(set(events)), len(set(predicted)), s, elapsed, ""))
        if args.show_errors == system:
            show_errors(contents, events, predicted, templates)
        if args.show_templates == system and true_templates:
            show_templates(contents, true_templates, predicted, templates)
    means = print_table(rows, "In sample (default setting)")

    if args.loo:
        means = leave_one_out(args, systems, data)

    failed = False
    if means["GA"] < args.min_ga:
        print(f"FAIL: mean GA {means['GA']:.3f} < {args.min_ga}", file=sys.stderr)
        failed = True
    if "PA" in means and means["PA"] < args.min_pa:
        print(f"FAIL: mean PA {means['PA']:.3f} < {args.min_pa}", file=sys.stderr)
        failed = True
    return 1 if failed else 0


def leave_one_out(args, systems, data):
    grid = [[]]
    for spec in args.loo:
        flag, _, values = spec.partition("=")
        grid = [g + [flag, v] for g in grid for v in values.split(",") if v]
    results = {}
    for setting in grid:
        for system in systems:
            predicted, templates, elapsed = run_binary(args.binary, data[system][0], setting)
            results[(tuple(setting), system)] = (score(data[system], predicted, templates), elapsed,
                                                 len(set(predicted)))
    rows = []
    for held in systems:
        others = [s for s in systems if s != held]
        # Ties go to the earlier setting: list the default value first.
        best = max(grid, key=lambda g: sum(objective(results[(tuple(g), s)][0]) for s in others))
        s, elapsed, ngroups = results[(tuple(best), held)]
        contents, events, _ = data[held]
        rows.append((held, len(contents), len(set(events)), ngroups, s, elapsed, "  " + " ".join(best)))
    print()
    return print_table(rows, "Leave one out (setting chosen on the other systems)")


def show_errors(contents, events, predicted, templates):
    by_true = groups_of(events)
    by_pred = groups_of(predicted)
    for t, members in sorted(by_true.items(), key=lambda x: -len(x[1])):
        preds = collections.Counter(predicted[i] for i in members)
        if len(preds) == 1 and len(by_pred[predicted[members[0]]]) == len(members):
            continue
        print(f"  {t} ({len(members)} lines) e.g. {contents[members[0]]!r}")
        for p, n in preds.most_common(5):
            others = collections.Counter(events[i] for i in by_pred[p])
            print(f"     -> group {p} x{n} (group has {dict(others.most_common(4))}) {templates.get(p, '')!r}")


def show_templates(contents, true_templates, predicted, templates):
    wrong = collections.Counter()
    example = {}
    for i, (t, p) in enumerate(zip(true_templates, predicted)):
        if t.strip() != templates[p].strip():
            wrong[(t, templates[p])] += 1
            example.setdefault((t, templates[p]), contents[i])
    for (t, p), n in wrong.most_common(40):
        print(f"  x{n}\n    true {t!r}\n    ours {p!r}\n    line {example[(t, p)]!r}")


if __name__ == "__main__":
    sys.exit(main())
