#!/usr/bin/env bash
# rcd check on real crates: each kind of failure stops at its own stage with exit code 1.
source "$(dirname "$0")/lib.sh"

# check_fails_at REPO STAGE: rcd check exits 1 and result.json names STAGE as failed.
check_fails_at() {
  local repo=$1 stage=$2 rc=0
  rcd -C "$repo" check >"$WORK/out" 2>&1 || rc=$?
  assert_eq 1 "$rc" "exit code" || { cat "$WORK/out"; return 1; }
  assert_eq failed "$(json "$repo/target/rcd/result.json" ".stages[] | select(.name==\"$stage\") | .status")" "$stage status"
  assert_eq "$stage" "$(json "$repo/target/rcd/result.json" '[.stages[] | select(.status=="failed")][0].name')" "first failed stage"
  assert_contains "$(cat "$WORK/out")" "ERR $stage failed" "failure line"
}

test_clean_crate_passes() {
  local repo rc=0
  repo=$(make_repo service clean)
  rcd -C "$repo" check >"$WORK/out" 2>&1 || rc=$?
  assert_eq 0 "$rc" "exit code" || { cat "$WORK/out"; return 1; }
  local out; out=$(cat "$WORK/out")
  for stage in fmt clippy test doctest; do
    assert_contains "$out" "ok  $stage passed in" "stage line"
    assert_eq passed "$(json "$repo/target/rcd/result.json" ".stages[] | select(.name==\"$stage\") | .status")" "$stage"
    [ -f "$repo/target/rcd/logs/$stage.log" ] || fail "no log for $stage"
  done
  assert_contains "$(cat "$repo/target/rcd/logs/test.log")" "test tests::adds ... ok" "test log"
  assert_contains "$out" "rcd: check passed in" "final line"
  assert_not_contains "$out" "==> build" "check must not run the build phase"
}

test_fmt_failure_stops_at_fmt() {
  local repo; repo=$(make_repo service fmt)
  sed -i 's/^fn main() {/fn   main( ) {/' "$repo/src/main.rs"
  commit_all "$repo"
  check_fails_at "$repo" fmt
  assert_eq skipped "$(json "$repo/target/rcd/result.json" '.stages[] | select(.name=="clippy") | .status')" "clippy after fmt failed"
}

test_clippy_failure_stops_at_clippy() {
  local repo; repo=$(make_repo service clippy)
  cat >>"$repo/src/lib.rs" <<'RS'

/// Counts bytes.
pub fn count(bytes: &Vec<u8>) -> usize {
    bytes.len()
}
RS
  commit_all "$repo"
  check_fails_at "$repo" clippy
  assert_contains "$(cat "$repo/target/rcd/logs/clippy.log")" "ptr_arg" "clippy's lint in the log"
}

test_failing_unit_test_stops_at_test() {
  local repo; repo=$(make_repo service unit)
  sed -i 's/assert_eq!(super::add(1, 1), 2);/assert_eq!(super::add(1, 1), 3);/' "$repo/src/lib.rs"
  commit_all "$repo"
  check_fails_at "$repo" test
}

test_failing_doctest_stops_at_doctest() {
  local repo; repo=$(make_repo service doc)
  sed -i 's/add(2, 3), 5)/add(2, 3), 6)/' "$repo/src/lib.rs"
  commit_all "$repo"
  check_fails_at "$repo" doctest
}

test_binary_only_crate_skips_doctest_with_reason() {
  local repo rc=0; repo=$(make_repo service binonly)
  rm "$repo/src/lib.rs"
  printf 'fn main() {\n    println!("only a binary");\n}\n' >"$repo/src/main.rs"
  commit_all "$repo"
  rcd -C "$repo" check >"$WORK/out" 2>&1 || rc=$?
  assert_eq 0 "$rc" "exit code" || { cat "$WORK/out"; return 1; }
  assert_eq skipped "$(json "$repo/target/rcd/result.json" '.stages[] | select(.name=="doctest") | .status')" "doctest status"
  assert_contains "$(json "$repo/target/rcd/result.json" '.stages[] | select(.name=="doctest") | .reason')" "no library target" "reason"
  assert_contains "$(cat "$WORK/out")" "doctest skipped: no library target" "reason shown"
}

test_build_runs_the_release_build_after_check() {
  local repo rc=0; repo=$(make_repo service build)
  rcd -C "$repo" build >"$WORK/out" 2>&1 || rc=$?
  assert_eq 0 "$rc" "exit code" || { cat "$WORK/out"; return 1; }
  assert_eq "fmt clippy test doctest bench build" "$(json "$repo/target/rcd/result.json" '[.stages[].name] | join(" ")')" "stages"
  [ -x "$repo/target/release/fixture-service" ] || fail "no release binary"
  assert_eq "fixture-service 42" "$("$repo/target/release/fixture-service")" "the built binary runs"
}

test_keep_going_runs_the_rest_after_a_failure() {
  local repo rc=0; repo=$(make_repo service keepgoing)
  sed -i 's/^fn main() {/fn   main( ) {/' "$repo/src/main.rs"
  commit_all "$repo"
  rcd -C "$repo" build --keep-going >"$WORK/out" 2>&1 || rc=$?
  assert_eq 1 "$rc" "exit code"
  local r="$repo/target/rcd/result.json"
  assert_eq failed "$(json "$r" '.stages[] | select(.name=="fmt") | .status')" "fmt"
  assert_eq passed "$(json "$r" '.stages[] | select(.name=="test") | .status')" "test still ran"
  assert_eq "needs fmt, which did not pass" "$(json "$r" '.stages[] | select(.name=="build") | .reason')" "build blocked"
}

run_test test_clean_crate_passes
run_test test_fmt_failure_stops_at_fmt
run_test test_clippy_failure_stops_at_clippy
run_test test_failing_unit_test_stops_at_test
run_test test_failing_doctest_stops_at_doctest
run_test test_binary_only_crate_skips_doctest_with_reason
run_test test_build_runs_the_release_build_after_check
run_test test_keep_going_runs_the_rest_after_a_failure
finish
