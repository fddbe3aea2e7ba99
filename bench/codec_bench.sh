#!/usr/bin/env bash
# Codec benchmark (issue 21): the segment codecs inside `logpipe run` against the reference tools alone
# (`zstd -1`, `zstd -3`, `gzip -1`, `lz4 -1`), in the same run, interleaved rounds.
# The tools compress the segment lines themselves (what the segment codec compresses: the entries as logpipe writes
# them, decompressed from an LZ4 archive of the input), as one stream; logpipe runs the whole pipeline on the raw
# input and writes one frame per batch (that is what keeps segments readable while written and salvageable).
# Ratio = uncompressed segment-line bytes / compressed bytes; MB/s = uncompressed segment-line bytes / wall time.
# Usage: bench/codec_bench.sh [path/to/release/logpipe]   (LINES=1000000 RUNS=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/logpipe}
LINES=${LINES:-1000000}
RUNS=${RUNS:-3}
OUT=bench/out
mkdir -p "$OUT"
source bench/lib.sh
INPUT=$(bench_input "$LINES")
# The segment lines: the entries exactly as the segments hold them.
rm -rf "$OUT/codec-archive"
"$BIN" run --out "$OUT/codec-archive" < "$INPUT" 2> /dev/null
LINESFILE=$OUT/segment-lines-$LINES.jsonl
"$BIN" cat "$OUT/codec-archive" > "$LINESFILE"
UNC=$(stat -c %s "$LINESFILE")
cat "$INPUT" "$LINESFILE" > /dev/null   # page cache: every contender reads from memory

# Every contender once per round, $RUNS rounds; keeps the best wall time and the compressed size of the last run.
declare -a names=() cmds=()
add() { names+=("$1"); cmds+=("$2"); }
add zstd-1        "zstd -1 -q -c < $LINESFILE > $OUT/codec-tool.out"
add zstd-3        "zstd -3 -q -c < $LINESFILE > $OUT/codec-tool.out"
add gzip-1        "gzip -1 -c < $LINESFILE > $OUT/codec-tool.out"
add lz4-1         "lz4 -1 -q -c < $LINESFILE > $OUT/codec-tool.out"
add logpipe-zstd  "$BIN run --codec zstd --out $OUT/codec-segs < $INPUT"
add logpipe-zstd3 "$BIN run --codec zstd --codec-level 3 --out $OUT/codec-segs < $INPUT"
add logpipe-gzip  "$BIN run --codec gzip --out $OUT/codec-segs < $INPUT"
add logpipe-lz4   "$BIN run --codec lz4 --out $OUT/codec-segs < $INPUT"
declare -A best=() size=()
for _ in $(seq "$RUNS"); do
  for k in "${!names[@]}"; do
    n=${names[$k]}
    rm -rf "$OUT/codec-segs" "$OUT/codec-tool.out"
    start=$(date +%s.%N)
    bash -c "${cmds[$k]}" 2> "$OUT/codec-stderr.txt" || { cat "$OUT/codec-stderr.txt" >&2; exit 1; }
    wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{print e-s}')
    if [ -z "${best[$n]:-}" ] || awk "BEGIN{exit !($wall < ${best[$n]})}"; then best[$n]=$wall; fi
    if [[ $n == logpipe-* ]]; then
      size[$n]=$(cat "$OUT"/codec-segs/*.jsonl.* | wc -c)
      # Every entry is in the segments (generated IDs differ per run: compare counts, and sizes within 1%).
      got=$("$BIN" cat "$OUT/codec-segs" | wc -c)
      [ "$("$BIN" cat "$OUT/codec-segs" | wc -l)" = "$LINES" ] &&
        awk -v a="$got" -v b="$UNC" 'BEGIN{exit !(a > b*0.99 && a < b*1.01)}' ||
        { echo "$n: segments do not hold the $LINES entries" >&2; exit 1; }
    else
      size[$n]=$(stat -c %s "$OUT/codec-tool.out")
    fi
  done
done
# zstd -dc must read every logpipe zstd segment back to the same lines.
"$BIN" run --codec zstd --out "$OUT/codec-segs-check" < "$INPUT" 2> /dev/null
cmp -s <(zstd -q -dc "$OUT"/codec-segs-check/*.jsonl.zst) <("$BIN" cat "$OUT/codec-segs-check") &&
  echo "zstd -dc reads the zstd segments: the same bytes as logpipe cat" || { echo "zstd -dc differs" >&2; exit 1; }
rm -rf "$OUT/codec-segs-check"

echo "segment lines: $LINES entries, $UNC bytes; best of $RUNS interleaved rounds, $(nproc) cores, batch = $(
  ConfigDefault=$("$BIN" validate --list-keys | awk -F'|' '/--batch-max-entries/ {gsub(/ /,"",$5); print $5}'); echo "$ConfigDefault") entries"
printf '%-14s %9s %9s %12s %8s\n' name seconds MB/s bytes ratio
for n in "${names[@]}"; do
  awk -v n="$n" -v t="${best[$n]}" -v s="${size[$n]}" -v u="$UNC" \
    'BEGIN { printf "%-14s %9.3f %9.1f %12d %8.2f\n", n, t, u/t/1e6, s, u/s }'
done
