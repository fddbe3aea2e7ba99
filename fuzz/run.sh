#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/Package.swift) and runs each for N seconds (default 60).
#   fuzz/run.sh [SECONDS] [TARGET...]     targets: encoder framer segment (default: all)
# Corpora grow in fuzz/.corpus/<target> (seeded from fuzz/corpus/<target>); crashes are saved as
# fuzz/artifacts/<target>-crash-*. Exit 1 when any target found a crash (nothing is masked: every bug found so far
# is fixed and has a regression test in Tests/PipelineTests/FuzzRegressionTests.swift).
set -u
cd "$(dirname "$0")"
secs=${1:-60}; shift || true
targets=("$@"); [ ${#targets[@]} -eq 0 ] && targets=(encoder framer segment)
echo "building fuzz targets (-sanitize=fuzzer,address)…"
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 | grep -E "error|Compiling|Build complete" | grep -v "^\[.*Compiling" || true
[ -x .build/release/FuzzEncoder ] || { echo "fuzz build failed"; exit 1; }
mkdir -p artifacts .corpus
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}   # Foundation's Data(contentsOf:) trips LSan at exit
export SWIFT_BACKTRACE=enable=no
status=0
printf '%-10s %8s %10s %8s  %s\n' target seconds runs crashes result
for t in "${targets[@]}"; do
  bin=.build/release/Fuzz$(tr '[:lower:]' '[:upper:]' <<<"${t:0:1}")${t:1}
  mkdir -p ".corpus/$t"; cp -n corpus/"$t"/* ".corpus/$t/" 2>/dev/null || true
  before=$(ls artifacts | grep -c "^$t-" || true)
  start=$(date +%s)
  timeout $((secs + 60)) "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
      -artifact_prefix="artifacts/$t-" ".corpus/$t" > "artifacts/$t.log" 2>&1
  rc=$?
  runs=$(grep -aoE '^#[0-9]+' "artifacts/$t.log" | tail -1 | tr -d '#')
  after=$(ls artifacts | grep -c "^$t-\(crash\|timeout\|oom\|leak\)" || true)
  crashes=$((after - before < 0 ? 0 : after - before))
  result=ok; if [ $rc -ne 0 ] || [ "$crashes" -gt 0 ]; then result="FAIL (rc $rc; see fuzz/artifacts/$t.log)"; status=1; fi
  printf '%-10s %8s %10s %8s  %s\n' "$t" "$(( $(date +%s) - start ))" "${runs:-0}" "$crashes" "$result"
  grep -a "FUZZ PROPERTY VIOLATED" "artifacts/$t.log" | head -3
done
exit $status
