#!/usr/bin/env bash
# Scenario 4: urgent receiver faults. ERROR entries go to a flaky receiver (faults/receiver.py): refused
# connections for the first seconds, then 500s, a 10 s stall, a connection closed mid-body, then success.
# Every ERROR entry must eventually be delivered (by seq, with its requestId), none lost; the segments keep
# every line. Then a TLS handshake failure: an https:// receiver whose self-signed certificate logpipe does not
# trust keeps every ERROR entry in the spool; a restart trusting it (--urgent-ca-file) delivers them all.
source "$(dirname "$0")/lib.sh"; SCENARIO=urgent
new_workdir; trap 'stop_all; rm -rf "$W"' EXIT
# received LOG NERR EVERY → "got dups bad_rid missing" (by seq, from receiver.py's log)
received() {
  python3 - "$@" <<'PY'
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
}
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
read -r got dups bad_rid missing < <(received "$W/received" "$NERR" "$EVERY")
eval "$(count "$W/out" --expect 1-"$N")"
ok=$(( missing == 0 && rc == 0 && lost == 0 && bad_rid == 0 ))
row urgent-faults "$NERR" "$got" "$missing" "$dups" "$([ $ok = 1 ] && echo PASS || echo FAIL)" \
  "refused 2 s, then plan $PLAN (stall = 10 s, cut = closed mid-body); exit $rc in ${secs}s; $(cat "$W/receiver.err"); a seq with 2 requestIds: $bad_rid; segments: $out/$N lines, lost $lost"
# TLS handshake failure: untrusted certificate → everything stays spooled; restart trusting it → all delivered.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$W/key.pem" -out "$W/cert.pem" 2> /dev/null
TPORT=$(free_port); TURL="https://127.0.0.1:$TPORT/ingest"
TN=$([ "$SHORT" = 1 ] && echo 1000 || echo 5000); TNERR=$((TN / EVERY))
spawn python3 "$FAULTS/receiver.py" "$TPORT" "$W/received-tls" --cert "$W/cert.pem" --key "$W/key.pem" \
    2> "$W/receiver-tls.err"; trcv=$LAST
for _ in $(seq 50); do # until it listens (≤ 5 s), so the first failure logged is the handshake's
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $TPORT), 0.2).close()" 2> /dev/null && break
  sleep 0.1
done
# (incidents off: the spool then holds exactly the ERROR entries)
gen 1 "$TN" --error-every "$EVERY" | "$BIN" run --out "$W/out-tls" --state-dir "$W/state-tls" --format plain \
    --incidents off --urgent "$TURL" --urgent-drain-timeout 1s > /dev/null 2> "$W/tls1.err"; trc1=$?
spooled=$(grep -o 'urgent: 0 delivered, [0-9]* spooled' "$W/tls1.err" | grep -o '[0-9]* spooled' | cut -d' ' -f1)
refused=$(grep -c 'TLS handshake with 127.0.0.1:'"$TPORT"' failed: certificate verify failed' "$W/tls1.err")
before=$( [ -f "$W/received-tls" ] && wc -l < "$W/received-tls" || echo 0)
"$BIN" run --out "$W/out-tls" --state-dir "$W/state-tls" --format plain --incidents off --urgent "$TURL" \
    --urgent-ca-file "$W/cert.pem" --urgent-drain-timeout 30s < /dev/null > /dev/null 2> "$W/tls2.err"; trc2=$?
kill -TERM "$trcv"; wait "$trcv" 2>/dev/null; PIDS=()
read -r tgot tdups tbad tmissing < <(received "$W/received-tls" "$TNERR" "$EVERY")
eval "$(count "$W/out-tls" --expect 1-"$TN")"
tok=$(( trc1 == 0 && trc2 == 0 && ${spooled:-0} == TNERR && refused >= 1 && before == 0 && tmissing == 0 && tbad == 0 && lost == 0 ))
row urgent-tls "$TNERR" "$tgot" "$tmissing" "$tdups" "$([ $tok = 1 ] && echo PASS || echo FAIL)" \
  "untrusted cert: exit $trc1, ${spooled:-?} spooled, $before delivered ($(grep -o 'TLS handshake[^)]*)' "$W/tls1.err" | head -1)); restart with --urgent-ca-file: exit $trc2; $(cat "$W/receiver-tls.err"); segments: $out/$TN lines, lost $lost"
