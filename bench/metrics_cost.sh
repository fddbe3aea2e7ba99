#!/usr/bin/env bash
# Metrics cost (issue 7): the core throughput benchmark (`logpipe run < 1,000,000 generated JSON lines`, lz4) with
# and without `--metrics 127.0.0.1:0`, best of $RUNS each, runs interleaved so both see the same machine state.
# Prints both times (wall and CPU = user+sys, best of each), lines/s and the differences in percent (target: under
# 5%). CPU time is the steadier figure on a shared machine: wall time moves with whatever else runs (the load
# average is printed before and after).
# Usage: bench/metrics_cost.sh [path/to/release/logpipe]   (LINES=1000000 RUNS=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/logpipe}
LINES=${LINES:-1000000}
RUNS=${RUNS:-3}
OUT=$PWD/bench/out
mkdir -p "$OUT"
if [ "$BIN" = .build/release/logpipe ]; then swift build -c release --product logpipe >&2; fi
INPUT=$OUT/input-$LINES.jsonl
if [ ! -s "$INPUT" ]; then
  python3 bench/gen_logs.py --lines "$LINES" --seed 42 > "$INPUT.tmp" && mv "$INPUT.tmp" "$INPUT"
fi
cat "$INPUT" > /dev/null   # page cache: every run reads from memory

# once MODE: "wall cpu" seconds of one run into fresh directories; checks the summary counts every line.
once() {
  local mode=$1 extra=()
  [ "$mode" = metrics ] && extra=(--metrics 127.0.0.1:0)
  rm -rf "$OUT/metrics-segs" "$OUT/metrics-state"
  /usr/bin/time -f "%e %U %S" -o "$OUT/metrics-time.txt" \
    "$BIN" run --codec lz4 --out "$OUT/metrics-segs" --state-dir "$OUT/metrics-state" "${extra[@]}" \
    < "$INPUT" 2> "$OUT/metrics-stderr.txt"
  grep -q "^logpipe: $LINES lines in, $LINES entries out" "$OUT/metrics-stderr.txt" \
    || { echo "unexpected summary ($mode):" >&2; cat "$OUT/metrics-stderr.txt" >&2; exit 1; }
  if [ "$mode" = metrics ]; then
    grep -q "serving /health and /metrics on 127.0.0.1:" "$OUT/metrics-stderr.txt" \
      || { echo "metrics server did not start:" >&2; cat "$OUT/metrics-stderr.txt" >&2; exit 1; }
  fi
  awk '{printf "%.3f %.3f", $1, $2 + $3}' "$OUT/metrics-time.txt"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
declare -A best
for i in $(seq "$RUNS"); do
  for mode in plain metrics; do
    read -r wall cpu <<< "$(once "$mode")"
    echo "run $i $mode: wall ${wall}s cpu ${cpu}s" >&2
    for k in wall cpu; do
      v=${!k}
      cur=${best[$mode-$k]:-}
      if [ -z "$cur" ] || awk "BEGIN{exit !($v < $cur)}"; then best[$mode-$k]=$v; fi
    done
  done
done
rm -rf "$OUT/metrics-segs" "$OUT/metrics-state"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "input: $LINES lines, $(stat -c %s "$INPUT") bytes, best of $RUNS runs each, $(nproc) cores"
printf '%-18s %9s %12s %9s\n' mode wall-s lines/s cpu-s
awk -v pw="${best[plain-wall]}" -v mw="${best[metrics-wall]}" -v pc="${best[plain-cpu]}" -v mc="${best[metrics-cpu]}" -v lines="$LINES" 'BEGIN {
  printf "%-18s %9.3f %12.0f %9.3f\n", "without --metrics", pw, lines / pw, pc
  printf "%-18s %9.3f %12.0f %9.3f\n", "with --metrics", mw, lines / mw, mc
  dw = (mw - pw) / pw * 100; dc = (mc - pc) / pc * 100
  printf "metrics cost: wall %+.1f%%, cpu %+.1f%% (target < 5%%): %s\n", dw, dc, (dw < 5 && dc < 5 ? "OK" : "OVER")
}'
