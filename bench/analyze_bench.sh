#!/usr/bin/env bash
# analyze speed (issues 18, 23): `logpipe analyze` over an archive of 1,000,000 generated entries (LZ4 segments),
# best of RUNS, with `lz4 -dc` of the same segments (reading alone) in the same rounds. Target: under 2 s on two
# cores. Usage: bench/analyze_bench.sh [path/to/release/logpipe]   (LINES=1000000 RUNS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/logpipe}
LINES=${LINES:-1000000}
RUNS=${RUNS:-3}
OUT=bench/out
mkdir -p "$OUT"
source bench/lib.sh
INPUT=$(bench_input "$LINES")
ARCHIVE=$OUT/analyze-archive-$LINES
if [ ! -d "$ARCHIVE" ]; then "$BIN" run --out "$ARCHIVE.tmp" < "$INPUT" 2> /dev/null && mv "$ARCHIVE.tmp" "$ARCHIVE"; fi
cat "$ARCHIVE"/*.lz4 > /dev/null
best_a="" best_l="" cpu_a=""
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/analyze-time.txt" "$BIN" analyze "$ARCHIVE" --format json > /dev/null
  read -r e u s m < "$OUT/analyze-time.txt"
  if [ -z "$best_a" ] || awk "BEGIN{exit !($e < $best_a)}"; then best_a=$e; cpu_a=$(awk "BEGIN{print $u+$s}"); rss=$m; fi
  /usr/bin/time -f "%e" -o "$OUT/analyze-time.txt" bash -c "lz4 -dc -m $ARCHIVE/*.lz4 -c > /dev/null"
  read -r e < "$OUT/analyze-time.txt"
  if [ -z "$best_l" ] || awk "BEGIN{exit !($e < $best_l)}"; then best_l=$e; fi
done
echo "analyze: $LINES entries in ${best_a} s wall (${cpu_a} s CPU, peak RSS $((rss / 1024)) MB); lz4 -dc of the same segments ${best_l} s; $(nproc) cores"
awk -v t="$best_a" 'BEGIN { print (t < 2.0 ? "target (under 2 s): met" : "target (under 2 s): NOT MET") }'
