#!/usr/bin/env bash
# Scenario 2: kill -9 loops with restarts on the same --state-dir / --out.
#  kill9-tail:  a file written at a steady rate (rotated once, renamed to .1) is tailed; logpipe is killed 3–5
#               times and restarted; at the end every line must be in a segment (duplicates counted).
#  kill9-stdin: each round pipes a fresh numbered range through stdin and is killed mid-stream; the next start
#               salvages the `.open` segment; per round the entries in segments must be a gap-free prefix of what
#               was written before the kill (the batches in flight at the kill are "unacked", not lost).
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
