#!/usr/bin/env bash
# UDP loss benchmark (issue 3): logpipe with default settings on udp://127.0.0.1:PORT, fed by bench/udp_send.c at a
# fixed pace (RATES, datagrams/s, SECONDS each, one run per rate). After each run logpipe gets SIGTERM, the
# entries in its segments are counted (lz4 -dc | wc -l) against the datagrams sent (and their distinct seq=N, to
# catch duplicates), and the loss is printed with logpipe's own kernel drop counter (from its exit summary).
# Usage: bench/udp_bench.sh [path/to/release/logpipe]   (RATES="100000 200000" SECONDS_EACH=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/logpipe}
RATES=${RATES:-"100000 200000"}
SECONDS_EACH=${SECONDS_EACH:-5}
OUT=bench/out/udp
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "udp_bench: $BIN is missing (make release)" >&2; exit 1; }
SENDER=$OUT/udp_send
if [ ! -x "$SENDER" ] || [ bench/udp_send.c -nt "$SENDER" ]; then
  cc -O2 -Wall -o "$SENDER" bench/udp_send.c
fi

# A free UDP port: bind port 0, read what the kernel gave, release it.
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until logpipe has bound PORT (its socket shows in /proc/net/udp), at most 10 s.
wait_bound() {
  local hex; hex=$(printf '%04X' "$1")
  for _ in $(seq 100); do
    grep -q "0100007F:$hex " /proc/net/udp && return 0
    sleep 0.1
  done
  echo "udp_bench: logpipe did not bind port $1" >&2; return 1
}

echo "logpipe UDP input, default settings, $(nproc) cores; sender: bench/udp_send.c paced, ${SECONDS_EACH}s per rate"
printf '%-10s %10s %10s %10s %10s %9s %12s %12s\n' rate/s sent received distinct lost loss% kernel-drops achieved/s
for rate in $RATES; do
  port=$(free_port)
  rm -rf "$OUT/segs"
  "$BIN" run --input "udp://127.0.0.1:$port" --out "$OUT/segs" 2> "$OUT/logpipe.err" &
  lp=$!
  wait_bound "$port"
  "$SENDER" 127.0.0.1 "$port" "$rate" "$SECONDS_EACH" 2> "$OUT/send.err" || { cat "$OUT/send.err" >&2; kill -TERM $lp; exit 1; }
  sleep 0.5   # let the socket drain before the stop
  kill -TERM $lp
  wait $lp || { cat "$OUT/logpipe.err" >&2; exit 1; }
  sent=$(sed -n 's/.*sent \([0-9]*\) of.*/\1/p' "$OUT/send.err")
  achieved=$(sed -n 's/.*achieved \([0-9]*\)\/s.*/\1/p' "$OUT/send.err")
  cat "$OUT"/segs/*.jsonl.lz4 2>/dev/null | lz4 -dc > "$OUT/entries.jsonl"
  received=$(wc -l < "$OUT/entries.jsonl")
  # Distinct sequence numbers (udp_send's seq=N): equal to received when nothing was duplicated.
  distinct=$(grep -o '"message":"seq=[0-9]*' "$OUT/entries.jsonl" | sort -u | wc -l)
  rm -f "$OUT/entries.jsonl"
  drops=$(sed -n 's/.* \([0-9]*\) dropped by the kernel.*/\1/p' "$OUT/logpipe.err")
  lost=$((sent - received))
  printf '%-10s %10s %10s %10s %10s %9s %12s %12s\n' "$rate" "$sent" "$received" "$distinct" "$lost" \
    "$(awk "BEGIN{printf \"%.3f\", 100*$lost/$sent}")" "${drops:-?}" "$achieved"
  grep -o 'udp 127.0.0.1:.*peak backlog [0-9.]* [A-Za-z]*' "$OUT/logpipe.err" | sed 's/^/  logpipe: /'
  # Issue 3's targets, stated by the run itself: 0 lost at 100,000/s, under 1% above; the sender must keep the pace.
  awk -v r="$rate" -v a="$achieved" -v lost="$lost" -v sent="$sent" 'BEGIN {
    pace = a >= 0.99 * r ? "" : " (the sender did not keep the pace: " a "/s)"
    if (r <= 100000) printf "  target: 0 lost at %d/s: %s%s\n", r, (lost == 0 ? "met" : "NOT MET"), pace
    else printf "  target: under 1%% lost at %d/s: %s%s\n", r, (100 * lost / sent < 1 ? "met" : "NOT MET"), pace }'
done
