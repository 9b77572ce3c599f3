#!/usr/bin/env bash
# The command line and configuration errors: exit code 2, and a message that points at the problem.
source "$(dirname "$0")/lib.sh"

# expect_error CODE TEXT CMD...: CMD exits CODE and its stderr contains TEXT.
expect_error() {
  local code=$1 text=$2 rc=0
  shift 2
  "$@" >"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
  assert_eq "$code" "$rc" "exit code of $*" || { cat "$WORK/stderr"; return 1; }
  assert_contains "$(cat "$WORK/stderr")" "$text" "stderr of $*"
}

test_missing_rcd_yaml_hints_at_init() {
  mkdir -p "$WORK/empty"
  expect_error 2 "rcd: error: no rcd.yaml found at $WORK/empty/rcd.yaml" rcd -C "$WORK/empty" check
  assert_contains "$(cat "$WORK/stderr")" "hint: run 'rcd init'" "hint"
}

test_unknown_key_names_line_and_suggests() {
  local repo; repo=$(make_repo service unknownkey)
  printf 'stagse: {}\n' >>"$repo/rcd.yaml"
  expect_error 2 "$repo/rcd.yaml:3:1: unknown key 'stagse'" rcd -C "$repo" check
  assert_contains "$(cat "$WORK/stderr")" "did you mean 'stages'?" "suggestion"
}

test_yaml_syntax_error_names_line_and_column() {
  local repo; repo=$(make_repo service syntax)
  printf 'name: x\nlanguage: [rust\n' >"$repo/rcd.yaml"
  expect_error 2 "rcd.yaml:3:1: invalid YAML" rcd -C "$repo" check
}

test_unknown_language_lists_the_known_ones() {
  local repo; repo=$(make_repo service lang)
  printf 'name: x\nlanguage: rusty\n' >"$repo/rcd.yaml"
  expect_error 2 "unknown language 'rusty'" rcd -C "$repo" check
  assert_contains "$(cat "$WORK/stderr")" "did you mean 'rust'?" "suggestion"
}

test_run_as_a_string_in_a_repository_pipeline_is_rejected() {
  local repo; repo=$(make_repo service runstring)
  mkdir -p "$repo/.rcd/pipelines"
  printf 'language: rust\nstages:\n  - name: fmt\n    run: cargo fmt --check\n' >"$repo/.rcd/pipelines/rust.yaml"
  expect_error 2 "$repo/.rcd/pipelines/rust.yaml:4:10: 'run' must be a list of arguments, not a string" \
    rcd -C "$repo" check
}

test_repository_pipeline_overrides_the_built_in_one() {
  local repo; repo=$(make_repo service override)
  mkdir -p "$repo/.rcd/pipelines"
  printf 'language: rust\nstages:\n  - {name: hello, run: [echo, "${name}@${commit}"]}\n' >"$repo/.rcd/pipelines/rust.yaml"
  rcd -C "$repo" check >"$WORK/out" 2>&1
  local commit; commit=$(git -C "$repo" rev-parse HEAD)
  assert_contains "$(cat "$WORK/out")" "fixture-service@$commit" "expanded variables"
  assert_eq hello "$(json "$repo/target/rcd/result.json" '[.stages[].name] | join(",")')" "stages"
}

test_stage_override_in_rcd_yaml_is_merged() {
  local repo; repo=$(make_repo service merge)
  printf 'stages:\n  clippy: {skip: true}\n  doctest: {args: [--, --list]}\n' >>"$repo/rcd.yaml"
  commit_all "$repo"
  rcd -C "$repo" plan >"$WORK/plan.txt"
  assert_contains "$(cat "$WORK/plan.txt")" "clippy   skip: skip: true in the configuration" "clippy skipped"
  assert_contains "$(cat "$WORK/plan.txt")" "cargo test --workspace --doc --locked -- --list" "args appended"
}

test_unknown_stage_in_rcd_yaml_suggests_the_right_one() {
  local repo; repo=$(make_repo service badstage)
  printf 'stages:\n  clipy: {skip: true}\n' >>"$repo/rcd.yaml"
  expect_error 2 "rcd.yaml:4:3: no stage named 'clipy' in the rust pipeline" rcd -C "$repo" check
  assert_contains "$(cat "$WORK/stderr")" "did you mean 'clippy'?" "suggestion"
}

test_cycle_in_needs_is_reported() {
  local repo; repo=$(make_repo service cycle)
  printf 'stages:\n  fmt: {needs: [build]}\n' >>"$repo/rcd.yaml"
  expect_error 2 "'needs' forms a cycle: fmt -> build -> fmt" rcd -C "$repo" check
}

test_unknown_command_suggests_one() {
  expect_error 2 "unknown command 'chek'" rcd chek
  assert_contains "$(cat "$WORK/stderr")" "did you mean 'rcd check'?" "suggestion"
}

test_unknown_stage_in_only_suggests_one() {
  local repo; repo=$(make_repo service only)
  expect_error 2 "--only: no stage named 'tset'" rcd -C "$repo" check --only tset
  assert_contains "$(cat "$WORK/stderr")" "did you mean 'test'?" "suggestion"
}

test_config_error_with_json_prints_the_error_document() {
  mkdir -p "$WORK/emptyjson"
  local rc=0
  rcd -C "$WORK/emptyjson" --json check >"$WORK/doc" 2>/dev/null || rc=$?
  assert_eq 2 "$rc" "exit code"
  assert_eq false "$(json "$WORK/doc" .ok)" "ok"
  assert_eq 2 "$(json "$WORK/doc" .exit_code)" "exit_code"
  assert_contains "$(json "$WORK/doc" .error.message)" "no rcd.yaml found" "error.message"
  assert_contains "$(json "$WORK/doc" .error.hint)" "rcd init" "error.hint"
}

test_help_and_version() {
  rcd --help >"$WORK/help"
  for cmd in check build plan pipelines version; do
    assert_contains "$(cat "$WORK/help")" "$cmd" "help lists $cmd"
  done
  rcd version >"$WORK/version"
  assert_contains "$(cat "$WORK/version")" "rcd 0.1.0" "version"
  for lib in CLI11 yaml-cpp libgit2 fmt nlohmann_json; do
    assert_contains "$(cat "$WORK/version")" "$lib" "library $lib"
  done
  assert_eq "0.1.0" "$(rcd version --json | jq -r .version)" "version --json"
}

test_pipelines_are_built_in_so_a_lone_binary_works() {
  mkdir -p "$WORK/alone"
  cp "$RCD_BIN" "$WORK/alone/rcd"
  (cd "$WORK/alone" && ./rcd pipelines) >"$WORK/list"
  assert_contains "$(cat "$WORK/list")" "rust" "list"
  assert_contains "$(cat "$WORK/list")" "built-in" "origin"
  (cd "$WORK/alone" && ./rcd pipelines show rust) >"$WORK/show"
  diff "$RCD_SOURCE_DIR/pipelines/rust.yaml" "$WORK/show" || fail "embedded pipeline differs"
}

test_plan_lists_stages_in_order_with_their_commands() {
  local repo; repo=$(make_repo service plan)
  rcd -C "$repo" plan >"$WORK/plan.txt"
  assert_contains "$(cat "$WORK/plan.txt")" "1. fmt      cargo fmt --all -- --check" "fmt"
  assert_contains "$(cat "$WORK/plan.txt")" "5. bench    skip: no bench target in the workspace" "bench"
  assert_contains "$(cat "$WORK/plan.txt")" "6. build    cargo build --workspace --release --locked   (after fmt, clippy, test, doctest, bench)" "build"
  [ ! -e "$repo/target/rcd/result.json" ] || fail "plan must not run anything"
  assert_eq "fmt clippy test doctest bench build" "$(rcd -C "$repo" --json plan | jq -r '[.plan.stages[].name] | join(" ")')" "plan --json"
}

# check, build, release, image and cache start once more asking glibc for huge pages, which their
# stages inherit; RCD_HUGEPAGES=0 keeps the environment as it was; a user's tunables are kept.
test_heavy_commands_ask_for_huge_pages() {
  if ! grep -q '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
    echo "  (the kernel's THP mode is not madvise: rcd does not restart; nothing to check)"
    return 0
  fi
  local repo; repo=$(make_shell_repo hugepages '  env: {run: [sh, -c, "echo tunables=[$GLIBC_TUNABLES]"]}')
  rcd_shell -C "$repo" -q check >/dev/null 2>&1 || fail "rcd check failed"
  assert_contains "$(cat "$repo/target/rcd/logs/env.log")" "tunables=[glibc.malloc.hugetlb=1]" "asked"
  GLIBC_TUNABLES=glibc.malloc.check=0 rcd_shell -C "$repo" -q check >/dev/null 2>&1 || fail "rcd check failed"
  assert_contains "$(cat "$repo/target/rcd/logs/env.log")" "tunables=[glibc.malloc.check=0:glibc.malloc.hugetlb=1]" "kept"
  RCD_HUGEPAGES=0 rcd_shell -C "$repo" -q check >/dev/null 2>&1 || fail "rcd check failed"
  assert_contains "$(cat "$repo/target/rcd/logs/env.log")" "tunables=[]" "not asked"
}

run_test test_missing_rcd_yaml_hints_at_init
run_test test_unknown_key_names_line_and_suggests
run_test test_yaml_syntax_error_names_line_and_column
run_test test_unknown_language_lists_the_known_ones
run_test test_run_as_a_string_in_a_repository_pipeline_is_rejected
run_test test_repository_pipeline_overrides_the_built_in_one
run_test test_stage_override_in_rcd_yaml_is_merged
run_test test_unknown_stage_in_rcd_yaml_suggests_the_right_one
run_test test_cycle_in_needs_is_reported
run_test test_unknown_command_suggests_one
run_test test_unknown_stage_in_only_suggests_one
run_test test_config_error_with_json_prints_the_error_document
run_test test_help_and_version
run_test test_pipelines_are_built_in_so_a_lone_binary_works
run_test test_plan_lists_stages_in_order_with_their_commands
run_test test_heavy_commands_ask_for_huge_pages
finish
