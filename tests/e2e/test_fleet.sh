#!/usr/bin/env bash
# rcd fleet over six fixture repositories: two pairs sharing a dependency recipe, one whose
# fmt fails, one that drifts from the others; its table, its JSON lines, the cooks it saved,
# its exit code, the drift report, two fleets at once, and the CI matrices and their summary.
source "$(dirname "$0")/lib.sh"
start_registry fleet
REG=$REGISTRY_ADDR

# A committed copy of FIXTURE in $WORK/fleet/NAME pushing to REG/NAME; TOML, appended to its
# Cargo.toml, changes its recipe.
fleet_repo() { # FIXTURE NAME [TOML]
  local dir="$WORK/fleet/$2"
  mkdir -p "$WORK/fleet"
  cp -r "$FIXTURES/$1" "$dir"
  rm -rf "$dir/target"
  [ -z "${3:-}" ] || printf '%s\n' "$3" >>"$dir/Cargo.toml"
  printf 'registry: %s/%s\n' "$REG" "$2" >>"$dir/rcd.yaml"
  git -C "$dir" init -q -b main
  git -C "$dir" add -A
  git -C "$dir" -c user.name=rcd -c user.email=rcd@test commit -q -m initial
}

test_fleet_release_shares_cooks_reports_every_repository_and_exits_with_the_worst() {
  local rc=0 pair cooked restored
  fleet_repo deps-workspace a1
  fleet_repo deps-workspace a2
  fleet_repo deps-workspace b1 $'[profile.release]\nopt-level = 2'
  fleet_repo deps-workspace b2 $'[profile.release]\nopt-level = 2'
  fleet_repo service plain
  # plain drifts from the fleet: a pipeline of its own, a skipped stage, a label nobody sets.
  mkdir -p "$WORK/fleet/plain/.rcd/pipelines"
  rcd pipelines show rust >"$WORK/fleet/plain/.rcd/pipelines/rust.yaml"
  printf 'image: {labels: {team: payments}}\nstages: {doctest: {skip: true}}\n' >>"$WORK/fleet/plain/rcd.yaml"
  git -C "$WORK/fleet/plain" add -A
  git -C "$WORK/fleet/plain" -c user.name=rcd -c user.email=rcd@test commit -q -m drift
  fleet_repo service broken
  printf 'fn  badly_formatted() {}\n' >>"$WORK/fleet/broken/src/main.rs"
  git -C "$WORK/fleet/broken" -c user.name=rcd -c user.email=rcd@test commit -q -am unformatted
  printf '# the fleet\na1\na2\nb1\n\nb2\nplain\nbroken\n' >"$WORK/fleet/repos.txt"

  (cd "$WORK" && rcd --json fleet release -j 2 --list fleet/repos.txt) >"$WORK/lines" 2>"$WORK/err" || rc=$?
  assert_eq 1 "$rc" "exit code: the worst repository's (a failed stage)"
  assert_eq 7 "$(wc -l <"$WORK/lines")" "one JSON line per repository, then the summary"
  assert_eq "6 5 1 4" "$(tail -1 "$WORK/lines" | jq -r '.fleet | "\(.repositories) \(.passed) \(.failed) \(.saved_cooks)"')" \
    "summary: repositories, passed, failed, cooks saved"
  for r in a1 a2 b1 b2 plain; do
    assert_eq 0 "$(jq -r --arg r "$WORK/fleet/$r" 'select(.repository == $r) | .exit_code' "$WORK/lines")" "$r"
    skopeo inspect --tls-verify=false "docker://$REG/$r/$(sed -n 's/^name: //p' "$WORK/fleet/$r/rcd.yaml"):latest" >/dev/null ||
      fail "$r: no image"
  done
  assert_eq "fmt" "$(jq -r --arg r "$WORK/fleet/broken" 'select(.repository == $r) | .stages[] | select(.status == "failed") | .name' "$WORK/lines")" \
    "the failed stage of broken"
  # Each pair cooked once: the second of it restored what the first cooked.
  for pair in a b; do
    # A miss, or a partial restore of the other pair's cache and a cook of the difference.
    cooked=$(jq -r --arg r "$WORK/fleet/${pair}1" 'select(.repository == $r) | [.cache.profiles[].status | select(. == "miss" or . == "partial")] | length' "$WORK/lines")
    restored=$(jq -r --arg r "$WORK/fleet/${pair}2" 'select(.repository == $r) | [.cache.profiles[].status] | join(" ")' "$WORK/lines")
    assert_eq 2 "$cooked" "${pair}1 cooked its two profiles (debug, release)"
    assert_eq "hit-local hit-local" "$restored" "${pair}2 restored the pair's cook"
  done
  # Each repository's output is kept, and was shown prefixed by its name.
  assert_contains "$(cat "$WORK/.rcd-fleet/broken.log")" "fmt failed" "broken's log"
  assert_contains "$(cat "$WORK/err")" "a2 | " "prefixed output"

  # Without --json: the table, on stderr.
  rc=0
  (cd "$WORK" && rcd fleet check --list fleet/repos.txt) >/dev/null 2>"$WORK/err" || rc=$?
  assert_eq 1 "$rc" "check's exit code"
  assert_contains "$(cat "$WORK/err")" "6 repositories: 5 passed, 1 failed" "the totals line"
  assert_contains "$(grep -E '^broken +1 ' "$WORK/err")" "stage 'fmt' failed" "broken's row"
}

test_two_fleets_at_once_wait_for_each_other_and_both_pass() {
  local one two
  (cd "$WORK" && rcd --json fleet check --logs logs-one fleet/a1 fleet/a2) >"$WORK/one" 2>/dev/null &
  one=$!
  (cd "$WORK" && rcd --json fleet check --logs logs-two fleet/a1 fleet/a2) >"$WORK/two" 2>/dev/null &
  two=$!
  wait "$one" || fail "the first fleet failed: $(cat "$WORK/one")"
  wait "$two" || fail "the second fleet failed: $(cat "$WORK/two")"
  assert_eq "true true" "$(head -2 "$WORK/one" | jq -r .ok | tr '\n' ' ' | xargs)" "first fleet's runs"
  assert_eq "true true" "$(head -2 "$WORK/two" | jq -r .ok | tr '\n' ' ' | xargs)" "second fleet's runs"
}

test_matrix_for_github_and_gitlab_and_the_summary_of_their_lines() {
  local rc=0
  (cd "$WORK" && rcd fleet matrix --list fleet/repos.txt) >"$WORK/gh.json"
  assert_eq "a1 a2 b1 b2 plain broken" "$(jq -r '[.include[].name] | join(" ")' "$WORK/gh.json")" "GitHub include names"
  assert_eq "fleet/a1" "$(jq -r '.include[0].path' "$WORK/gh.json")" "paths relative to the fleet's directory"
  (cd "$WORK" && rcd fleet matrix --format gitlab fleet/a1 fleet/broken) >"$WORK/gl.yml"
  /usr/bin/python3 -c '
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["rcd-release"]
print(" ".join(m["RCD_NAME"] for m in job["parallel"]["matrix"]))' "$WORK/gl.yml" >"$WORK/gl.names"
  assert_eq "a1 broken" "$(cat "$WORK/gl.names")" "GitLab parallel:matrix"
  # The JSON files each job kept, joined into the one table.
  (cd "$WORK" && rcd fleet summary .rcd-fleet/a1.json .rcd-fleet/broken.json) >"$WORK/table" || rc=$?
  assert_eq 1 "$rc" "summary's exit code: the worst"
  assert_contains "$(cat "$WORK/table")" "2 repositories: 1 passed, 1 failed" "summary totals"
  # On a terminal: the live table, redrawn in place, then the summary.
  (cd "$WORK" && script -qec "$RCD_BIN fleet plan --logs logs-tty fleet/a1 fleet/plain" /dev/null) >"$WORK/tty" 2>&1 ||
    fail "fleet plan on a terminal: $(tail -5 "$WORK/tty")"
  assert_contains "$(cat "$WORK/tty")" "repository  state" "the live table's header"
  assert_contains "$(cat -v "$WORK/tty")" "^[[3A^[[J" "the table redrawn over itself"
  assert_contains "$(cat "$WORK/tty")" "2 repositories: 2 passed, 0 failed" "the summary after it"
  rc=0
  (cd "$WORK" && rcd fleet release fleet/nowhere) 2>"$WORK/err" || rc=$?
  assert_eq 2 "$rc" "a repository that is not there"
  assert_contains "$(cat "$WORK/err")" "fleet/nowhere is not a directory" "its error"
}

test_doctor_reports_each_repository_that_drifts_from_the_fleet() {
  local rc=0
  (cd "$WORK" && rcd fleet doctor --list fleet/repos.txt) >"$WORK/doctor" 2>&1 || rc=$?
  assert_eq 1 "$rc" "exit code when a repository drifts"
  assert_eq "plain: its own pipeline: .rcd/pipelines/rust.yaml; skips stages: doctest; sets what no other repository does: image.labels" \
    "$(grep '^plain:' "$WORK/doctor")" "plain's drift"
  assert_eq 5 "$(grep -c ': as the fleet$' "$WORK/doctor")" "the others"
  (cd "$WORK" && rcd --json fleet doctor fleet/a1 fleet/plain) >"$WORK/doctor.jsonl" || true
  assert_eq "0 3" "$(jq -r 'select(.repository) | .drift | length' "$WORK/doctor.jsonl" | xargs)" "drift in the JSON lines"
  assert_eq 1 "$(tail -1 "$WORK/doctor.jsonl" | jq .fleet.drifted)" "the summary line"
}

run_test test_fleet_release_shares_cooks_reports_every_repository_and_exits_with_the_worst
run_test test_doctor_reports_each_repository_that_drifts_from_the_fleet
run_test test_two_fleets_at_once_wait_for_each_other_and_both_pass
run_test test_matrix_for_github_and_gitlab_and_the_summary_of_their_lines
finish
