#!/usr/bin/env bash
# OTLP output throughput (issue 21): `logpipe run` on the same generated input with segments only, with an NDJSON
# `--output http://…` and with `--output otlp+http://…/v1/logs`, each to a receiver that answers 200 without
# decoding (scripts/otlp_receiver.py --discard), in interleaved rounds; entries/s over the whole run (read, parse,
# segments, spool, encode, send, drain).
# Usage: bench/otlp_bench.sh [path/to/release/logpipe]   (LINES=200000 RUNS=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/logpipe}
LINES=${LINES:-200000}
RUNS=${RUNS:-3}
OUT=bench/out
mkdir -p "$OUT"
source bench/lib.sh
INPUT=$(bench_input "$LINES")
cat "$INPUT" > /dev/null
rm -f "$OUT/otlp-discard.port"
python3 scripts/otlp_receiver.py "$OUT/otlp-discard" --discard > /dev/null &
RECEIVER=$!
trap 'kill $RECEIVER' EXIT
for _ in $(seq 50); do [ -s "$OUT/otlp-discard.port" ] && break; sleep 0.1; done
PORT=$(cat "$OUT/otlp-discard.port")
declare -a names=(segments-only ndjson-output otlp-output)
declare -a cmds=(
  "$BIN run --out $OUT/otlp-segs --state-dir $OUT/otlp-state < $INPUT"
  "$BIN run --out $OUT/otlp-segs --state-dir $OUT/otlp-state --output http://127.0.0.1:$PORT/ingest < $INPUT"
  "$BIN run --out $OUT/otlp-segs --state-dir $OUT/otlp-state --output otlp+http://127.0.0.1:$PORT/v1/logs < $INPUT")
declare -A best=()
for _ in $(seq "$RUNS"); do
  for k in "${!names[@]}"; do
    rm -rf "$OUT/otlp-segs" "$OUT/otlp-state"
    start=$(date +%s.%N)
    bash -c "${cmds[$k]}" 2> "$OUT/otlp-stderr.txt" || { cat "$OUT/otlp-stderr.txt" >&2; exit 1; }
    wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{print e-s}')
    [ "${names[$k]}" = segments-only ] || grep -q "http: $LINES sent, 0 spooled" "$OUT/otlp-stderr.txt" ||
      { echo "${names[$k]}: not every entry sent: $(cat "$OUT/otlp-stderr.txt")" >&2; exit 1; }
    if [ -z "${best[${names[$k]}]:-}" ] || awk "BEGIN{exit !($wall < ${best[${names[$k]}]})}"; then best[${names[$k]}]=$wall; fi
  done
done
echo "input: $LINES entries, best of $RUNS interleaved rounds, $(nproc) cores"
printf '%-15s %9s %12s\n' name seconds entries/s
for n in "${names[@]}"; do awk -v n="$n" -v t="${best[$n]}" -v l="$LINES" 'BEGIN{printf "%-15s %9.3f %12.0f\n", n, t, l/t}'; done
