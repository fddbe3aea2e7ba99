#!/usr/bin/env bash
# ClickHouse insert benchmark (issue 9): 1,000,000 generated entries inserted by `logpipe run --clickhouse`
# (the whole pipeline: parse, enrich, segments, spool, row transform, HTTP inserts; defaults: RowBinary, 32M
# inserts, no compression to a loopback server; `gzip`: bodies gzipped anyway; `only`: --clickhouse-only, no
# segment files, the job clickhouse-client does) against the server's
# own limit, `clickhouse-client` inserting the same rows as JSONEachRow from a file, in the same run against the
# same private server (scripts/clickhouse_server.sh). Prints seconds, entries/s and the ratio (target ≥ 0.8).
# Usage: bench/clickhouse_bench.sh [path/to/release/logpipe]   (LINES=1000000 RUNS=3 PORT=28123 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/logpipe}
LINES=${LINES:-1000000}
RUNS=${RUNS:-3}
PORT=${PORT:-28123}
OUT=bench/out
mkdir -p "$OUT"
"$BIN" run --help | grep -q -- "--clickhouse <" || { echo "$BIN run has no --clickhouse flag (not wired yet)" >&2; exit 1; }
INPUT=$OUT/input-$LINES.jsonl
if [ ! -s "$INPUT" ]; then
  python3 bench/gen_logs.py --lines "$LINES" --seed 42 > "$INPUT.tmp" && mv "$INPUT.tmp" "$INPUT"
fi
# The same entries as JSONEachRow rows for clickhouse-client: logpipe's own entry lines, turned into rows by an
# independent Python transform (json module), cached next to the input.
ROWS=$OUT/clickhouse-rows-$LINES.jsonl
if [ ! -s "$ROWS" ]; then
  rm -rf "$OUT/ch-entries"
  "$BIN" run --out "$OUT/ch-entries" --state-dir "$OUT/ch-entries-state" < "$INPUT" 2> /dev/null
  "$BIN" cat "$OUT/ch-entries" | python3 -c '
import json, sys
ctx_cols = [("service", "service"), ("version", "version"), ("environment", "environment"), ("host", "host"),
            ("userId", "user_id"), ("sessionId", "session_id"), ("requestId", "request_id")]
out = sys.stdout
for line in sys.stdin:
    e = json.loads(line)
    ts = e["timestamp"]
    row = {"timestamp": ts[:10] + " " + ts[11:19], "timestamp_ms": int(ts[20:23]), "level": e["level"],
           "message": e["message"]}
    c = e.get("context", {})
    for k, col in ctx_cols:
        if k in c: row[col] = c[k]
    if "metadata" in e: row["metadata"] = json.dumps(e["metadata"], ensure_ascii=False, separators=(",", ":"))
    if "stack" in e: row["stack"] = e["stack"]
    out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
' > "$ROWS.tmp" && mv "$ROWS.tmp" "$ROWS"
  rm -rf "$OUT/ch-entries" "$OUT/ch-entries-state"
fi
cat "$INPUT" "$ROWS" > /dev/null   # page cache

SERVER=$OUT/ch-server
scripts/clickhouse_server.sh stop "$SERVER" 2> /dev/null || true
rm -rf "$SERVER"
scripts/clickhouse_server.sh start "$SERVER" "$PORT" > /dev/null
trap 'scripts/clickhouse_server.sh stop "$SERVER"' EXIT
q() { curl -fsS --data-binary "$1" "http://127.0.0.1:$PORT/"; }
reset_table() {
  q "DROP TABLE IF EXISTS default.logs" > /dev/null
  # The schema of docs/clickhouse.md (what --clickhouse-create makes on 18.16).
  q "CREATE TABLE default.logs (timestamp DateTime('UTC'), timestamp_ms UInt16,
     level Enum8('DEBUG' = 1, 'INFO' = 2, 'WARN' = 3, 'ERROR' = 4, 'FATAL' = 5), message String, service String,
     version String, environment String, host String, user_id String, session_id String, request_id String,
     metadata String, stack String) ENGINE = MergeTree PARTITION BY toYYYYMMDD(timestamp)
     ORDER BY (service, level, timestamp)" > /dev/null
}
SERVER_VERSION=$(q "SELECT version()")

# once NAME CMD: one run (table emptied first), checking the row count; prints the wall seconds.
once() {
  local name=$1; shift
  reset_table
  rm -rf "$OUT/ch-segs" "$OUT/ch-state"
  local start end
  start=$(date +%s.%N)
  bash -c "$*" > /dev/null 2> "$OUT/ch-stderr.txt" || { cat "$OUT/ch-stderr.txt" >&2; exit 1; }
  end=$(date +%s.%N)
  local n; n=$(q "SELECT count() FROM default.logs")
  [ "$n" = "$LINES" ] || { echo "$name: $n rows in the table, expected $LINES" >&2; cat "$OUT/ch-stderr.txt" >&2; exit 1; }
  awk "BEGIN{print $end - $start}"
}

URL=http://127.0.0.1:$PORT
names=(clickhouse-client logpipe logpipe-gzip logpipe-only logpipe-only-gzip)
cmds=(
  "clickhouse-client --port $((PORT + 1)) --query 'INSERT INTO default.logs FORMAT JSONEachRow' < $ROWS"
  "$BIN run --out $OUT/ch-segs --state-dir $OUT/ch-state --clickhouse $URL < $INPUT"
  "$BIN run --out $OUT/ch-segs --state-dir $OUT/ch-state --clickhouse $URL --clickhouse-compression gzip < $INPUT"
  "$BIN run --out $OUT/ch-segs --state-dir $OUT/ch-state --clickhouse $URL --clickhouse-only < $INPUT"
  "$BIN run --out $OUT/ch-segs --state-dir $OUT/ch-state --clickhouse $URL --clickhouse-only --clickhouse-compression gzip < $INPUT"
)
# Rounds: every contender once per round (the machine's speed drifts; interleaving keeps the ratios fair).
declare -A best
for _ in $(seq "$RUNS"); do
  for k in "${!names[@]}"; do
    t=$(once "${names[$k]}" "${cmds[$k]}")
    b=${best[${names[$k]}]:-}
    if [ -z "$b" ] || awk "BEGIN{exit !($t < $b)}"; then best[${names[$k]}]=$t; fi
  done
done
results=$(for n in "${names[@]}"; do echo "$n ${best[$n]}"; done)
echo "ClickHouse $SERVER_VERSION, $LINES entries (rows file $(stat -c %s "$ROWS") bytes), best of $RUNS runs, $(nproc) cores"
printf '%-20s %9s %12s %10s\n' name seconds entries/s vs-client
echo "$results" | awk -v lines="$LINES" '
  { t[$1]=$2; order[NR]=$1 }
  END { for (i=1; i<=NR; i++) { n=order[i];
      printf "%-20s %9.3f %12.0f %9.2fx\n", n, t[n], lines/t[n], t["clickhouse-client"]/t[n] } }'
