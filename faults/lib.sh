# Shared helpers of the fault scenarios (sourced). Each scenario appends one or more rows to $RESULTS:
#   scenario|in|out|lost|dup|status|note       status: PASS, FAIL, SKIP or KNOWN-FAIL (a reported bug)
set -u
FAULTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$FAULTS/.." && pwd)
BIN=${LOGPIPE_BIN:-$ROOT/.build/release/logpipe}
RESULTS=${RESULTS:-/dev/stdout}
SHORT=${SHORT:-0}
PIDS=()

row() { echo "$1|$2|$3|$4|$5|$6|$7" >> "$RESULTS"; }
say() { echo "  [$SCENARIO] $*" >&2; }
count() { python3 "$FAULTS/count.py" "$@"; }
gen() { python3 "$FAULTS/gen.py" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rand_sleep() { python3 -c "import random,time; time.sleep(random.uniform($1,$2))"; }

# Starts a background command and remembers its pid (only these are ever killed).
spawn() { "$@" & PIDS+=($!); LAST=$!; }
stop_all() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done; PIDS=(); }

# wait_count TIMEOUT DIR --expect RANGES: polls (open segments included) until nothing of RANGES is missing.
wait_count() {
  local deadline=$(( $(date +%s) + $1 )); shift
  while [ "$(date +%s)" -lt "$deadline" ]; do
    eval "$(count "$@" --include-open)"
    [ "$lost" -eq 0 ] && return 0
    sleep 0.5
  done
  return 1
}

# Sends SIGTERM to a logpipe started with spawn and waits up to 30 s for it; sets rc.
term_wait() {
  kill -TERM "$1" 2>/dev/null
  local i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
  if kill -0 "$1" 2>/dev/null; then say "logpipe $1 did not stop within 30 s of SIGTERM; killing it"; kill -KILL "$1"; fi
  wait "$1"; rc=$?
}

verdict() { # lost extra-condition → PASS/FAIL
  if [ "$1" -eq 0 ] && [ "${2:-0}" -eq 0 ]; then echo PASS; else echo FAIL; fi
}

new_workdir() { W=$(mktemp -d /tmp/logpipe-faults.XXXXXX); }
