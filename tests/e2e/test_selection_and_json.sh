#!/usr/bin/env bash
# --only, --skip, and the JSON document on stdout and in target/rcd/result.json.
source "$(dirname "$0")/lib.sh"

test_only_runs_just_the_named_stages() {
  local repo; repo=$(make_repo service only)
  rcd -C "$repo" check --only fmt,test >"$WORK/out" 2>&1
  assert_eq "fmt test" "$(json "$repo/target/rcd/result.json" '[.stages[].name] | join(" ")')" "stages"
  assert_not_contains "$(cat "$WORK/out")" "==> clippy" "clippy must not run"
}

test_skip_reports_the_stage_as_skipped() {
  local repo; repo=$(make_repo service skip)
  rcd -C "$repo" check --skip clippy,doctest >"$WORK/out" 2>&1
  local r="$repo/target/rcd/result.json"
  assert_eq skipped "$(json "$r" '.stages[] | select(.name=="clippy") | .status')" "clippy"
  assert_eq "skipped with --skip" "$(json "$r" '.stages[] | select(.name=="clippy") | .reason')" "reason"
  assert_eq passed "$(json "$r" '.stages[] | select(.name=="test") | .status')" "test"
  assert_not_contains "$(cat "$WORK/out")" "==> clippy" "clippy must not run"
}

test_json_stdout_is_one_document_equal_to_result_json() {
  local repo; repo=$(make_repo service json)
  rcd -C "$repo" --json check >"$WORK/stdout" 2>"$WORK/stderr"
  jq -e . "$WORK/stdout" >/dev/null || fail "stdout is not JSON: $(cat "$WORK/stdout")"
  assert_eq 1 "$(jq -s length "$WORK/stdout")" "documents on stdout"
  diff <(jq -S . "$WORK/stdout") <(jq -S . "$repo/target/rcd/result.json") || fail "result.json differs"
  local doc="$WORK/stdout"
  assert_eq check "$(json "$doc" .command)" command
  assert_eq true "$(json "$doc" .ok)" ok
  assert_eq 0 "$(json "$doc" .exit_code)" exit_code
  assert_eq "$(git -C "$repo" rev-parse HEAD)" "$(json "$doc" .repo.commit)" repo.commit
  assert_eq main "$(json "$doc" .repo.branch)" repo.branch
  assert_eq false "$(json "$doc" .repo.dirty)" repo.dirty
  assert_eq "$repo/target/rcd/logs/test.log" "$(json "$doc" '.stages[] | select(.name=="test") | .log')" log
  [ "$(json "$doc" .duration_ms)" -gt 0 ] || fail "duration_ms"
  for key in name status exit_code duration_ms log reason; do
    assert_eq true "$(json "$doc" ".stages[0] | has(\"$key\")")" "stage key $key"
  done
  assert_contains "$(cat "$WORK/stderr")" "==> fmt" "human output stays on stderr"
}

test_quiet_prints_only_the_final_line_and_failures() {
  local repo; repo=$(make_repo service quiet)
  rcd -C "$repo" -q check >"$WORK/out" 2>&1
  assert_eq "rcd: check passed in" "$(cut -c1-20 "$WORK/out")" "only the final line"
  sed -i 's/add(2, 3), 5)/add(2, 3), 6)/' "$repo/src/lib.rs"
  rcd -C "$repo" -q check >"$WORK/out" 2>&1 || true
  assert_contains "$(cat "$WORK/out")" "ERR doctest failed" "failure"
  assert_contains "$(cat "$WORK/out")" "assertion" "the failed stage's output is shown"
  assert_not_contains "$(cat "$WORK/out")" "==> fmt" "no start lines"
}

run_test test_only_runs_just_the_named_stages
run_test test_skip_reports_the_stage_as_skipped
run_test test_json_stdout_is_one_document_equal_to_result_json
run_test test_quiet_prints_only_the_final_line_and_failures
finish
