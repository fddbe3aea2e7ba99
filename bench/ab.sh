#!/usr/bin/env bash
# A/B of two logpipe builds on the stdin → LZ4 path, with `lz4 -1` in the same rounds (interleaved: A, B, lz4 per
# round), from the page cache. Prints per contender the median and best wall seconds and the median CPU seconds
# (user+sys), and B's ratio to A. Usage: bench/ab.sh BIN_A BIN_B [ROUNDS]   (LINES=1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1 B=$2 ROUNDS=${3:-8}
LINES=${LINES:-1000000}
OUT=bench/out
mkdir -p "$OUT"
source bench/lib.sh
INPUT=$(bench_input "$LINES")
cat "$INPUT" > /dev/null
declare -A wall cpu
for r in $(seq "$ROUNDS"); do
  for name in A B lz4; do
    rm -rf "$OUT/ab-segs"
    case $name in
      A) cmd="$A run --out $OUT/ab-segs < $INPUT" ;;
      B) cmd="$B run --out $OUT/ab-segs < $INPUT" ;;
      lz4) cmd="lz4 -1 -c < $INPUT > /dev/null" ;;
    esac
    /usr/bin/time -f "%e %U %S" -o "$OUT/ab-time.txt" bash -c "$cmd" > /dev/null 2>&1
    read -r e u s < "$OUT/ab-time.txt"
    wall[$name]+="$e "; cpu[$name]+="$(awk "BEGIN{print $u+$s}") "
  done
done
stat() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%.3f %.3f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[1]}'; }
printf '%-5s %12s %10s %12s\n' name median-wall best-wall median-cpu
for name in A B lz4; do
  read -r med best <<< "$(echo "${wall[$name]}" | stat)"
  read -r cmed _ <<< "$(echo "${cpu[$name]}" | stat)"
  printf '%-5s %12s %10s %12s\n' "$name" "$med" "$best" "$cmed"
  eval "med_$name=$med; cpu_$name=$cmed"
done
awk -v a="$med_A" -v b="$med_B" -v ca="$cpu_A" -v cb="$cpu_B" -v l="$med_lz4" 'BEGIN {
  printf "B/A wall %.3f, B/A cpu %.3f; vs lz4 -1: A %.2fx, B %.2fx\n", b/a, cb/ca, l/a, l/b }'
