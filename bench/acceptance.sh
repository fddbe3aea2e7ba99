#!/usr/bin/env bash
# Issue 19's acceptance in one run: each logpipe path against its reference tool in the same interleaved rounds,
# with wall and CPU seconds (user+sys) and peak RSS, then the bars, then the per-stage cost table of the LZ4 path.
#   LZ4 path    `logpipe run --codec lz4 < input`            vs `lz4 -1 -c < input`   bar: >= 1.0x wall, CPU <= 2.0x, RSS <= 64 MiB
#   gzip path   `logpipe run --codec gzip < input`           vs `gzip -1 -c < input`  bar: >= 2.5x wall
#   tail path   `logpipe run --input file:COPY` until durable vs `lz4 -1`              bar: the LZ4 path's class
#   replay      `logpipe replay ARCHIVE --out NEW` (LZ4)      vs `lz4 -1`              (reported)
# Ratios: reference median wall / logpipe median wall (higher is faster); CPU: logpipe / reference.
# Also checks that the segments hold the same lines as a reference build's when REF_BIN is given (IDs generated
# per run, UUIDv7, masked).
# Usage: bench/acceptance.sh [path/to/release/logpipe]   (LINES=1000000 RUNS=5 COST=1 REF_BIN=)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-.build/release/logpipe}")
LINES=${LINES:-1000000}
RUNS=${RUNS:-5}
COST=${COST:-1}
OUT=$PWD/bench/out
source bench/lib.sh
INPUT=$(bench_input "$LINES")
TAILED=$OUT/tail/app.log
mkdir -p "$OUT/tail"
[ -s "$TAILED" ] && cmp -s "$INPUT" "$TAILED" || cp "$INPUT" "$TAILED"
ARCHIVE=$OUT/acceptance-archive-$LINES
rm -rf "$ARCHIVE"
"$BIN" run --out "$ARCHIVE" < "$INPUT" 2> /dev/null
cat "$INPUT" "$TAILED" "$ARCHIVE"/*.lz4 > /dev/null   # page cache
SEGS=$OUT/acc-segs STATE=$OUT/acc-state T=$OUT/acc-time.txt ERR=$OUT/acc-stderr.txt

# once NAME: one run; prints "wall cpu rss_kb".
once() {
  rm -rf "$SEGS" "$STATE"
  case $1 in
    lz4-1)  /usr/bin/time -f "%e %U %S %M" -o "$T" bash -c "lz4 -1 -c < $INPUT > /dev/null" ;;
    gzip-1) /usr/bin/time -f "%e %U %S %M" -o "$T" bash -c "gzip -1 -c < $INPUT > /dev/null" ;;
    logpipe-lz4|logpipe-gzip)
      /usr/bin/time -f "%e %U %S %M" -o "$T" "$BIN" run --codec "${1#logpipe-}" --out "$SEGS" --state-dir "$STATE" \
        < "$INPUT" 2> "$ERR" || { cat "$ERR" >&2; exit 1; } ;;
    logpipe-tail)
      python3 bench/time_tail.py --rusage "$STATE" "$(stat -c %s "$TAILED")" 120 "$ERR" -- \
        "$BIN" run --input "file:$TAILED" --out "$SEGS" --state-dir "$STATE" > "$T.tail" || { cat "$ERR" >&2; exit 1; }
      read -r durable _ cpu rss < "$T.tail"
      echo "$durable $cpu 0 $rss" > "$T" ;;
    logpipe-replay)
      /usr/bin/time -f "%e %U %S %M" -o "$T" "$BIN" replay "$ARCHIVE" --out "$SEGS" --state-dir "$STATE" \
        2> "$ERR" || { cat "$ERR" >&2; exit 1; } ;;
  esac
  awk '{printf "%s %.3f %s", $1, $2 + $3, $4}' "$T"
}

names=(lz4-1 logpipe-lz4 gzip-1 logpipe-gzip logpipe-tail logpipe-replay)
declare -A walls cpus rss
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq "$RUNS"); do
  for n in "${names[@]}"; do
    read -r w c r <<< "$(once "$n")"
    walls[$n]+="$w "; cpus[$n]+="$c "
    [ "$r" -gt "${rss[$n]:-0}" ] && rss[$n]=$r
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
best() { tr ' ' '\n' | grep . | sort -n | head -1; }
echo "input: $LINES lines, $(stat -c %s "$INPUT") bytes; $RUNS interleaved rounds, $(nproc) cores;" \
  "load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-15s %9s %9s %9s %10s %9s %8s %8s\n' name med-wall best-wall med-cpu peakRSS-MB reference x-wall x-cpu
declare -A mw mc
for n in "${names[@]}"; do
  mw[$n]=$(echo "${walls[$n]}" | median); mc[$n]=$(echo "${cpus[$n]}" | median)
done
for n in "${names[@]}"; do
  ref=lz4-1; [ "$n" = logpipe-gzip ] && ref=gzip-1
  [[ $n == logpipe-* ]] || ref=-
  awk -v n="$n" -v w="${mw[$n]}" -v b="$(echo "${walls[$n]}" | best)" -v c="${mc[$n]}" -v r="${rss[$n]}" \
      -v ref="$ref" -v rw="${mw[$ref]:-0}" -v rc="${mc[$ref]:-0}" 'BEGIN {
    if (ref == "-") printf "%-15s %9.3f %9.3f %9.3f %10.1f %9s %8s %8s\n", n, w, b, c, r/1024, "-", "-", "-"
    else printf "%-15s %9.3f %9.3f %9.3f %10.1f %9s %7.2fx %7.2fx\n", n, w, b, c, r/1024, ref, rw/w, c/rc }'
done
echo
awk -v w="${mw[logpipe-lz4]}" -v lw="${mw[lz4-1]}" -v c="${mc[logpipe-lz4]}" -v lc="${mc[lz4-1]}" \
    -v r="${rss[logpipe-lz4]}" -v gw="${mw[logpipe-gzip]}" -v g1="${mw[gzip-1]}" -v tw="${mw[logpipe-tail]}" \
    -v tr="${rss[logpipe-tail]}" -v tc="${mc[logpipe-tail]}" 'BEGIN {
  printf "LZ4 path  wall %.2fx lz4 -1 (bar >= 1.0): %s\n", lw/w, (lw/w >= 1.0 ? "met" : "NOT MET")
  printf "LZ4 path  CPU  %.2fx lz4 -1 (bar <= 2.0): %s\n", c/lc, (c/lc <= 2.0 ? "met" : "NOT MET")
  printf "LZ4 path  RSS  %.1f MiB (bar <= 64): %s\n", r/1024, (r/1024 <= 64 ? "met" : "NOT MET")
  printf "tail path wall %.2fx, CPU %.2fx lz4 -1, RSS %.1f MiB (bar: as the LZ4 path): %s\n", lw/tw, tc/lc, tr/1024,
    (lw/tw >= 1.0 && tc/lc <= 2.0 && tr/1024 <= 64 ? "met" : "NOT MET")
  printf "gzip path wall %.2fx gzip -1 (bar >= 2.5): %s\n", g1/gw, (g1/gw >= 2.5 ? "met" : "NOT MET") }'
if [ -n "${REF_BIN:-}" ]; then
  # Same segments: the lines of one run of each build, generated IDs (UUIDv7) masked.
  mask() { sed -E 's/[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/<v7>/g'; }
  rm -rf "$OUT/acc-ref"; "$REF_BIN" run --out "$OUT/acc-ref" < "$INPUT" 2> /dev/null
  rm -rf "$SEGS"; "$BIN" run --out "$SEGS" < "$INPUT" 2> /dev/null
  if cmp -s <(lz4 -dc -m "$OUT"/acc-ref/*.lz4 -c | mask) <(lz4 -dc -m "$SEGS"/*.lz4 -c | mask); then
    echo "segments: the same lines as $REF_BIN's (generated IDs masked)"
  else echo "segments: DIFFER from $REF_BIN's" >&2; exit 1; fi
  rm -rf "$OUT/acc-ref"
fi
rm -rf "$SEGS" "$STATE" "$ARCHIVE"
if [ "$COST" = 1 ]; then echo; bash bench/cost_table.sh "$BIN" stdin; fi
