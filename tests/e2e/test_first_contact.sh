#!/usr/bin/env bash
# A new user's first release: an ordinary (dynamically linked) crate, an image that must start,
# machine-readable output for scripts and CI, fast failures, and where the cache lives.
source "$(dirname "$0")/lib.sh"
start_registry first
REG=$REGISTRY_ADDR

run_json() { # OUT ARGS...: rcd --json ARGS, stdout to OUT, stderr to $WORK/err; returns its code
  local out=$1 rc=0
  shift
  rcd --json "$@" >"$out" 2>"$WORK/err" || rc=$?
  return $rc
}

# make_image_repo NAME: the fixture service pushing to $REG/team/NAME.
make_image_repo() {
  local repo
  repo=$(make_release_repo "$1" "$REG")
  sed -i "s/^name: .*/name: $1/" "$repo/rcd.yaml"
  printf 'binary: fixture-service\n' >>"$repo/rcd.yaml"
  commit_all "$repo"
  echo "$repo"
}

tags_of() { # REPOSITORY: its tags but the referrers tags (sha256-...: test_supply_chain.sh), sorted, one line
  skopeo list-tags --tls-verify=false "docker://$1" 2>/dev/null |
    jq -r '[.Tags[] | select(startswith("sha256-") | not)] | sort | join(" ")'
}

# --- 1. Never push an image that cannot start

test_dynamic_binary_on_scratch_exits_2_before_anything_is_pushed() {
  local repo rc=0
  repo=$(make_dynamic_repo dynamic "$REG")
  run_json "$WORK/doc" -C "$repo" release || rc=$?
  assert_eq 2 "$rc" "exit code" || { cat "$WORK/err"; return 1; }
  assert_contains "$(cat "$WORK/err")" "the image cannot start /usr/local/bin/fixture-service: its interpreter /lib64/ld-linux-x86-64.so.2" "message"
  assert_contains "$(cat "$WORK/err")" "libc.so.6" "the missing library"
  assert_contains "$(cat "$WORK/err")" "gcr.io/distroless/cc-debian12" "way out: a base with glibc"
  assert_contains "$(cat "$WORK/err")" "+crt-static" "way out: a static build"
  assert_eq 2 "$(json "$WORK/doc" .exit_code)" "JSON exit code"
  assert_eq "" "$(tags_of "$REG/team/dynamic")" "nothing pushed"
  rc=0
  rcd -C "$repo" image --output "oci:$WORK/never" 2>/dev/null || rc=$?
  assert_eq 2 "$rc" "rcd image"
  [ ! -e "$WORK/never" ] || fail "the image was written"
  # doctor says the same, about the last build, and before any build.
  rc=0
  rcd -C "$repo" doctor >"$WORK/doctor" 2>&1 || rc=$?
  assert_eq 2 "$rc" "doctor's exit code"
  assert_contains "$(grep '^fail  image' "$WORK/doctor")" "the last build (fixture-service)" "doctor on the last build"
  rm -rf "$repo/target"
  rcd -C "$repo" doctor >"$WORK/doctor" 2>&1 || true
  assert_contains "$(grep '^fail  image' "$WORK/doctor")" "a scratch image has none" "doctor before a build"
}

test_init_warns_that_a_dynamic_binary_cannot_start_on_scratch() {
  local repo
  repo=$(make_dynamic_repo initdyn "$REG")
  git -C "$repo" rm -q rcd.yaml
  commit_all "$repo"
  rcd -C "$repo" init 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_contains "$(cat "$WORK/err")" "warning: image: the binary will link the C library" "init's warning"
  assert_contains "$(cat "$WORK/err")" "distroless/cc-debian12" "init's hint"
  rm "$repo/rcd.yaml"
  cp -r "$FIXTURES/service/.cargo" "$repo/"
  rcd -C "$repo" init 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_not_contains "$(cat "$WORK/err")" "warning" "init on a static crate"
}

test_a_base_with_glibc_starts_the_binary_and_its_file_list_is_cached() {
  local repo sha
  push_glibc_base "$REG" base/glibc:12
  repo=$(make_dynamic_repo on-glibc "$REG")
  printf 'image:\n  base: %s/base/glibc:12\n' "$REG" >>"$repo/rcd.yaml"
  commit_all "$repo"
  sha=$(git -C "$repo" rev-parse HEAD)
  run_json "$WORK/doc" -C "$repo" -v release --only build || { cat "$WORK/err"; return 1; }
  assert_contains "$(cat "$WORK/err")" "reading the file list of base layer" "the base's files read"
  ls "$RCD_CACHE_DIR"/layers/*.json >/dev/null || fail "the file list is not in the local cache"
  skopeo inspect --tls-verify=false --config "docker://$REG/team/on-glibc:$sha" >"$WORK/config"
  assert_eq "65532:65532" "$(json "$WORK/config" .config.User)" "nonroot by default"
  skopeo copy -q --src-tls-verify=false "docker://$REG/team/on-glibc:$sha" "oci:$WORK/glibc-image:x"
  umoci unpack --image "$WORK/glibc-image:x" "$WORK/glibc-bundle" >/dev/null 2>&1 || fail "umoci unpack"
  assert_eq "fixture-service 42" "$(chroot "$WORK/glibc-bundle/rootfs" /usr/local/bin/fixture-service)" "the dynamic binary runs in its image"
  # The next release reads the list from the cache, not the registry.
  echo "// again" >>"$repo/src/main.rs"
  commit_all "$repo"
  run_json "$WORK/doc" -C "$repo" -v release --only build || { cat "$WORK/err"; return 1; }
  assert_not_contains "$(cat "$WORK/err")" "reading the file list" "the cached file list"
}

test_scratch_images_run_as_nonroot_with_a_user_database_and_root_on_request() {
  local repo sha
  repo=$(make_image_repo users)
  sha=$(git -C "$repo" rev-parse HEAD)
  run_json "$WORK/doc" -C "$repo" release --only build || { cat "$WORK/err"; return 1; }
  skopeo inspect --tls-verify=false --config "docker://$REG/team/users:$sha" >"$WORK/config"
  assert_eq "65532:65532" "$(json "$WORK/config" .config.User)" "default user"
  skopeo copy -q --src-tls-verify=false "docker://$REG/team/users:$sha" "oci:$WORK/users:x"
  umoci unpack --image "$WORK/users:x" "$WORK/users-bundle" >/dev/null 2>&1 || fail "umoci unpack"
  assert_contains "$(cat "$WORK/users-bundle/rootfs/etc/passwd")" "nonroot:x:65532:65532:" "passwd"
  assert_contains "$(cat "$WORK/users-bundle/rootfs/etc/group")" "nonroot:x:65532:" "group"
  printf 'image:\n  user: root\n' >>"$repo/rcd.yaml"
  commit_all "$repo"
  sha=$(git -C "$repo" rev-parse HEAD)
  run_json "$WORK/doc" -C "$repo" release --only build || { cat "$WORK/err"; return 1; }
  assert_eq "0:0" "$(skopeo inspect --tls-verify=false --config "docker://$REG/team/users:$sha" | jq -r .config.User)" "image.user: root"
}

test_smoke_runs_the_image_before_any_tag_moves() {
  local repo sha rc=0
  if ! use_podman; then
    echo "    (skipped: podman cannot run a container here)"
    return 0
  fi
  repo=$(make_image_repo smoke)
  printf 'image:\n  smoke: [--fail]\n' >>"$repo/rcd.yaml"
  # The fixture exits 3 when asked to fail.
  sed -i 's|fn main() {|fn main() {\n    if std::env::args().any(\|a\| a == "--fail") {\n        eprintln!("smoke failure asked for");\n        std::process::exit(3);\n    }|' "$repo/src/main.rs"
  commit_all "$repo"
  run_json "$WORK/doc" -C "$repo" release --only build || rc=$?
  assert_eq 1 "$rc" "a failing smoke test fails the release" || { cat "$WORK/err"; return 1; }
  assert_contains "$(cat "$WORK/err")" "smoke failure asked for" "its output is shown"
  assert_eq failed "$(json "$WORK/doc" '.stages[] | select(.name == "smoke") | .status')" "smoke stage"
  assert_eq "" "$(tags_of "$REG/team/smoke")" "nothing pushed"
  sed -i 's/smoke: \[--fail\]/smoke: []/' "$repo/rcd.yaml"
  commit_all "$repo"
  sha=$(git -C "$repo" rev-parse HEAD)
  run_json "$WORK/doc" -C "$repo" release --only build || { cat "$WORK/err"; return 1; }
  assert_eq passed "$(json "$WORK/doc" '.stages[] | select(.name == "smoke") | .status')" "smoke passed"
  assert_contains "$(cat "$repo/target/rcd/logs/smoke.log")" "fixture-service 42" "smoke log"
  assert_eq "$sha" "$(tags_of "$REG/team/smoke")" "pushed after the smoke test"
  [ -z "$(podman images -q)" ] || fail "the smoke image was left in podman: $(podman images)"
  # Without an engine the smoke test is skipped, saying so.
  echo "// no engine" >>"$repo/src/main.rs"
  commit_all "$repo"
  RCD_CONTAINER_ENGINE=no-such-engine run_json "$WORK/doc" -C "$repo" release --only build || { cat "$WORK/err"; return 1; }
  assert_eq skipped "$(json "$WORK/doc" '.stages[] | select(.name == "smoke") | .status')" "skipped"
  assert_contains "$(cat "$WORK/err")" "smoke skipped: no container engine" "the note"
}

# --- 3. Documented workflows

test_image_push_moves_latest_only_after_the_checks_of_this_commit_passed() {
  local repo a b rc=0
  repo=$(make_image_repo latest-rule)
  a=$(git -C "$repo" rev-parse HEAD)
  # Nothing recorded for this commit: the image is pushed by its commit tag only.
  rcd -C "$repo" image --push 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq "$a" "$(tags_of "$REG/team/latest-rule")" "only the commit tag"
  assert_contains "$(cat "$WORK/err")" "'latest' stays where it is" "says why"
  # A run that skipped check stages does not count.
  echo "// b" >>"$repo/src/main.rs"
  commit_all "$repo"
  b=$(git -C "$repo" rev-parse HEAD)
  rcd -C "$repo" -q build --skip clippy 2>/dev/null || { echo "build failed"; return 1; }
  rcd -C "$repo" image --push 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_contains "$(tags_of "$REG/team/latest-rule")" "$b" "the commit tag after a partial run"
  assert_not_contains "$(tags_of "$REG/team/latest-rule")" "latest" "latest after a partial run"
  # Nor does a passing run of the commit before.
  rcd -C "$repo" -q build 2>/dev/null || { echo "build failed"; return 1; }
  echo "// c" >>"$repo/src/main.rs"
  commit_all "$repo"
  rcd -C "$repo" image --push 2>"$WORK/err" || rc=$?
  assert_eq 0 "$rc" "exit"
  assert_not_contains "$(tags_of "$REG/team/latest-rule")" "latest" "latest after another commit's build"
  # A passing run of this very commit lets latest move.
  echo "// d" >>"$repo/src/main.rs"
  commit_all "$repo"
  rcd -C "$repo" -q build 2>/dev/null || { echo "build failed"; return 1; }
  rcd -C "$repo" --json image --push >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq "$(json "$WORK/doc" .image.digest)" \
    "$(skopeo inspect --tls-verify=false "docker://$REG/team/latest-rule:latest" | jq -r .Digest)" "latest"
}

test_a_dirty_tree_lists_20_paths_and_collapses_untracked_directories() {
  local repo rc=0 i
  repo=$(make_release_repo collapse "$REG")
  mkdir -p "$repo/image/blobs"
  for i in $(seq 1 37); do echo "$i" >"$repo/image/blobs/$i"; done
  for i in $(seq 1 25); do echo "$i" >"$repo/note-$i.txt"; done
  rcd -C "$repo" release >"$WORK/out" 2>&1 || rc=$?
  assert_eq 3 "$rc" "exit code"
  assert_contains "$(cat "$WORK/out")" "image/ (37 files)" "the directory as one entry"
  assert_contains "$(cat "$WORK/out")" "and 6 more" "at most 20 listed"
  assert_not_contains "$(cat "$WORK/out")" "image/blobs/1" "a blob one by one"
}

# --- 4. Machine-readable output

test_json_is_one_line_per_run_with_schema_version_and_project() {
  local repo
  repo=$(make_release_repo jsonl "$REG")
  rcd -C "$repo" --json check --only fmt >>"$WORK/out.jsonl" 2>/dev/null
  rcd -C "$repo" --json chekc >>"$WORK/out.jsonl" 2>/dev/null || true
  rcd -C "$repo" --json check --onyl fmt >>"$WORK/out.jsonl" 2>/dev/null || true
  assert_eq 3 "$(wc -l <"$WORK/out.jsonl")" "one line per run"
  assert_eq 3 "$(jq -c . "$WORK/out.jsonl" | wc -l)" "each line is a document"
  assert_eq "2 2 2" "$(jq -r .schema "$WORK/out.jsonl" | xargs)" "schema"
  assert_eq "0.1.0" "$(head -1 "$WORK/out.jsonl" | jq -r .rcd_version)" "rcd_version"
  assert_eq fixture-service "$(head -1 "$WORK/out.jsonl" | jq -r .name)" "name"
  assert_eq "$repo" "$(head -1 "$WORK/out.jsonl" | jq -r .directory)" "directory"
  assert_eq "unknown command 'chekc'" "$(sed -n 2p "$WORK/out.jsonl" | jq -r .error.message)" "a mistyped command"
  assert_eq "did you mean '--only'?" "$(sed -n 3p "$WORK/out.jsonl" | jq -r .error.hint)" "a mistyped option"
}

test_release_hands_the_digest_to_the_next_job() {
  local repo ref
  repo=$(make_image_repo refs)
  : >"$WORK/github_output"
  CI=true GITHUB_ACTIONS=true GITHUB_OUTPUT="$WORK/github_output" \
    rcd -C "$repo" --json release --only build --dotenv "$WORK/build.env" --image-refs "$WORK/image-refs.txt" \
    >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  ref=$(json "$WORK/doc" .image.reference)
  assert_eq "$ref" "$(cat "$WORK/image-refs.txt")" "--image-refs"
  assert_contains "$(cat "$WORK/build.env")" "RCD_IMAGE=$ref" "--dotenv"
  assert_contains "$(cat "$WORK/build.env")" "RCD_IMAGE_DIGEST=$(json "$WORK/doc" .image.digest)" "--dotenv digest"
  assert_contains "$(cat "$WORK/github_output")" "image=$ref" "GITHUB_OUTPUT image"
  assert_contains "$(cat "$WORK/github_output")" "digest=$(json "$WORK/doc" .image.digest)" "GITHUB_OUTPUT digest"
  skopeo inspect --tls-verify=false "docker://$ref" >/dev/null || fail "the reference does not resolve"
}

test_github_annotations_once_per_diagnostic_and_at_a_failing_test() {
  local repo rc=0
  repo=$(make_repo service annotate)
  # A warning clippy reports for the lib and the lib-test build, and a failing test.
  sed -i 's/pub fn add(a: u32, b: u32) -> u32 {/pub fn add(a: u32, b: u32) -> u32 {\n    let unused = 1;/' "$repo/src/lib.rs"
  sed -i 's/assert_eq!(super::add(1, 1), 2);/assert_eq!(super::add(1, 1), 3);/' "$repo/src/lib.rs"
  commit_all "$repo"
  : >"$WORK/summary"
  CI=true GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$WORK/summary" \
    rcd -C "$repo" check --keep-going --skip fmt >"$WORK/out" 2>&1 || rc=$?
  assert_eq 1 "$rc" "exit code"
  assert_eq 1 "$(grep -c '^::warning file=src/lib.rs,line=.*unused' "$WORK/out")" "one annotation for the warning"
  grep -q '^::error file=src/lib.rs,line=[0-9]*,col=[0-9]*,title=test tests%3A%3A.* panicked::assertion' "$WORK/out" ||
    fail "no annotation at the failing test: $(grep '^::' "$WORK/out")"
  assert_contains "$(cat "$WORK/summary")" '`target/rcd/logs/test.log`' "logs named from the repository"
  assert_not_contains "$(cat "$WORK/summary")" "$repo" "the runner's disk"
}

# --- 5. Fail in seconds

test_a_release_fails_in_seconds_when_the_registry_cannot_take_the_push() {
  local repo rc=0 start port
  port=$(free_port)
  repo=$(make_release_repo fastdown "127.0.0.1:$port")
  start=$(date +%s%N)
  rcd -C "$repo" release >"$WORK/out" 2>&1 || rc=$?
  assert_eq 4 "$rc" "registry down"
  [ $((($(date +%s%N) - start) / 1000000)) -lt 10000 ] || fail "took more than 10 s"
  # No stage log: only rcd's own, which says why it stopped.
  assert_eq "rcd.log" "$(ls "$repo/target/rcd/logs")" "stages ran before the registry was checked"
  grep -q "registry 127.0.0.1:$port: GET /v2/" "$repo/target/rcd/logs/rcd.log" ||
    fail "the log does not show the request: $(cat "$repo/target/rcd/logs/rcd.log")"
  rc=0
  start=$(date +%s%N)
  rcd -C "$repo" release --registry no-such-host.invalid/team >"$WORK/out" 2>&1 || rc=$?
  assert_eq 4 "$rc" "an unknown host"
  assert_not_contains "$(cat "$WORK/out")" "attempts" "a DNS failure is not retried"
  [ $((($(date +%s%N) - start) / 1000000)) -lt 5000 ] || fail "a DNS failure took more than 5 s"
}

test_credentials_without_push_access_fail_before_the_build() {
  local reg repo rc=0
  start_token_registry readonly writer writer-pw reader reader-pw
  reg=$REGISTRY_ADDR
  repo=$(make_release_repo readonly "$reg")
  # The containers' auth file, as podman login writes it.
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$reg" "$(printf reader:reader-pw | base64)" >"$WORK/auth.json"
  REGISTRY_AUTH_FILE="$WORK/auth.json" rcd -C "$repo" release >"$WORK/out" 2>&1 || rc=$?
  assert_eq 4 "$rc" "exit code"
  assert_contains "$(cat "$WORK/out")" "cannot push to team/fixture-service" "message"
  assert_contains "$(cat "$WORK/out")" "containers auth file $WORK/auth.json" "names where the credentials came from"
  assert_eq "rcd.log" "$(ls "$repo/target/rcd/logs")" "stages ran before the credentials were checked"
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$reg" "$(printf writer:writer-pw | base64)" >"$WORK/auth.json"
  REGISTRY_AUTH_FILE="$WORK/auth.json" rcd -C "$repo" -v release --only build >"$WORK/out" 2>&1 ||
    { cat "$WORK/out"; fail "the writer's credentials were refused"; }
  # The log and -v show every request and token fetch, and never a password or a token.
  local log="$repo/target/rcd/logs/rcd.log"
  grep -q "token for 'repository:team/fixture-service:pull,push'" "$log" || fail "no token request in the log"
  grep -q "credentials of 'writer' from containers auth file" "$log" || fail "no credentials line in the log"
  for where in "$log" "$WORK/out"; do
    assert_not_contains "$(cat "$where")" "writer-pw" "a password in $where"
    assert_not_contains "$(cat "$where")" "reader-pw" "a password in $where"
    assert_not_contains "$(cat "$where")" "$(printf writer:writer-pw | base64)" "an auth entry in $where"
    assert_not_contains "$(cat "$where")" "eyJ" "a token (a JWT) in $where"
  done
}

# --- 6. Where the cache lives

test_nothing_to_cache_means_no_warning_and_no_pushed_cache() {
  local repo
  repo=$(make_image_repo nocache)
  : >"$WORK/summary"
  CI=true GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$WORK/summary" \
    rcd -C "$repo" --json release --only build >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_not_contains "$(cat "$WORK/err")" "was not pushed" "a warning about the cache"
  assert_eq false "$(json "$WORK/doc" .cache.pushed)" "cache.pushed"
  assert_not_contains "$(cat "$WORK/summary")" "(pushed)" "the step summary"
}

# --- 7. Small things

test_help_lists_global_options_without_parser_artefacts() {
  rcd check --help >"$WORK/help"
  assert_contains "$(cat "$WORK/help")" "Global options:" "global options"
  assert_contains "$(cat "$WORK/help")" "--json" "a global option"
  rcd release --help >>"$WORK/help"
  rcd plan --help >"$WORK/plan-help"
  cat "$WORK/plan-help" >>"$WORK/help"
  for artefact in "FILE:FILE" "INT:INT" ":{" "TEXT"; do
    assert_not_contains "$(cat "$WORK/help")" "$artefact" "parser artefact $artefact"
  done
  for meaningless in --keep-going --jobs --no-wait --junit --force; do
    assert_not_contains "$(cat "$WORK/plan-help")" "$meaningless" "plan --help"
  done
}

test_mistyped_flags_and_stages_get_only_their_error() {
  local repo rc=0
  repo=$(make_release_repo typo "$REG")
  rcd -C "$repo" release --no-latset >"$WORK/out" 2>&1 || rc=$?
  assert_eq 2 "$rc" "exit code"
  assert_eq "rcd: error: rcd release: unknown option '--no-latset'
  hint: did you mean '--no-latest'?" "$(cat "$WORK/out")" "a mistyped flag"
  rc=0
  rcd -C "$repo" check --only fmtt >"$WORK/out" 2>&1 || rc=$?
  assert_eq 2 "$rc" "exit code"
  assert_eq "rcd: error: --only: no stage named 'fmtt'" "$(head -1 "$WORK/out")" "only the error"
  assert_eq 2 "$(wc -l <"$WORK/out")" "two lines"
}

test_color_choice_reaches_the_stages() {
  local repo
  repo=$(make_repo service colour)
  CARGO_TERM_COLOR=always rcd -C "$repo" --color never check --only clippy >"$WORK/out" 2>&1
  assert_not_contains "$(cat "$WORK/out")" $'\e[' "colour with --color never"
  rm -rf "$repo/target"
  rcd -C "$repo" --color always check --only clippy >"$WORK/out" 2>&1
  assert_contains "$(grep Checking "$WORK/out")" $'\e[' "cargo's colour with --color always"
  rm -rf "$repo/target"
  CARGO_TERM_COLOR=always CI=true rcd -C "$repo" check --only clippy >"$WORK/out" 2>&1
  assert_not_contains "$(cat "$WORK/out")" $'\e[' "colour in CI mode"
}

run_test test_dynamic_binary_on_scratch_exits_2_before_anything_is_pushed
run_test test_init_warns_that_a_dynamic_binary_cannot_start_on_scratch
run_test test_a_base_with_glibc_starts_the_binary_and_its_file_list_is_cached
run_test test_scratch_images_run_as_nonroot_with_a_user_database_and_root_on_request
run_test test_smoke_runs_the_image_before_any_tag_moves
run_test test_image_push_moves_latest_only_after_the_checks_of_this_commit_passed
run_test test_a_dirty_tree_lists_20_paths_and_collapses_untracked_directories
run_test test_json_is_one_line_per_run_with_schema_version_and_project
run_test test_release_hands_the_digest_to_the_next_job
run_test test_github_annotations_once_per_diagnostic_and_at_a_failing_test
run_test test_a_release_fails_in_seconds_when_the_registry_cannot_take_the_push
run_test test_credentials_without_push_access_fail_before_the_build
run_test test_nothing_to_cache_means_no_warning_and_no_pushed_cache
run_test test_help_lists_global_options_without_parser_artefacts
run_test test_mistyped_flags_and_stages_get_only_their_error
run_test test_color_choice_reaches_the_stages
finish
