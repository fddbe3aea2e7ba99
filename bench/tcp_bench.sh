#!/usr/bin/env bash
# TCP syslog benchmark (issue 20): COUNT RFC 5424 messages, octet-counted, from 8 connections (bench/tcp_send.c)
# into logpipe's tcp:// input with default settings and LZ4 segments, end to end: from the first byte sent to
# logpipe's exit after SIGTERM (every entry in a finalized, fsynced segment). 0 loss is checked by count and by
# distinct seq=N. In the same run, rsyslogd (imtcp → omfile, its own config, work dir and pid file) receives
# the same stream, timed from the first byte to the last line in its file. The machine's load is printed: on a
# shared machine the figures are only indicative.
# Usage: bench/tcp_bench.sh [path/to/release/logpipe]   (COUNT=3000000 CONNS=8 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/logpipe}
COUNT=${COUNT:-3000000}
CONNS=${CONNS:-8}
OUT=bench/out/tcp
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "tcp_bench: $BIN is missing (make release)" >&2; exit 1; }
SENDER=$OUT/tcp_send
if [ ! -x "$SENDER" ] || [ bench/tcp_send.c -nt "$SENDER" ]; then
  cc -O2 -Wall -pthread -o "$SENDER" bench/tcp_send.c
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_accepting() {
  for _ in $(seq 200); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),timeout=0.2)" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "tcp_bench: nothing accepts on port $1" >&2; return 1
}
now() { date +%s.%N; }

echo "TCP syslog, $COUNT messages from $CONNS connections, $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %10s %10s %10s %10s %12s\n' receiver sent received distinct lost end-to-end/s

# logpipe
port=$(free_port)
rm -rf "$OUT/segs"
"$BIN" run --input "tcp://127.0.0.1:$port" --out "$OUT/segs" 2> "$OUT/logpipe.err" &
lp=$!
wait_accepting "$port"
t0=$(now)
"$SENDER" "$port" "$CONNS" "$COUNT" 2> "$OUT/send.err" || { cat "$OUT/send.err" >&2; kill -TERM $lp; exit 1; }
kill -TERM $lp
wait $lp || { cat "$OUT/logpipe.err" >&2; exit 1; }
t1=$(now)
sent=$(sed -n 's/^sent \([0-9]*\) in.*/\1/p' "$OUT/send.err")
cat "$OUT"/segs/*.jsonl.lz4 | lz4 -dc > "$OUT/entries.jsonl"
received=$(wc -l < "$OUT/entries.jsonl")
distinct=$(grep -o 'seq=[0-9]*' "$OUT/entries.jsonl" | sort -u | wc -l)
rm -f "$OUT/entries.jsonl"
lp_rate=$(awk "BEGIN{printf \"%.0f\", $received/($t1-$t0)}")
printf '%-10s %10s %10s %10s %10s %12s\n' logpipe "$sent" "$received" "$distinct" $((sent - received)) "$lp_rate"
grep -o 'tcp://127.0.0.1:[0-9]*: .*' "$OUT/logpipe.err" | head -1 | sed 's/^/  logpipe: /'

# rsyslog, same stream
if [ -x /usr/sbin/rsyslogd ]; then
  rport=$(free_port)
  rm -rf "$OUT/rsyslog" && mkdir -p "$OUT/rsyslog/work"
  cat > "$OUT/rsyslog/rsyslog.conf" <<CONF
global(workDirectory="$PWD/$OUT/rsyslog/work")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$rport" ruleset="bench")
template(name="raw" type="string" string="%msg%\n")
ruleset(name="bench") { action(type="omfile" file="$PWD/$OUT/rsyslog/out.log" template="raw" asyncWriting="on" ioBufferSize="256k") }
CONF
  /usr/sbin/rsyslogd -n -f "$OUT/rsyslog/rsyslog.conf" -i "$PWD/$OUT/rsyslog/rsyslog.pid" 2> "$OUT/rsyslog/err" &
  rs=$!
  wait_accepting "$rport"
  t0=$(now)
  "$SENDER" "$rport" "$CONNS" "$COUNT" 2> "$OUT/send-rsyslog.err"
  for _ in $(seq 1200); do
    [ "$(wc -l < "$OUT/rsyslog/out.log" 2>/dev/null || echo 0)" -ge "$COUNT" ] && break
    sleep 0.05
  done
  t1=$(now)
  kill -TERM $rs; wait $rs || true
  rreceived=$(wc -l < "$OUT/rsyslog/out.log")
  rdistinct=$(grep -o 'seq=[0-9]*' "$OUT/rsyslog/out.log" | sort -u | wc -l)
  printf '%-10s %10s %10s %10s %10s %12s\n' rsyslog "$COUNT" "$rreceived" "$rdistinct" $((COUNT - rreceived)) \
    "$(awk "BEGIN{printf \"%.0f\", $rreceived/($t1-$t0)}")"
  rm -f "$OUT/rsyslog/out.log"
else
  echo "rsyslog: not installed (make deps installs it)"
fi
awk -v r="$lp_rate" -v lost="$((sent - received))" 'BEGIN { printf "  target: at least 300,000/s end to end with 0 loss: %s\n", (r >= 300000 && lost == 0 ? "met" : "NOT MET") }'
echo "  load after: $(cut -d' ' -f1-3 /proc/loadavg)"
