#!/usr/bin/env bash
# Soak (issue 8; not in CI): the release binary tails a file written at RATE lines/s for DURATION seconds, rotated
# logrotate style (rename + create) every ROTATE seconds, forwarding ERROR/FATAL at once to a real HTTP receiver
# on 127.0.0.1. logpipe's RSS (VmRSS) is sampled every 10 s into a CSV. At the end: RSS after the first minute vs
# at the end (pass when end ≤ 1.10 × first minute), lines written vs entries in the segments (lost must be 0),
# urgent entries sent vs received, and whether the generator kept its pace. Prints a summary table; exit 1 on a
# failed check.
#   scripts/soak.sh            DURATION=1800 RATE=20000 ROTATE=30 (env); DURATION=120 for a try
# The work folder (segments, logs) is removed at the end except the CSV, the logs of each process and the
# summary, which stay in $KEEP (default /tmp/logpipe-soak-<time>). LOGPIPE_BIN overrides the binary.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-1800}; RATE=${RATE:-20000}; ROTATE=${ROTATE:-30}
BIN=${LOGPIPE_BIN:-$ROOT/.build/release/logpipe}
KEEP=${KEEP:-/tmp/logpipe-soak-$(date +%Y%m%dT%H%M%S)}
[ -x "$BIN" ] || { echo "soak: $BIN not found (make release)"; exit 1; }
[ "$DURATION" -ge 70 ] || { echo "soak: DURATION must be at least 70 s (RSS is compared with the first minute)"; exit 2; }
for t in lz4 python3 curl; do command -v $t >/dev/null || { echo "soak: $t is needed"; exit 1; }; done
W=$(mktemp -d /tmp/logpipe-soak-work.XXXXXX); mkdir -p "$KEEP" "$W/logs"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$W"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rport=$(port); mport=$(port)
CSV=$KEEP/rss.csv
# What is soaked, recorded before the run (commits made while it runs do not change the binary under test).
built="binary $BIN built $(stat -c %y "$BIN" | cut -d. -f1); at start HEAD $(git rev-parse --short HEAD), Sources last changed in $(git log -1 --format=%h -- Sources)$(git diff --quiet HEAD -- Sources || echo ' + uncommitted changes')"
echo "soak: $BIN ($(git rev-parse --short HEAD 2>/dev/null)), ${DURATION} s at ${RATE} lines/s, rotation every ${ROTATE} s; results in $KEEP" >&2

python3 faults/receiver.py "$rport" "$W/received" 2> "$KEEP/receiver.err" & PIDS+=($!)
for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$rport/" && break; sleep 0.1; done
"$BIN" run --input "file:$W/logs/*.log" --out "$W/out" --state-dir "$W/state" \
    --urgent "http://127.0.0.1:$rport/hook" --metrics "127.0.0.1:$mport" --service soak \
    > /dev/null 2> "$KEEP/logpipe.err" & lp=$!; PIDS+=($lp)
sleep 1
python3 scripts/soak_gen.py "$W/logs" "$RATE" "$DURATION" "$ROTATE" "$W/gen.stats" 2> "$KEEP/gen.err" & gen=$!; PIDS+=($gen)
t0=$(date +%s)

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$lp/status" 2>/dev/null; }
echo "elapsed_s,rss_kib,lines_written" > "$CSV"
rss60=""
# Samples every 10 s while the generator runs (bounded by DURATION + 60 s).
while kill -0 "$gen" 2>/dev/null && [ $(( $(date +%s) - t0 )) -le $((DURATION + 60)) ]; do
  sleep 10
  el=$(( $(date +%s) - t0 )); r=$(rss)
  [ -n "$r" ] || { echo "soak: logpipe is gone" >&2; break; }
  echo "$el,$r,$(sed -n 's/^lines=//p' "$W/gen.stats" 2>/dev/null)" >> "$CSV"
  [ -z "$rss60" ] && [ "$el" -ge 60 ] && rss60=$r
done
wait "$gen"; PIDS=("${PIDS[@]/$gen}")
rss_end=$(rss)
eval "$(sed 's/^/g_/' "$W/gen.stats")"   # g_lines g_urgent g_rotations g_elapsed g_worst_lag_ms

# Drain: wait until logpipe has every written line in its segment sink (bounded: 300 s).
metric() { curl -s "http://127.0.0.1:$mport/metrics" | awk -v m="$1" '$1 ~ "^"m"({|$)" {s += $2} END {printf "%d", s}'; }
d0=$(date +%s)
while [ "$(metric logpipe_entries_out_total)" -lt "$g_lines" ] && [ $(( $(date +%s) - d0 )) -lt 300 ]; do sleep 1; done
drain_s=$(( $(date +%s) - d0 ))
sleep 2   # the urgent forwarder sends as soon as a batch is encoded; give its last request a moment
kill -TERM "$lp"
for i in $(seq 600); do kill -0 "$lp" 2>/dev/null || break; sleep 0.1; done
kill -0 "$lp" 2>/dev/null && { echo "soak: logpipe did not stop within 60 s of SIGTERM; killing it" >&2; kill -KILL "$lp"; }
wait "$lp"; lrc=$?
"$BIN" verify "$W/out" > /dev/null 2> "$KEEP/verify.err"; vrc=$?
eval "$(python3 scripts/soak_count.py "$W/out" "$g_lines" "$W/received")"
segs=$(ls "$W/out" | grep -c '\.jsonl\.lz4$'); outbytes=$(du -sb "$W/out" | cut -f1)

# --- summary
pass() { if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi; }
rate_ok=$(python3 -c "print(1 if $g_lines / $g_elapsed >= 0.98 * $RATE else 0)")
rss_ok=$(python3 -c "print(1 if '$rss60' and '$rss_end' and $rss_end <= 1.10 * $rss60 else 0)" 2>/dev/null || echo 0)
peak=$(sort -t, -k2 -n "$CSV" | tail -1 | cut -d, -f2)
summary=$KEEP/summary.txt
{
  echo "soak summary - $(date -u +%FT%TZ), $built"
  printf '%-34s %-52s %s\n' check value status
  printf '%-34s %-52s %s\n' "generator pace" "$g_lines lines in $g_elapsed s = $(python3 -c "print(round($g_lines / $g_elapsed))")/s (target $RATE; worst tick lag ${g_worst_lag_ms} ms)" "$(pass "$rate_ok")"
  printf '%-34s %-52s %s\n' "rotations" "$g_rotations (rename + create every ${ROTATE} s)" "-"
  printf '%-34s %-52s %s\n' "RSS at 1 min -> end (KiB)" "$rss60 -> $rss_end ($(python3 -c "print(f'{$rss_end / $rss60:.3f}x' if '$rss60' and '$rss_end' else '?')" 2>/dev/null); peak $peak; limit 1.10x)" "$(pass "$rss_ok")"
  printf '%-34s %-52s %s\n' "lines written vs in segments" "$g_lines written, $((entries - other)) in segments ($found distinct), lost $lost, dup $dup, extra $extra; + $other incident entries" "$(pass $(( lost == 0 && extra == 0 )))"
  printf '%-34s %-52s %s\n' "urgent sent vs received" "$urgent_sent sent, $urgent_received received, lost $urgent_lost, dup $urgent_dup" "$(pass $(( urgent_lost == 0 )))"
  printf '%-34s %-52s %s\n' "drain after the writer stopped" "${drain_s} s until entries out = lines written" "-"
  printf '%-34s %-52s %s\n' "logpipe exit / verify" "exit $lrc, verify exit $vrc, $segs segments, $outbytes bytes" "$(pass $(( lrc == 0 && vrc == 0 )))"
  grep -E '^logpipe: [0-9]+ lines in' "$KEEP/logpipe.err" | tail -1
  grep -E '^ *(tail|urgent)' "$KEEP/logpipe.err" | tail -3
  echo "RSS samples: $CSV"
} | tee "$summary"
ok=$(( rate_ok == 1 && rss_ok == 1 && lost == 0 && extra == 0 && urgent_lost == 0 && lrc == 0 && vrc == 0 ))
echo "soak: $([ $ok = 1 ] && echo passed || echo FAILED)" | tee -a "$summary"
[ $ok = 1 ]
