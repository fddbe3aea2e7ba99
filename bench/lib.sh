# Shared by the benchmarks: `source bench/lib.sh`, then `INPUT=$(bench_input LINES)` — the generated bench corpus
# (bench/gen_logs.py, seed 42) of LINES lines in bench/out, made once and reused, read into the page cache.
bench_input() {
  local lines=$1 input=bench/out/input-$1.jsonl
  mkdir -p bench/out
  [ -s "$input" ] || { python3 bench/gen_logs.py --lines "$lines" --seed 42 > "$input.tmp" && mv "$input.tmp" "$input"; }
  cat "$input" > /dev/null
  echo "$input"
}
