#!/usr/bin/env bash
# Scenario 5: file-system races under a tailed glob: a FIFO, a directory and symlink loops matched by the glob,
# a file without read permission (not testable as root: SKIP), then the tailed directory removed and recreated
# with a new file. logpipe must keep running and lose nothing readable.
source "$(dirname "$0")/lib.sh"; SCENARIO=fs-races
new_workdir; trap 'stop_all; rm -rf "$W"' EXIT
L=$W/logs; OUT=$W/out; ST=$W/state; N1=4000; N2=8000
mkdir -p "$L"
mkfifo "$L/fifo.log"; mkdir "$L/dir.log"; ln -s loop.log "$L/loop.log"; ln -s l2.log "$L/l1.log"; ln -s l1.log "$L/l2.log"
ln -s . "$L/dir.log/self"
notes=()
if [ "$(id -u)" -ne 0 ]; then
  gen 900001 10 --out "$L/secret.log"; chmod 000 "$L/secret.log"; notes+=("unreadable file present")
else notes+=("unreadable file: SKIP (root reads everything)"); fi
spawn "$BIN" run --input "file:$L/*.log" --out "$OUT" --state-dir "$ST" --format plain --batch-timeout 200ms > /dev/null 2> "$W/run.err"; lp=$LAST
gen 1 "$N1" --out "$L/a.log" --rate 4000
wait_count 15 "$OUT" --expect 1-"$N1" || notes+=("a.log not fully read before the directory was removed")
rm -rf "$L"; sleep 1.5; mkdir -p "$L"
gen $((N1 + 1)) $((N2 - N1)) --out "$L/b.log" --rate 4000
wait_count 20 "$OUT" --expect 1-"$N2" || notes+=("b.log not fully read within 20 s of the directory's return")
alive=$(kill -0 "$lp" 2>/dev/null && echo yes || echo no)
term_wait "$lp"; PIDS=()
eval "$(count "$OUT" --expect 1-"$N2")"
notes+=("still running after the races: $alive; exit $rc")
[ "$(id -u)" -ne 0 ] && notes+=("unreadable reported: $(grep -ci 'secret.log' "$W/run.err")")
notes+=("stderr: $(grep -viE '^logpipe: [0-9]+ lines in' "$W/run.err" | sed 's/.*logpipe\] //' | head -3 | tr '\n' ' ' | cut -c1-200)")
status=$(verdict "$lost" $(( extra != 0 || rc != 0 )))
[ "$alive" = yes ] || status=FAIL
row fs-races "$in" "$out" "$lost" "$dup" "$status" "$(IFS=';'; echo "${notes[*]}")"
