#!/usr/bin/env bash
# CI output (GitHub Actions, GitLab, JUnit) and the everyday commands (init, doctor,
# completions), with the real binary, real cargo and a real registry.
source "$(dirname "$0")/lib.sh"
ESC=$'\x1b'

# A clippy failure on a known line of src/lib.rs: `return` at the end of a function.
add_clippy_failure() { # REPO: prints the line number
  cat >>"$1/src/lib.rs" <<'EOF'

pub fn double(a: u32) -> u32 {
    return a * 2;
}
EOF
  grep -n 'return a \* 2;' "$1/src/lib.rs" | cut -d: -f1
}

test_github_actions_groups_annotations_and_step_summary() {
  local repo line rc=0
  repo=$(make_repo service gha)
  line=$(add_clippy_failure "$repo")
  CI=true GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$WORK/summary.md" \
    rcd -C "$repo" check --only fmt,clippy >"$WORK/out" 2>&1 || rc=$?
  assert_eq 1 "$rc" "exit code of a clippy failure"
  out=$(cat "$WORK/out")
  assert_contains "$out" "::error file=src/lib.rs,line=$line," "annotation"
  assert_contains "$out" "title=unneeded \`return\` statement" "annotation title"
  assert_contains "$out" "error: unneeded \`return\` statement" "the rendered diagnostic"
  assert_not_contains "$out" '{"reason"' "cargo's JSON"
  assert_eq "$(grep -c '^::group::' "$WORK/out")" "$(grep -c '^::endgroup::' "$WORK/out")" "balanced groups"
  assert_eq 2 "$(grep -c '^::group::' "$WORK/out")" "one group per stage"
  assert_not_contains "$out" "$ESC" "ANSI escapes in CI mode"
  grep -qE '^\[ *[0-9]+\.[0-9]s\] ==> clippy' "$WORK/out" || fail "no elapsed time on rcd's lines"
  # Every line of rcd's own (stage lines, the summary table, the verdict, the error) is stamped.
  grep -qE '^\[ *[0-9]+\.[0-9]s\]   clippy +failed' "$WORK/out" || fail "the summary table is not stamped"
  unstamped=$(grep -E '^(==> |ok  |ERR |-- |rcd: |  stage |  (fmt|clippy) +(passed|failed)|  hint: )' "$WORK/out" || true)
  assert_eq "" "$unstamped" "lines of rcd's own without elapsed time"
  summary=$(cat "$WORK/summary.md")
  assert_contains "$summary" "| stage | status | time | note |" "summary table"
  assert_contains "$summary" "| clippy | failed |" "summary row"
}

test_gitlab_sections_are_balanced_and_a_failure_is_expanded() {
  local repo rc=0
  repo=$(make_repo service gitlab)
  add_clippy_failure "$repo" >/dev/null
  CI=true GITLAB_CI=true rcd -C "$repo" check --only fmt,clippy >"$WORK/out" 2>&1 || rc=$?
  assert_eq 1 "$rc" "exit code"
  assert_eq 2 "$(grep -c 'section_start:[0-9]*:rcd_[a-z]*\[collapsed=true\]' "$WORK/out")" "sections started"
  assert_eq 2 "$(grep -c 'section_end:[0-9]*:rcd_' "$WORK/out")" "sections ended"
  assert_contains "$(cat "$WORK/out")" "The last lines of" "expanded failure"
  # The section markers are GitLab's own escapes; nothing else may colour the log.
  assert_not_contains "$(sed 's/\x1b\[0K//g' "$WORK/out")" "$ESC" "ANSI escapes besides the markers"
}

test_junit_names_tests_and_validates_for_passing_and_failing_crates() {
  local repo rc=0
  repo=$(make_repo service junit-pass)
  rcd -C "$repo" -q check --only test,doctest --junit "$WORK/pass.xml" || { cat "$WORK/pass.xml"; return 1; }
  xmllint --noout "$WORK/pass.xml" || fail "invalid JUnit XML"
  assert_contains "$(cat "$WORK/pass.xml")" 'name="tests::adds"' "unit test"
  assert_contains "$(cat "$WORK/pass.xml")" 'doc tests' "doc test suite"
  assert_eq 0 "$(xmllint --xpath 'string(/testsuites/@failures)' "$WORK/pass.xml")" "failures"

  repo=$(make_repo service junit-fail)
  cat >>"$repo/src/lib.rs" <<'EOF'

#[cfg(test)]
mod more {
    #[test]
    fn breaks() {
        panic!("first line\nsecond line");
    }
    #[test]
    #[ignore]
    fn later() {}
}
EOF
  rcd -C "$repo" -q check --only test --junit "$WORK/fail.xml" 2>/dev/null || rc=$?
  assert_eq 1 "$rc" "exit code"
  xmllint --noout "$WORK/fail.xml" || fail "invalid JUnit XML"
  assert_eq 1 "$(xmllint --xpath 'string(/testsuites/@failures)' "$WORK/fail.xml")" "failures"
  assert_eq 1 "$(xmllint --xpath 'string(/testsuites/@skipped)' "$WORK/fail.xml")" "skipped"
  assert_eq "first line" "$(xmllint --xpath 'string(//testcase[@name="more::breaks"]/failure/@message)' "$WORK/fail.xml")" "failure message"
  assert_contains "$(xmllint --xpath 'string(//testcase[@name="more::breaks"]/failure)' "$WORK/fail.xml")" "second line" "captured output"
}

test_init_writes_a_configuration_check_accepts_and_never_overwrites() {
  local crate ws rc=0
  crate="$WORK/fresh-crate"
  cp -r "$FIXTURES/service" "$crate"
  rm "$crate/rcd.yaml"
  rcd -C "$crate" init --registry 127.0.0.1:5000/team 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq "name: fixture-service
language: rust
registry: 127.0.0.1:5000/team" "$(cat "$crate/rcd.yaml")" "rcd.yaml of a crate"
  rcd -C "$crate" -q check --only fmt || fail "check refused the configuration init wrote"
  rcd -C "$crate" init 2>"$WORK/err" || rc=$?
  assert_eq 2 "$rc" "exit code when rcd.yaml exists"
  assert_contains "$(cat "$WORK/err")" "already exists" "message"
  assert_contains "$(cat "$crate/rcd.yaml")" "registry:" "the first file is intact"

  ws="$WORK/fresh-workspace"
  cp -r "$FIXTURES/deps-workspace" "$ws"
  rm "$ws/rcd.yaml"
  rcd -C "$ws" init 2>/dev/null
  assert_eq "name: dep-service" "$(head -1 "$ws/rcd.yaml")" "name of the workspace's binary"
  rcd -C "$ws" plan --json >"$WORK/plan" 2>/dev/null || fail "plan refused the workspace's configuration"

  mkdir -p "$WORK/empty"
  rc=0
  rcd -C "$WORK/empty" init 2>"$WORK/err" || rc=$?
  assert_eq 2 "$rc" "exit code without a known language"
  assert_contains "$(cat "$WORK/err")" "Cargo.toml" "what rcd looked for"
}

test_doctor_healthy_dead_and_refused_registry() {
  local repo rc=0 secret=doctor-secret-123
  repo=$(make_repo service doctor)
  start_registry healthy
  rcd -C "$repo" doctor --registry "$REGISTRY_ADDR/team" >"$WORK/out" 2>&1 || { cat "$WORK/out"; return 1; }
  for check in cargo rustfmt clippy config repository registry credentials; do
    grep -qE "^ok +$check " "$WORK/out" || fail "no ok line for $check: $(cat "$WORK/out")"
  done

  rcd -C "$repo" doctor --registry "127.0.0.1:$(free_port)/team" >"$WORK/out" 2>&1 || rc=$?
  assert_eq 4 "$rc" "exit code with a dead registry"
  grep -qE '^fail +registry ' "$WORK/out" || fail "the dead registry is not named: $(cat "$WORK/out")"

  htpasswd -Bbn tester right-password >"$WORK/htpasswd"
  start_registry locked "auth: {htpasswd: {realm: basic-realm, path: $WORK/htpasswd}}"
  rc=0
  RCD_REGISTRY_USERNAME=tester RCD_REGISTRY_PASSWORD=$secret \
    rcd -C "$repo" doctor --registry "$REGISTRY_ADDR/team" >"$WORK/out" 2>&1 || rc=$?
  assert_eq 4 "$rc" "exit code with refused credentials"
  grep -qE '^fail +credentials ' "$WORK/out" || fail "the credentials are not named: $(cat "$WORK/out")"
  assert_not_contains "$(cat "$WORK/out")" "$secret" "the secret"
}

test_completion_scripts_parse_and_name_the_commands() {
  rcd completions bash >"$WORK/rcd.bash"
  bash -n "$WORK/rcd.bash" || fail "bash -n rejected the script"
  assert_contains "$(cat "$WORK/rcd.bash")" "release" "a command"
  assert_contains "$(cat "$WORK/rcd.bash")" "--no-cache-push" "an option"
  # Sourced, it completes: `rcd rel<TAB>` -> release.
  result=$(bash -c 'source "$1"; COMP_WORDS=(rcd rel); COMP_CWORD=1; _rcd; echo "${COMPREPLY[*]}"' _ "$WORK/rcd.bash")
  assert_eq release "$result" "completion of 'rcd rel'"
  assert_contains "$(rcd completions zsh)" "compdef _rcd rcd" "zsh"
  assert_contains "$(rcd completions fish)" "complete -c rcd" "fish"
  # A flag takes no value; an option does.
  assert_contains "$(rcd completions fish | grep -- '-l json ')" "-l json -d" "fish: --json is a flag"
  assert_contains "$(rcd completions fish | grep -- '-l registry ' | head -1)" "-l registry -r" "fish: --registry takes a value"
}

test_cmake_install_puts_binary_man_page_and_completions_in_place() {
  cmake --install "$(dirname "$RCD_BIN")" --prefix "$WORK/prefix" >/dev/null || fail "cmake --install failed"
  for f in bin/rcd share/man/man1/rcd.1 share/bash-completion/completions/rcd \
    share/zsh/site-functions/_rcd share/fish/vendor_completions.d/rcd.fish; do
    [ -s "$WORK/prefix/$f" ] || fail "not installed: $f"
  done
  man -l "$WORK/prefix/share/man/man1/rcd.1" 2>/dev/null | grep -q "rcd - from a commit" || fail "the man page does not render"
}

run_test test_github_actions_groups_annotations_and_step_summary
run_test test_gitlab_sections_are_balanced_and_a_failure_is_expanded
run_test test_junit_names_tests_and_validates_for_passing_and_failing_crates
run_test test_init_writes_a_configuration_check_accepts_and_never_overwrites
run_test test_doctor_healthy_dead_and_refused_registry
run_test test_completion_scripts_parse_and_name_the_commands
run_test test_cmake_install_puts_binary_man_page_and_completions_in_place
finish
