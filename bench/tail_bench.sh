#!/usr/bin/env bash
# File-tail throughput (issue 3): `lz4 -1` alone on a 1,000,000-line file vs `logpipe run --input file:THAT`
# until every entry is durable in a segment (its checkpoint reaches the file's size), then SIGTERM.
# Prints seconds, MB/s and the ratio to lz4 -1 (target >= 0.8x), with logpipe on the same file through stdin for
# reference. Best of $RUNS runs, input in the page cache. Ratio: lz4 -1 time / this time.
# Usage: bench/tail_bench.sh [path/to/release/logpipe]   (LINES=1000000 RUNS=3; BATCH_TIMEOUT=DURATION optional)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/logpipe}
LINES=${LINES:-1000000}
RUNS=${RUNS:-3}
# Both contenders run with the same settings (logpipe's defaults unless BATCH_TIMEOUT is set). A tail never sees end
# of input: the end of its backlog is cut and fsynced once the file has been quiet for 5 ms, not on the batch timeout.
BATCH_TIMEOUT=${BATCH_TIMEOUT:-}
TIMEOUT_ARGS=()
[ -n "$BATCH_TIMEOUT" ] && TIMEOUT_ARGS=(--batch-timeout "$BATCH_TIMEOUT")
OUT=$PWD/bench/out
mkdir -p "$OUT"
if [ ! -x "$BIN" ]; then swift build -c release --product logpipe >&2; fi
INPUT=$OUT/input-$LINES.jsonl
if [ ! -s "$INPUT" ]; then
  python3 bench/gen_logs.py --lines "$LINES" --seed 42 > "$INPUT.tmp" && mv "$INPUT.tmp" "$INPUT"
fi
# The tailed file: its own copy, so the glob matches exactly one file.
TAILED=$OUT/tail/app.log
mkdir -p "$OUT/tail"
[ -s "$TAILED" ] && cmp -s "$INPUT" "$TAILED" || cp "$INPUT" "$TAILED"
BYTES=$(stat -c %s "$TAILED")
cat "$TAILED" > /dev/null   # page cache: both contenders read from memory

now() { date +%s.%N; }

lz4_once() {
  local t0 t1
  t0=$(now); lz4 -1 -c < "$TAILED" > /dev/null; t1=$(now)
  awk "BEGIN{print $t1 - $t0}"
}

# One tail run: prints "<seconds until durable> <seconds until exit> <entries out>".
tail_once() {
  local segs=$OUT/tail-segs state=$OUT/tail-state err=$OUT/tail-stderr.txt times
  rm -rf "$segs" "$state"
  times=$(python3 bench/time_tail.py "$state" "$BYTES" 120 "$err" -- \
    "$BIN" run --input "file:$TAILED" --out "$segs" --state-dir "$state" "${TIMEOUT_ARGS[@]}") || {
    echo "logpipe failed:" >&2; cat "$err" >&2; exit 1; }
  local entries
  entries=$(sed -n 's/.* \([0-9]*\) entries out.*/\1/p' "$err" | tail -1)
  echo "$times ${entries:-0}"
}

# The same file through stdin (the class the tail is compared with in issue 3).
stdin_once() {
  local t0 t1
  rm -rf "$OUT/stdin-segs"
  t0=$(now); "$BIN" run --out "$OUT/stdin-segs" "${TIMEOUT_ARGS[@]}" < "$TAILED" 2> /dev/null; t1=$(now)
  awk "BEGIN{print $t1 - $t0}"
}

best_lz4=""; best_durable=""; best_exit=""; best_stdin=""; entries=0
for _ in $(seq "$RUNS"); do
  s=$(stdin_once)
  if [ -z "$best_stdin" ] || awk "BEGIN{exit !($s < $best_stdin)}"; then best_stdin=$s; fi
  t=$(lz4_once)
  if [ -z "$best_lz4" ] || awk "BEGIN{exit !($t < $best_lz4)}"; then best_lz4=$t; fi
  read -r d e n < <(tail_once)
  if [ -z "$best_durable" ] || awk "BEGIN{exit !($d < $best_durable)}"; then best_durable=$d; fi
  if [ -z "$best_exit" ] || awk "BEGIN{exit !($e < $best_exit)}"; then best_exit=$e; fi
  entries=$n
done
if [ "$entries" != "$LINES" ]; then
  echo "logpipe wrote $entries entries, expected $LINES" >&2
  cat "$OUT/tail-stderr.txt" >&2
  exit 1
fi
segments_lines=$(lz4 -dc -m "$OUT"/tail-segs/*.jsonl.lz4 -c | wc -l)
echo "input: $LINES lines, $BYTES bytes, tailed from $TAILED; best of $RUNS runs, $(nproc) cores, --batch-timeout ${BATCH_TIMEOUT:-default}"
echo "segments: $segments_lines lines (lz4 -dc), summary: $(grep -o 'tail .*' "$OUT/tail-stderr.txt")"
printf '%-22s %9s %9s %10s\n' name seconds MB/s vs-lz4-1
awk -v b="$BYTES" -v l="$best_lz4" -v d="$best_durable" -v e="$best_exit" -v s="$best_stdin" 'BEGIN {
  printf "%-22s %9.3f %9.1f %9.2fx\n", "lz4-1", l, b/l/1e6, 1
  printf "%-22s %9.3f %9.1f %9.2fx\n", "logpipe-stdin", s, b/s/1e6, l/s
  printf "%-22s %9.3f %9.1f %9.2fx\n", "logpipe-tail-durable", d, b/d/1e6, l/d
  printf "%-22s %9.3f %9.1f %9.2fx\n", "logpipe-tail-exit", e, b/e/1e6, l/e }'
# Issue 3's target, stated by the run itself.
awk -v l="$best_lz4" -v d="$best_durable" 'BEGIN {
  r = l / d; printf "target: tail (durable) >= 0.80x lz4 -1: %s (%.3fx)\n", (r >= 0.8 ? "met" : "NOT MET"), r }'
