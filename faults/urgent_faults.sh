#!/usr/bin/env bash
# Scenario 4: urgent receiver faults. ERROR entries go to a flaky receiver (faults/receiver.py): refused
# connections for the first seconds, then 500s, a 10 s stall, a connection closed mid-body, then success.
# Every ERROR entry must eventually be delivered (by seq, with its requestId), none lost; the segments keep
# every line. Also: an https:// URL is refused at start with exit 2 in this build.
source "$(dirname "$0")/lib.sh"; SCENARIO=urgent
new_workdir; trap 'stop_all; rm -rf "$W"' EXIT
PORT=$(free_port); URL="http://127.0.0.1:$PORT/ingest"
N=$([ "$SHORT" = 1 ] && echo 3000 || echo 20000); EVERY=5; NERR=$((N / EVERY))
PLAN=$([ "$SHORT" = 1 ] && echo 500,stall,cut || echo 500,500,500,stall,cut,500,cut)
spawn python3 "$FAULTS/receiver.py" "$PORT" "$W/received" --delay-start 2 --plan "$PLAN" --stall 10 \
    2> "$W/receiver.err"; rcv=$LAST
t0=$(date +%s)
gen 1 "$N" --error-every "$EVERY" --rate $((N / 3)) | "$BIN" run --out "$W/out" --state-dir "$W/state" --format plain \
    --urgent "$URL" --urgent-timeout 3s --urgent-drain-timeout 60s > /dev/null 2> "$W/run.err"; rc=$?
secs=$(( $(date +%s) - t0 ))
kill -TERM "$rcv"; wait "$rcv" 2>/dev/null; PIDS=()
read -r got dups bad_rid missing < <(python3 - "$W/received" "$NERR" "$EVERY" <<'PY'
import sys, collections
rows = [l.split() for l in open(sys.argv[1])] if __import__("os").path.exists(sys.argv[1]) else []
n, every = int(sys.argv[2]), int(sys.argv[3])
seqs = collections.Counter(int(r[0]) for r in rows if r[0].isdigit())
rids = collections.defaultdict(set)
for r in rows:
    if r[0].isdigit(): rids[int(r[0])].add(r[1])
want = {i * every for i in range(1, n + 1)}
print(len(want & set(seqs)), sum(c - 1 for c in seqs.values()), sum(1 for s in rids if len(rids[s]) != 1),
      len(want - set(seqs)))
PY
)
eval "$(count "$W/out" --expect 1-"$N")"
ok=$(( missing == 0 && rc == 0 && lost == 0 && bad_rid == 0 ))
row urgent-faults "$NERR" "$got" "$missing" "$dups" "$([ $ok = 1 ] && echo PASS || echo FAIL)" \
  "refused 2 s, then plan $PLAN (stall = 10 s, cut = closed mid-body); exit $rc in ${secs}s; $(cat "$W/receiver.err"); a seq with 2 requestIds: $bad_rid; segments: $out/$N lines, lost $lost"
"$BIN" run --out "$W/out2" --state-dir "$W/state2" --urgent "https://127.0.0.1:$PORT/x" < /dev/null > /dev/null 2> "$W/tls.err"; trc=$?
row urgent-https - - - - "$([ $trc = 2 ] && echo PASS || echo FAIL)" \
  "https:// at start: exit $trc (want 2): $(head -1 "$W/tls.err" | cut -c1-120)"
