#!/usr/bin/env bash
# Per-stage cost table (issue 19): one `logpipe` run profiled with `perf record -e cpu-clock` (Debian's linux-perf;
# software clock, so it works in VMs without hardware counters), charged to stages by bench/cost_table.py: ns of
# CPU per line for reading, framing, parsing, filtering, enrichment, encoding, compression, writing, hand-offs, and
# each thread's CPU beside the wall time (what it spent waiting).
# PATH_KIND: stdin (the LZ4 path, default), gzip (the same with --codec gzip), tail (`--input file:` until durable,
# then SIGTERM), replay (an LZ4 archive of the input through `logpipe replay` into a new archive).
# WAITS=1 (default) profiles the same run once more with `perf sched record`: per thread, the time it ran, slept
# (blocked: no batch, no free slot, a read, an fsync) and waited for a core (the other threads, other processes).
# Usage: bench/cost_table.sh [path/to/release/logpipe] [stdin|gzip|tail|replay] [--markdown]   (LINES=1000000 FREQ=4999 WAITS=1)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-.build/release/logpipe}")
KIND=${2:-stdin}
FORMAT=${3:-}
LINES=${LINES:-1000000}
FREQ=${FREQ:-4999}
WAITS=${WAITS:-1}
OUT=$PWD/bench/out
command -v perf > /dev/null || { echo "perf not found (apt-get install linux-perf)" >&2; exit 1; }
source bench/lib.sh
INPUT=$(bench_input "$LINES")
DATA=$OUT/cost-$KIND.perf
SEGS=$OUT/cost-segs STATE=$OUT/cost-state TIMES=$OUT/cost-time.txt
rm -rf "$SEGS" "$STATE"
# record CMD...: the run profiled (cpu-clock samples), then again under the scheduler tracepoints when WAITS=1.
record() {
  perf record -q -F "$FREQ" -e cpu-clock -o "$DATA" -- "$@" 2> "$OUT/cost-stderr.txt" > "$OUT/cost-stdout.txt" ||
    { cat "$OUT/cost-stderr.txt" >&2; exit 1; }
  [ "$WAITS" = 1 ] || return 0
  cp "$OUT/cost-stdout.txt" "$OUT/cost-stdout.first"; [ -f "$TIMES" ] && cp "$TIMES" "$TIMES.first"
  rm -rf "$SEGS" "$STATE"
  perf sched record -o "$DATA.sched" -- "$@" > /dev/null 2> "$OUT/cost-stderr.txt" < "${STDIN_FILE:-/dev/null}" ||
    { cat "$OUT/cost-stderr.txt" >&2; exit 1; }
  mv "$OUT/cost-stdout.first" "$OUT/cost-stdout.txt"; [ -f "$TIMES.first" ] && mv "$TIMES.first" "$TIMES"
  return 0
}
case $KIND in
  stdin|gzip)
    codec=lz4; [ "$KIND" = gzip ] && codec=gzip
    STDIN_FILE=$INPUT record /usr/bin/time -f "%e" -o "$TIMES" "$BIN" run --codec "$codec" --out "$SEGS" \
      --state-dir "$STATE" < "$INPUT"
    wall=$(cat "$TIMES") ;;
  tail)
    TAILED=$OUT/tail/app.log
    mkdir -p "$OUT/tail"
    [ -s "$TAILED" ] && cmp -s "$INPUT" "$TAILED" || cp "$INPUT" "$TAILED"
    cat "$TAILED" > /dev/null
    record python3 bench/time_tail.py "$STATE" "$(stat -c %s "$TAILED")" 120 "$OUT/cost-run-stderr.txt" -- \
      "$BIN" run --input "file:$TAILED" --out "$SEGS" --state-dir "$STATE"
    wall=$(cut -d' ' -f1 "$OUT/cost-stdout.txt") ;;  # time_tail.py: "<seconds until durable> <until exit>"
  replay)
    ARCHIVE=$OUT/cost-archive-$LINES
    [ -d "$ARCHIVE" ] || { "$BIN" run --out "$ARCHIVE.tmp" < "$INPUT" 2> /dev/null && mv "$ARCHIVE.tmp" "$ARCHIVE"; }
    cat "$ARCHIVE"/*.lz4 > /dev/null
    record /usr/bin/time -f "%e" -o "$TIMES" "$BIN" replay "$ARCHIVE" --out "$SEGS" --state-dir "$STATE"
    wall=$(cat "$TIMES") ;;
  *) echo "unknown path $KIND (stdin, gzip, tail, replay)" >&2; exit 2 ;;
esac
echo "cost table: logpipe $KIND path, $LINES lines, perf cpu-clock at $FREQ Hz, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/cost_table.py "$DATA" "$LINES" "$wall" --exe "$(basename "$BIN")" --workers "$(nproc)" $FORMAT
if [ "$WAITS" = 1 ]; then echo; python3 bench/cost_table.py --waits "$DATA.sched" --exe "$(basename "$BIN")"; fi
rm -rf "$SEGS" "$STATE"
