#!/usr/bin/env bash
# Scenario 2: kill -9 loops with restarts on the same --state-dir / --out.
#  kill9-tail:  a file written at a steady rate (rotated once, renamed to .1) is tailed; logpipe is killed 3–5
#               times and restarted; at the end every line must be in a segment (duplicates counted).
#  kill9-stdin: each round pipes a fresh numbered range through stdin and is killed mid-stream; the next start
#               salvages the `.open` segment; per round the entries in segments must be a gap-free prefix of what
#               was written before the kill (the batches in flight at the kill are "unacked", not lost).
#  kill9-udp:   numbered datagrams at a steady rate; logpipe killed and restarted, then stopped gracefully; per
#               round the datagrams sent while it was bound must be a gap-free prefix in the segments (the tail,
#               in flight at the kill, is bounded), and all of them for the graceful round (see udp_check.py).
source "$(dirname "$0")/lib.sh"; SCENARIO=kill9
new_workdir; trap 'stop_all; rm -rf "$W"' EXIT
ROUNDS=$([ "$SHORT" = 1 ] && echo 3 || echo 5)

# --- file tail
mkdir -p "$W/logs"; OUT=$W/out-tail; ST=$W/state
N=$([ "$SHORT" = 1 ] && echo 30000 || echo 80000); RATE=$([ "$SHORT" = 1 ] && echo 6000 || echo 10000)
spawn gen 1 "$N" --out "$W/logs/app.log" --rate "$RATE" --rotate-at $((N / 2)); writer=$LAST
for r in $(seq "$ROUNDS"); do
  "$BIN" run --input "file:$W/logs/app.log*" --out "$OUT" --state-dir "$ST" --format plain --batch-timeout 200ms \
      > /dev/null 2>> "$W/tail.err" & lp=$!
  rand_sleep 0.6 1.4
  kill -KILL "$lp"; wait "$lp" 2>/dev/null
done
wait "$writer"
spawn "$BIN" run --input "file:$W/logs/app.log*" --out "$OUT" --state-dir "$ST" --format plain --batch-timeout 200ms > /dev/null 2>> "$W/tail.err"
lp=$LAST
wait_count 30 "$OUT" --expect 1-"$N" || say "tail: not all lines seen within 30 s"
term_wait "$lp"; PIDS=()
eval "$(count "$OUT" --expect 1-"$N")"
"$BIN" verify "$OUT" > /dev/null 2> "$W/verify"; v=$?
note="$ROUNDS kill -9 rounds, one rotation; final exit $rc; verify exit $v; recovered: $(grep -ciE 'recover|salvag' "$W/tail.err") notes"
status=$(verdict "$lost" $(( rc != 0 || v != 0 )))
[ "$v" -eq 0 ] || note+="; $(head -c 200 "$W/verify")"
row kill9-tail "$in" "$out" "$lost" "$dup" "$status" "$note"

# --- stdin
OUT=$W/out-stdin; ranges=""; : > "$W/stdin.err"
for r in $(seq "$ROUNDS"); do
  start=$((r * 1000000 + 1)); fifo=$W/fifo$r; mkfifo "$fifo"
  "$BIN" run --out "$OUT" --format plain --batch-max-entries 50 --batch-timeout 100ms < "$fifo" > /dev/null 2>> "$W/stdin.err" & lp=$!
  gen "$start" 900000 --rate 8000 --count-file "$W/count$r" > "$fifo" & g=$!
  rand_sleep 0.8 1.6
  kill -KILL "$lp"; wait "$lp" 2>/dev/null; wait "$g" 2>/dev/null
  written=$(cat "$W/count$r" 2>/dev/null || echo 0)
  ranges+="$start-$((start + written - 1)),"
done
"$BIN" run --out "$OUT" < /dev/null > /dev/null 2>> "$W/stdin.err"; rc=$?   # salvages the last .open segment
eval "$(count "$OUT" --expect "$ranges" --prefix)"
"$BIN" verify "$OUT" > /dev/null 2> "$W/verify"; v=$?
opens=$(ls "$OUT" | grep -c '\.open$' || true)
status=$(verdict "$lost" $(( extra != 0 || rc != 0 || v != 0 || opens != 0 )))
row kill9-stdin "$in" "$out" "$lost" "$dup" "$status" \
  "$ROUNDS rounds; gaps $gaps; unacked at kill (in flight) $unacked; beyond written $extra; salvage notes: $(grep -ciE 'recover|salvag' "$W/stdin.err"); verify exit $v; .open left $opens"

# --- udp
# One sender, numbered datagrams at a steady rate (connected socket: sends to a port nothing is bound to are
# refused, not counted). Per round: start logpipe, wait until its socket is bound, let it receive, read the socket's
# kernel drop counter, kill -9. Then a last round that is stopped gracefully after the sender stops. udp_check.py
# puts each datagram sent wholly inside a round's lifetime in that round's window; a killed round's entries must
# be a gap-free prefix of its window (the tail is the batch in flight at the kill, bounded below); the stopped
# round must have all of its window.
udp_port_drops() { # PORT → the bound socket's kernel drop counter, or nothing when no socket is bound there
  awk -v a="$(printf '0100007F:%04X' "$1")" '$2 == a { print $13; exit }' /proc/net/udp
}
now() { date +%s.%N; }
OUT=$W/out-udp; EV=$W/udp.events; : > "$EV"; : > "$W/udp.err"
URATE=2000; UBOUND_S=3; UBOUND=$((URATE * UBOUND_S)); port=$(free_port)
spawn python3 "$FAULTS/udp_seq_send.py" "$port" "$URATE" 120 "$W/udp.ticks" 2> "$W/udp.send"; sender=$LAST
udp_round() { # KIND (kill|stop): one logpipe lifetime
  "$BIN" run --input "udp://127.0.0.1:$port" --out "$OUT" --format plain --batch-timeout 100ms \
      > /dev/null 2>> "$W/udp.err" & lp=$!
  local i=0; while [ -z "$(udp_port_drops "$port")" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  echo "up $(now)" >> "$EV"
  if [ "$1" = kill ]; then
    rand_sleep 0.8 1.6
    drops=$(udp_port_drops "$port"); echo "kill $(now) $drops" >> "$EV"   # the time last, right before the kill
    kill -KILL "$lp"; wait "$lp" 2>/dev/null
    rand_sleep 0.2 0.5   # nothing bound: the sender's datagrams are refused
  else
    sleep 1.5; kill -TERM "$sender"; wait "$sender"
    echo "stop $(now) $(udp_port_drops "$port")" >> "$EV"   # the sender has exited: nothing is sent after this
    sleep 0.3; term_wait "$lp"; urc=$rc
  fi
}
for r in $(seq "$ROUNDS"); do udp_round kill; done
udp_round stop
echo "received $(grep -oE '[0-9]+ datagrams received' "$W/udp.err" | tail -1 | cut -d' ' -f1)" >> "$EV"
eval "$(python3 "$FAULTS/udp_check.py" "$W/udp.ticks" "$EV" "$OUT" --bound "$UBOUND")"
"$BIN" verify "$OUT" > /dev/null 2> "$W/verify"; v=$?
opens=$(ls "$OUT" | grep -c '\.open$' || true)
summary=$(grep -oE 'udp [^:]+:[0-9]+: [0-9]+ datagrams received|[0-9]+ dropped by the kernel' "$W/udp.err" | tail -2 | sed 's/^udp [^ ]* //' | paste -sd, -)
status=$(verdict "$lost" $(( dup != 0 || over_bound != 0 || rounds != ROUNDS + 1 || last_found != last_received || urc != 0 || v != 0 || opens != 0 )))
row kill9-udp "$in" "$out" "$lost" "$dup" "$status" \
  "$ROUNDS kill -9 rounds + 1 SIGTERM round at $URATE/s; in = sent while bound; in flight at the kills $unacked (max $unacked_max in a round; bound ${UBOUND_S} s = $UBOUND); kernel drops $kdrops; found outside the windows (sent around a start or kill) $edge; sends refused while down $(grep -oE '[0-9]+ refused' "$W/udp.send" | cut -d' ' -f1); last run: $summary, $last_found of them in segments, exit $urc; verify exit $v; .open left $opens"
