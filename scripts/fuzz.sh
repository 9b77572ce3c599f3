#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang 16 with ASan) and runs each for SECONDS
# (default 60), two at a time, from the corpus in the repository. Any crash, leak or timeout
# fails the run; its input is kept under build/fuzz/artifacts/. Longer by hand:
# scripts/fuzz.sh 3600.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
targets=(config recipe reference www_authenticate libtest registry_json)

# -O1 without full debug info: the build is most of the cost, and line tables name the frame.
CC=clang-16 CXX=clang++-16 cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DRCD_FUZZ=ON -DRCD_TESTS=OFF >/dev/null
cmake --build build/fuzz --target "${targets[@]/#/fuzz_}"

mkdir -p build/fuzz/artifacts build/fuzz/logs
run() { # TARGET
  local corpus
  corpus=$(mktemp -d /tmp/rcd-fuzz.XXXXXX) # new inputs stay out of the repository
  cp "tests/fuzz/corpus/$1/"* "$corpus/"
  if build/fuzz/tests/fuzz/"fuzz_$1" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="build/fuzz/artifacts/$1-" -print_final_stats=1 "$corpus" \
    >"build/fuzz/logs/$1.log" 2>&1; then
    echo "fuzz_$1: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build/fuzz/logs/$1.log" |
      grep -o '[0-9]*$') inputs in ${seconds}s, 0 crashes"
  else
    echo "fuzz_$1: FAILED (build/fuzz/logs/$1.log, build/fuzz/artifacts/)" >&2
    tail -30 "build/fuzz/logs/$1.log" >&2
    rm -rf "$corpus"
    return 1
  fi
  rm -rf "$corpus"
}

failed=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do
    run "$t" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
done
exit "$failed"
