#!/usr/bin/env bash
# The bench stage against a real registry with real criterion benches: a first release records
# its times; a commit that makes one function do twice the work fails its release, names the
# benchmark (annotation, step summary, JSON) and leaves `latest` alone; a neutral commit is
# released, compared against the first; `rcd bench history` reads both releases back.
source "$(dirname "$0")/lib.sh"
start_registry bench
REG=$REGISTRY_ADDR

# The bench fixture, pushing to REG/bench-service. clippy and test are skipped here to keep the
# suite's time (each compiles criterion once more); the bench stage does not need them. route,
# untouched by the regression, moves by up to ~12 % with where the linker puts its loop
# (docs/bench.md): its allowance keeps that from failing the neutral release.
make_bench_repo() { # NAME
  local repo
  repo=$(make_repo bench-service "$1")
  sed -i 's/^bench: true$/bench: {allow: {route: 30%}}/' "$repo/rcd.yaml"
  printf 'registry: %s\nstages: {clippy: {skip: true}, test: {skip: true}}\n' "$REG" >>"$repo/rcd.yaml"
  commit_all "$repo"
  echo "$repo"
}

# A second pass over the body in checksum(): twice the work, route() untouched.
make_slower() { # REPO
  /usr/bin/python3 - "$1/src/lib.rs" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
marker = "    sum\n}\n"
slower = """    for &byte in data {
        sum ^= u64::from(byte).rotate_left(7);
        sum = sum.wrapping_mul(0x0100_0000_01b3);
    }
"""
assert marker in text
open(path, "w").write(text.replace(marker, slower + marker, 1))
PY
}

image_digest() { skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/bench-service:$1"; }

test_a_regression_fails_the_release_and_a_neutral_commit_ships() {
  local repo first second third out rc=0
  repo=$(make_bench_repo bench-release)
  first=$(git -C "$repo" rev-parse HEAD)

  # 1. The first release: no baseline yet, the times recorded next to the image.
  rcd -C "$repo" release --json >"$WORK/r1.json" 2>"$WORK/r1.err" || { cat "$WORK/r1.err"; return 1; }
  assert_eq passed "$(json "$WORK/r1.json" '.stages[] | select(.name=="bench") | .status')" "bench stage"
  assert_eq null "$(json "$WORK/r1.json" '.bench.baseline')" "no baseline on the first release"
  assert_contains "$(json "$WORK/r1.json" '.bench.baseline_source')" "latest does not exist yet" "why"
  assert_eq "checksum new,route new" \
    "$(json "$WORK/r1.json" '[.bench.benchmarks[] | "\(.id) \(.verdict)"] | join(",")')" "benchmarks"
  out=$(skopeo inspect --tls-verify=false --raw "docker://$REG/bench-service:bench-$first")
  assert_eq application/vnd.rcd.bench.v1+json "$(jq -r .artifactType <<<"$out")" "the bench tag's artifact"
  assert_eq "$(image_digest latest)" "$(jq -r .subject.digest <<<"$out")" "its subject is the image"
  assert_contains "$(json "$WORK/r1.json" '[.image.attachments[].artifact_type] | join(",")')" \
    application/vnd.rcd.bench.v1+json "listed with the attachments"

  # 2. Twice the work in checksum(): the bench stage fails, nothing is pushed, latest stays.
  make_slower "$repo"
  commit_all "$repo"
  second=$(git -C "$repo" rev-parse HEAD)
  CI=true GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$WORK/summary2.md" \
    rcd -C "$repo" release --json >"$WORK/r2.json" 2>"$WORK/r2.err" || rc=$?
  assert_eq 1 "$rc" "a slower benchmark fails the release"
  assert_eq failed "$(json "$WORK/r2.json" '.stages[] | select(.name=="bench") | .status')" "bench stage"
  assert_eq skipped "$(json "$WORK/r2.json" '.stages[] | select(.name=="build") | .status')" \
    "the build waits for the bench stage"
  assert_eq "$first" "$(json "$WORK/r2.json" '.bench.baseline')" "compared against latest's commit"
  assert_eq slower "$(json "$WORK/r2.json" '.bench.benchmarks[] | select(.id=="checksum") | .verdict')" "checksum"
  [ "$(json "$WORK/r2.json" '.bench.benchmarks[] | select(.id=="checksum") | .change > 0.5')" = true ] ||
    fail "checksum's change: $(json "$WORK/r2.json" '.bench.benchmarks[] | select(.id=="checksum") | .change')"
  assert_not_contains "$(json "$WORK/r2.json" '.bench.benchmarks[] | select(.id=="route") | .verdict')" slower "route"
  assert_eq true "$(json "$WORK/r2.json" '.bench.failed')" "failed"
  assert_eq "0.05 0.3" "$(json "$WORK/r2.json" '[.bench.benchmarks[].threshold | tostring] | join(" ")')" \
    "min_effect for checksum, the allowance for route"
  assert_eq null "$(json "$WORK/r2.json" '.image')" "no image"
  assert_eq "$(image_digest "$first")" "$(image_digest latest)" "latest still names the first release"
  skopeo inspect --tls-verify=false --raw "docker://$REG/bench-service:$second" >/dev/null 2>&1 &&
    fail "the slower commit was pushed"
  assert_contains "$(cat "$WORK/r2.err")" "::error title=rcd bench::checksum is +" "annotation"
  assert_contains "$(cat "$WORK/summary2.md")" "### Benchmarks" "step summary"
  assert_contains "$(cat "$WORK/summary2.md")" "| checksum |" "step summary row"
  assert_contains "$(cat "$WORK/summary2.md")" "**slower**" "step summary verdict"
  assert_contains "$(cat "$repo/target/rcd/logs/bench.log")" "checksum" "the stage's log has the table"

  # 3. The regression reverted and a neutral change made: released, latest moves.
  git -C "$repo" checkout -q "$first" -- src/lib.rs
  printf '\n/// The service'"'"'s name, for logs.\npub const NAME: &str = "bench-service";\n' >>"$repo/src/lib.rs"
  commit_all "$repo"
  third=$(git -C "$repo" rev-parse HEAD)
  CI=true GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$WORK/summary3.md" \
    rcd -C "$repo" release --json >"$WORK/r3.json" 2>"$WORK/r3.err" || { cat "$WORK/r3.err"; return 1; }
  assert_eq "$first" "$(json "$WORK/r3.json" '.bench.baseline')" "still against the first release"
  assert_eq 0 "$(json "$WORK/r3.json" '.bench.slower')" "nothing slower"
  assert_eq false "$(json "$WORK/r3.json" '.bench.failed')" "passed"
  assert_eq "$(image_digest "$third")" "$(image_digest latest)" "latest moved"
  assert_contains "$(cat "$WORK/summary3.md")" "last 2 releases" "the chart's column"

  # 4. The history: both releases, oldest first.
  out=$(rcd -C "$repo" bench history)
  assert_contains "$out" "${first:0:8}" "history: the first release"
  assert_contains "$out" "${third:0:8}" "history: the third"
  assert_not_contains "$out" "${second:0:8}" "history: the failed commit was never released"
  assert_contains "$out" "checksum" "history row"
  assert_eq "$first $third" \
    "$(rcd -C "$repo" --json bench history | jq -r '[.releases[].commit] | join(" ")')" "history --json"
  assert_eq "$third" "$(rcd -C "$repo" --json bench history --last 1 | jq -r '.releases[].commit')" "--last 1"
}

test_the_stage_is_off_unless_asked_for_and_its_settings_are_checked() {
  local repo rc=0 out
  repo=$(make_repo bench-service bench-off)
  printf 'name: bench-service\nlanguage: rust\n' >"$repo/rcd.yaml"
  commit_all "$repo"
  rcd -C "$repo" check --json --only fmt,bench >"$WORK/off.json"
  assert_eq skipped "$(json "$WORK/off.json" '.stages[] | select(.name=="bench") | .status')" "off by default"
  assert_contains "$(json "$WORK/off.json" '.stages[] | select(.name=="bench") | .reason')" "--bench" "how to turn it on"

  # A repository without benches skips it, even with --bench.
  local plain
  plain=$(make_repo service bench-none)
  rcd -C "$plain" check --json --only fmt,bench --bench >"$WORK/none.json"
  assert_eq "no bench target in the workspace" \
    "$(json "$WORK/none.json" '.stages[] | select(.name=="bench") | .reason')" "no benches"
  out=$(rcd -C "$plain" bench run 2>&1) || rc=$?
  assert_eq 2 "$rc" "rcd bench run without benches"
  assert_contains "$out" "no bench target" "its message"

  # Settings: a wrong value names the file and line.
  printf 'name: bench-service\nlanguage: rust\nbench:\n  fail_on: sometimes\n' >"$repo/rcd.yaml"
  rc=0
  out=$(rcd -C "$repo" check 2>&1) || rc=$?
  assert_eq 2 "$rc" "bad fail_on"
  assert_contains "$out" "rcd.yaml:4:12" "where"
  assert_contains "$out" "'fail_on' may be: slower, never" "what it may be"
  rc=0
  out=$(rcd -C "$repo" bench history 2>&1) || rc=$?
  assert_eq 2 "$rc" "the same error from rcd bench"
  git -C "$repo" checkout -q -- rcd.yaml

  # No registry and no --bench-baseline: no baseline, said so.
  rc=0
  out=$(rcd -C "$repo" bench run --baseline no-such-rev 2>&1) || rc=$?
  assert_eq 3 "$rc" "an unknown baseline revision"
  assert_contains "$out" "no commit 'no-such-rev'" "its message"
}

run_test test_the_stage_is_off_unless_asked_for_and_its_settings_are_checked
run_test test_a_regression_fails_the_release_and_a_neutral_commit_ships
finish
