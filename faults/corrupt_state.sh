#!/usr/bin/env bash
# Scenario 3: garbage in <state-dir>/checkpoints.json and in the urgent spool (<state-dir>/urgent/*/).
# logpipe must start, say what it set aside (moved, not deleted), keep going and lose nothing it can still read.
source "$(dirname "$0")/lib.sh"; SCENARIO=corrupt-state
new_workdir; trap 'stop_all; rm -rf "$W"' EXIT

# --- checkpoints.json
mkdir -p "$W/logs"; OUT=$W/out; ST=$W/state; N1=3000; N2=6000
gen 1 "$N1" --out "$W/logs/a.log"
spawn "$BIN" run --input "file:$W/logs/*.log" --out "$OUT" --state-dir "$ST" --format plain --batch-timeout 200ms > /dev/null 2>> "$W/cp1.err"; lp=$LAST
wait_count 20 "$OUT" --expect 1-"$N1"; term_wait "$lp"; PIDS=()
had=$([ -s "$ST/checkpoints.json" ] && echo yes || echo no)
printf '{"garbage": [1, 2, \x00\xff not json' > "$ST/checkpoints.json"
gen $((N1 + 1)) $((N2 - N1)) --out "$W/logs/a.log"
spawn "$BIN" run --input "file:$W/logs/*.log" --out "$OUT" --state-dir "$ST" --format plain --batch-timeout 200ms > /dev/null 2> "$W/cp2.err"; lp=$LAST
wait_count 20 "$OUT" --expect 1-"$N2"
alive=$(kill -0 "$lp" 2>/dev/null && echo yes || echo no)
term_wait "$lp"; PIDS=()
eval "$(count "$OUT" --expect 1-"$N2")"
said=$(grep -ciE "unreadable|corrupt|moved" "$W/cp2.err")
kept=$(ls "$ST" | grep -c 'checkpoints.json.corrupt' || true)
ok=$(( lost == 0 && said > 0 && kept > 0 && rc == 0 ))
row corrupt-checkpoints "$in" "$out" "$lost" "$dup" "$([ $ok = 1 ] && echo PASS || echo FAIL)" \
  "checkpoint written before: $had; still running: $alive; said: $(grep -iE 'unreadable|corrupt' "$W/cp2.err" | head -1 | sed 's/.*logpipe\] //' | cut -c1-160); set-aside files: $kept; dups = lines re-read from the start"

# --- urgent spool
PORT=$(free_port); URL="http://127.0.0.1:$PORT/ingest"; ST=$W/ustate; OUT=$W/uout; M1=200; M2=400
gen 1 "$M1" --error-every 1 | "$BIN" run --out "$OUT" --state-dir "$ST" --format plain --urgent "$URL" \
    --urgent-drain-timeout 1s > /dev/null 2> "$W/u1.err"
spool=$(ls -d "$ST"/urgent/*/ 2>/dev/null | head -1)
files=$(ls "$spool" 2>/dev/null | tr '\n' ' ')
last=$(ls "$spool"/*.spool 2>/dev/null | sort | tail -1)
if [ -z "$last" ]; then row corrupt-spool - - - - FAIL "no spool file after a run against a closed port (files: $files)"; exit 0; fi
printf '\x10\x00\x00\x00garbage-record-that-is-torn' >> "$last"     # a torn record after the valid ones
printf 'not numbers\n' > "$spool/committed"                        # a damaged committed offset
printf 'XXXXXXXXjunk' > "$spool/0000000000999999.spool"            # a spool file with a bad magic
printf 'junk' > "$spool/999999.spool"                              # not a spool file name: ignored, said
spawn python3 "$FAULTS/receiver.py" "$PORT" "$W/received" 2>/dev/null; rcv=$LAST
sleep 0.3
gen $((M1 + 1)) $((M2 - M1)) --error-every 1 | "$BIN" run --out "$OUT" --state-dir "$ST" --format plain --urgent "$URL" \
    --urgent-drain-timeout 20s > /dev/null 2> "$W/u2.err"; rc=$?
kill -TERM "$rcv"; wait "$rcv" 2>/dev/null; PIDS=()
got=$(awk '{print $1}' "$W/received" 2>/dev/null | sort -n | uniq | wc -l)
dups=$(( $(wc -l < "$W/received" 2>/dev/null || echo 0) - got ))
missing=$(python3 -c "import sys; s={int(l.split()[0]) for l in open('$W/received') if l.split()[0].isdigit()}; print(sum(1 for i in range(1,$M2+1) if i not in s))" 2>/dev/null || echo "$M2")
q=$(ls "$spool/quarantine" 2>/dev/null | wc -l)
said=$(grep -ciE "damaged|quarantin" "$W/u2.err")
foreign=$(grep -c 'ignoring 999999.spool' "$W/u2.err")
ok=$(( missing == 0 && rc == 0 && said > 0 && q >= 3 && foreign > 0 ))
row corrupt-spool "$M2" "$got" "$missing" "$dups" "$([ $ok = 1 ] && echo PASS || echo FAIL)" \
  "exit $rc; spool file modes after repair: $(stat -c %a "$spool"/0*.spool 2>/dev/null | sort -u | tr "\n" " ")(want 600); quarantined files: $q (want 3); foreign file said: $(grep -c 'ignoring 999999.spool' "$W/u2.err"); said: $(grep -iE 'damaged' "$W/u2.err" | head -1 | sed 's/.*logpipe\] //' | cut -c1-140)"
