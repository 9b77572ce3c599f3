#!/usr/bin/env bash
# The whole test suite: format check, a warnings-as-errors build with unit and end-to-end
# tests and the fault suite, the unit tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer and under ThreadSanitizer, and 60 s of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/install-deps.sh

echo "== clang-format"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

echo "== build (warnings are errors)"
cmake -S . -B build/ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRCD_WERROR=ON >/dev/null
cmake --build build/ci

echo "== build (ASan + UBSan)"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRCD_WERROR=ON -DRCD_SANITIZE=ON >/dev/null
cmake --build build/asan --target rcd_unit_tests

echo "== unit tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
  UBSAN_OPTIONS=print_stacktrace=1 build/asan/tests/rcd_unit_tests

echo "== build (ThreadSanitizer)"
cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRCD_WERROR=ON -DRCD_TSAN=ON >/dev/null
cmake --build build/tsan --target rcd_unit_tests

echo "== unit tests under ThreadSanitizer"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" build/tsan/tests/rcd_unit_tests

echo "== fuzzing (60 s per target)"
scripts/fuzz.sh 60

echo "== unit, end-to-end and fault tests"
ctest --test-dir build/ci --output-on-failure -j 2
echo "== the fault suite's table"
cat build/ci/fault-table.txt
