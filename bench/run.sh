#!/usr/bin/env bash
# Throughput benchmark (issue 2): the physical limits (lz4 -1, gzip -1 alone) and logpipe with each codec,
# on the same generated input, in the same run. Prints lines/s, MB/s, ratio to the limit and peak RSS.
# Usage: bench/run.sh [path/to/release/logpipe]   (LINES=1000000 RUNS=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/logpipe}
LINES=${LINES:-1000000}
RUNS=${RUNS:-3}
OUT=bench/out
mkdir -p "$OUT"
INPUT=$OUT/input-$LINES.jsonl
if [ ! -s "$INPUT" ]; then
  python3 bench/gen_logs.py --lines "$LINES" --seed 42 > "$INPUT.tmp" && mv "$INPUT.tmp" "$INPUT"
fi
BYTES=$(stat -c %s "$INPUT")
cat "$INPUT" > /dev/null   # page cache: every contender reads from memory

# rounds NAME=CMD...: every contender once per round, $RUNS rounds (the machine's speed drifts: interleaving keeps
# the ratios of one run comparable); prints "NAME best-wall-seconds peak-RSS-KB" per contender, via /usr/bin/time -v.
rounds() {
  local -a names=() cmds=()
  for a in "$@"; do names+=("${a%%=*}"); cmds+=("${a#*=}"); done
  local -A best=() rss=()
  for _ in $(seq "$RUNS"); do
    for k in "${!names[@]}"; do
      rm -rf "$OUT/segs"
      /usr/bin/time -v -o "$OUT/time.txt" bash -c "${cmds[$k]}" > /dev/null 2> "$OUT/stderr.txt" || { cat "$OUT/stderr.txt" >&2; exit 1; }
      local wall r n=${names[$k]}
      wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$OUT/time.txt")
      r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/time.txt")
      if [ -z "${best[$n]:-}" ] || awk "BEGIN{exit !($wall < ${best[$n]})}"; then best[$n]=$wall; fi
      [ "$r" -gt "${rss[$n]:-0}" ] && rss[$n]=$r
    done
  done
  for n in "${names[@]}"; do echo "$n ${best[$n]} ${rss[$n]}"; done
}

results=$(rounds \
  "lz4-1=lz4 -1 -c < $INPUT" \
  "gzip-1=gzip -1 -c < $INPUT" \
  "logpipe-lz4=$BIN run --codec lz4 --out $OUT/segs < $INPUT" \
  "logpipe-gzip=$BIN run --codec gzip --out $OUT/segs < $INPUT" \
  "cat=cat < $INPUT")
# Reading back (issue 5): lz4 -dc alone on the same segments vs logpipe cat, plain and filtered.
rm -rf "$OUT/archive"
"$BIN" run --out "$OUT/archive" < "$INPUT" 2> /dev/null
cat "$OUT"/archive/*.lz4 > /dev/null
readback=$(rounds \
  "lz4-dc=lz4 -dc -m $OUT/archive/*.lz4 -c" \
  "cat-all=$BIN cat $OUT/archive" \
  "cat-min-error=$BIN cat $OUT/archive --min-level ERROR")
echo "input: $LINES lines, $BYTES bytes ($(awk "BEGIN{printf \"%.0f\", $BYTES/$LINES}") B/line), best of $RUNS interleaved rounds, $(nproc) cores"
printf '%-14s %9s %12s %9s %12s %10s\n' name seconds lines/s MB/s vs-limit peakRSS-MB
echo "$results" | awk -v bytes="$BYTES" -v lines="$LINES" '
  { t[$1]=$2; r[$1]=$3; order[NR]=$1 }
  END {
    for (i=1; i<=NR; i++) { n=order[i]; limit = (n ~ /gzip/) ? t["gzip-1"] : t["lz4-1"];
      printf "%-14s %9.3f %12.0f %9.1f %11.2fx %10.1f\n", n, t[n], lines/t[n], bytes/t[n]/1e6, limit/t[n], r[n]/1024 } }'
echo
echo "read-back of the same entries from LZ4 segments (ratio: lz4 -dc time / this time)"
printf '%-14s %9s %12s %9s %12s %10s\n' name seconds entries/s MB/s vs-lz4-dc peakRSS-MB
UNC=$(awk -F'"uncompressedBytes": ' '{split($2,a,","); s+=a[1]} END {print s}' "$OUT"/archive/*.meta.json)
echo "$readback" | awk -v bytes="$UNC" -v lines="$LINES" '
  { t[$1]=$2; r[$1]=$3; order[NR]=$1 }
  END { for (i=1; i<=NR; i++) { n=order[i];
      printf "%-14s %9.3f %12.0f %9.1f %11.2fx %10.1f\n", n, t[n], lines/t[n], bytes/t[n]/1e6, t["lz4-dc"]/t[n], r[n]/1024 } }'
