#!/usr/bin/env bash
# The test suite under AddressSanitizer and ThreadSanitizer (issue 8), each in its own scratch path so the
# normal debug build is untouched: .build-asan, .build-tsan.
#   scripts/sanitize.sh [address|thread]...    (default: both)
# The end-to-end tests run the sanitized debug binary (LOGPIPE_BIN); waits and time bounds in the tests are
# stretched by LOGPIPE_TEST_TIME_SCALE (ASAN_TIME_SCALE, default 5; TSAN_TIME_SCALE, default 10). Prints per
# sanitizer: build time, test time, tests passed/failed, sanitizer reports found; exits 1 when any build fails,
# a test fails or a report appears.
set -u
cd "$(dirname "$0")/.."
kinds=("$@"); [ ${#kinds[@]} -eq 0 ] && kinds=(address thread)
status=0; summary=()
for k in "${kinds[@]}"; do
  case $k in address) sp=.build-asan ;; thread) sp=.build-tsan ;; *) echo "unknown sanitizer $k"; exit 2 ;; esac
  log=$sp.log
  t0=$(date +%s)
  if ! swift build --build-tests --sanitize="$k" --scratch-path "$sp" > "$log" 2>&1; then
    summary+=("$k: BUILD FAILED (see $log)"); status=1; continue
  fi
  t1=$(date +%s)
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0} SWIFT_BACKTRACE=enable=no
  # Sanitized code runs several times slower: the tests stretch their waits and time bounds by this factor
  # (Tests/TestSupport/TestTime.swift; normal runs use 1).
  case $k in address) scale=${ASAN_TIME_SCALE:-5} ;; thread) scale=${TSAN_TIME_SCALE:-10} ;; esac
  export LOGPIPE_TEST_TIME_SCALE=$scale
  LOGPIPE_BIN=$PWD/$sp/debug/logpipe swift test --skip-build --sanitize="$k" --scratch-path "$sp" >> "$log" 2>&1; trc=$?
  t2=$(date +%s)
  reports=$(grep -cE "^(==[0-9]+==ERROR: AddressSanitizer|WARNING: ThreadSanitizer)" "$log")
  result=$(grep -E "Test run with [0-9]+ tests? .*(passed|failed)" "$log" | tail -1 | sed 's/^.*Test run/Test run/')
  [ $trc -eq 0 ] && [ "$reports" -eq 0 ] || status=1
  summary+=("$k: build $((t1 - t0)) s, tests $((t2 - t1)) s (time scale $scale), exit $trc, $reports sanitizer report(s); ${result:-no summary} (log: $log)")
done
printf '%s\n' "${summary[@]}"
exit $status
