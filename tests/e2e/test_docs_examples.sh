#!/usr/bin/env bash
# Every example of README.md and docs/ runs as written: the command blocks against a real
# registry, the CI files' steps that install and run rcd, the bash loop over repositories, and
# the configuration files. Only the registry's address (and where an install goes) is
# substituted. At the end, an example no test ran fails the suite.
source "$(dirname "$0")/lib.sh"
start_registry docs
REG=$REGISTRY_ADDR
DOCS=("/usr/bin/python3" "$(cd "$(dirname "$0")" && pwd)/doc_examples.py")
export GIT_AUTHOR_NAME=rcd GIT_AUTHOR_EMAIL=rcd@test GIT_COMMITTER_NAME=rcd GIT_COMMITTER_EMAIL=rcd@test

example() { "${DOCS[@]}" block "$1"; echo "$1" >>"$WORK/ran"; }
ci_steps() { local id=$1; shift; "${DOCS[@]}" steps "$id" "$@"; echo "$id" >>"$WORK/ran"; }

# The example service as a user's repository, committed with RCD_YAML as its rcd.yaml, or
# without one.
make_service() { # DIR [RCD_YAML]
  mkdir -p "$(dirname "$1")"
  cp -r "$RCD_SOURCE_DIR/examples/hello-api" "$1"
  rm -rf "$1/target" "$1/rcd.yaml"
  [ $# -lt 2 ] || printf '%s' "$2" >"$1/rcd.yaml"
  git -C "$1" init -q -b main
  git -C "$1" add -A
  git -C "$1" commit -q -m "hello-api"
}

# The bundle of scripts/bundle.sh, served over HTTP as a CI job downloads it.
serve_bundle() {
  local port
  BUNDLE=$("$RCD_SOURCE_DIR/scripts/bundle.sh" --binary "$RCD_BIN" --out "$WORK/dist" 2>/dev/null)
  port=$(free_port)
  track_service /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$WORK/dist" "$port" \
    >/dev/null 2>&1
  wait_for_port "$port"
  BUNDLE_URL="http://127.0.0.1:$port/$(basename "$BUNDLE")"
}
serve_bundle

# A CI file's steps, with the install going to PREFIX instead of /usr/local.
run_ci_steps() { # PREFIX SCRIPT
  sed -e "s|/usr/local|$1|g" -e 's|sudo ||g' "$2" >"$2.local"
  mkdir -p "$1"
  PATH="$1/bin:$PATH" bash "$2.local"
}

test_readme_demo_releases_the_example() {
  local out rc=0
  # The suite's own rcd: the demo's Release build of the same sources would add minutes.
  out=$(cd "$RCD_SOURCE_DIR" && RCD_DEMO_BIN="$RCD_BIN" RCD_DEMO_PORT=$(free_port) \
    bash -c "$(example readme-demo)" 2>&1) || rc=$?
  assert_eq 0 "$rc" "scripts/demo.sh" || { echo "$out" | tail -30; return 1; }
  assert_contains "$out" "rcd: pushed 127.0.0.1:" "the pushed reference"
  assert_contains "$out" '"tags":[' "the registry's tag list"
}

test_readme_test_command_is_what_ci_runs() {
  # The suite itself is running: CI's .ci/run calls the README's command.
  assert_contains "$(cat "$RCD_SOURCE_DIR/.ci/run")" "exec $(example readme-test)" ".ci/run"
}

test_readme_install_unpacks_a_working_rcd() {
  local command
  command=$(example readme-install)
  assert_contains "$command" "$(basename "$BUNDLE")" "the README names the bundle this version makes"
  mkdir -p "$WORK/prefix"
  (cd "$WORK/dist" && bash -c "${command//\/usr\/local/$WORK/prefix}")
  assert_contains "$("$WORK/prefix/bin/rcd" version)" "rcd 0.1.0" "the installed rcd"
}

test_readme_usage_runs_in_order() {
  local dir="$WORK/usage" sha
  make_service "$dir"
  example readme-usage | sed "s|127.0.0.1:5000|$REG|g" >"$WORK/usage.sh"
  (cd "$dir" && PATH="$(dirname "$RCD_BIN"):$PATH" bash -e "$WORK/usage.sh") >"$WORK/usage.out" 2>&1 ||
    { tail -30 "$WORK/usage.out"; return 1; }
  sha=$(git -C "$dir" rev-parse HEAD)
  assert_eq "$REG/team" "$(sed -n 's/^registry: //p' "$dir/rcd.yaml")" "rcd init --registry"
  assert_eq "$(skopeo inspect --tls-verify=false "docker://$REG/team/hello-api:$sha" | jq -r .Digest)" \
    "$(skopeo inspect --tls-verify=false "docker://$REG/team/hello-api:v1.2.0" | jq -r .Digest)" "--tag on a released commit"
  [ -f "$dir/target/rcd/image/index.json" ] || fail "rcd image --output oci:target/rcd/image"
  assert_eq 1 "$(wc -l <"$dir/target/rcd/check.json")" "check --json: one line"
  assert_eq true "$(jq -r .ok "$dir/target/rcd/check.json")" "check --json"
  git -C "$dir" diff --quiet HEAD && [ -z "$(git -C "$dir" status --porcelain)" ] ||
    fail "the examples left the work tree dirty: $(git -C "$dir" status --porcelain)"
}

test_readme_loop_appends_json_lines() {
  local r
  for r in a b; do
    make_service "$WORK/loop/repos/$r" \
      "$(printf 'name: loop-%s\nlanguage: rust\nbinary: hello-api\nregistry: %s/fleet\n' "$r" "$REG")"
  done
  (cd "$WORK/loop" && PATH="$(dirname "$RCD_BIN"):$PATH" bash -c "$(example readme-loop)") >"$WORK/loop.out" 2>"$WORK/loop.err" ||
    { cat "$WORK/loop.err"; return 1; }
  assert_eq 2 "$(wc -l <"$WORK/loop/out.jsonl")" "one line per repository"
  assert_contains "$(cat "$WORK/loop.out")" "loop-a	0	$REG/fleet/loop-a@sha256:" "the table"
  assert_contains "$(cat "$WORK/loop.out")" "loop-b	0	$REG/fleet/loop-b@sha256:" "the table"
}

test_ci_github_workflow_steps() {
  local dir="$WORK/gh"
  make_service "$dir" $'name: hello-api\nlanguage: rust\n'
  ci_steps ci-github "vars.RCD_DOWNLOAD_URL=$BUNDLE_URL" github.repository_owner=Example-Org \
    github.actor=ci secrets.GITHUB_TOKEN=token | sed "s|ghcr.io|$REG|g" >"$WORK/gh.sh"
  : >"$WORK/gh-output"
  (cd "$dir" && CI=true GITHUB_ACTIONS=true GITHUB_OUTPUT="$WORK/gh-output" GITHUB_STEP_SUMMARY="$WORK/gh-summary" \
    run_ci_steps "$WORK/gh-prefix" "$WORK/gh.sh") >"$WORK/gh.out" 2>&1 || { tail -30 "$WORK/gh.out"; return 1; }
  [ -x "$WORK/gh-prefix/bin/rcd" ] || fail "the install step installed nothing"
  assert_contains "$(cat "$WORK/gh-output")" "image=$REG/example-org/hello-api@sha256:" "the step's output"
  assert_contains "$(cat "$dir/target/rcd/junit.xml")" "<testsuites" "--junit"
  assert_contains "$(cat "$WORK/gh-summary")" "### rcd release: passed" "the step summary"
}

test_ci_gitlab_pipeline_jobs() {
  local dir="$WORK/gl"
  make_service "$dir" $'name: hello-api\nlanguage: rust\n'
  ci_steps ci-gitlab "CI_REGISTRY_IMAGE=$REG/group/project" CI_REGISTRY_USER=ci CI_REGISTRY_PASSWORD=token >"$WORK/gl.sh"
  (cd "$dir" && CI=true GITLAB_CI=true CI_COMMIT_BRANCH=main CI_DEFAULT_BRANCH=main \
    RCD_DOWNLOAD_URL="$BUNDLE_URL" run_ci_steps "$WORK/gl-prefix" "$WORK/gl.sh") >"$WORK/gl.out" 2>&1 ||
    { tail -30 "$WORK/gl.out"; return 1; }
  assert_contains "$(cat "$dir/release.env")" "RCD_IMAGE=$REG/group/project/hello-api@sha256:" "the dotenv report"
  assert_contains "$(cat "$WORK/gl.out")" "deploying $REG/group/project/hello-api@sha256:" "the deploy job sees it"
  assert_contains "$(cat "$WORK/gl.out")" "section_start:" "GitLab sections"
}

test_ci_codebuild_buildspec() {
  local dir="$WORK/cb"
  make_service "$dir" $'name: hello-api\nlanguage: rust\n'
  ci_steps ci-codebuild | sed "s|123456789012.dkr.ecr.eu-west-1.amazonaws.com|$REG|g" >"$WORK/cb.sh"
  (cd "$dir" && RCD_DOWNLOAD_URL="$BUNDLE_URL" run_ci_steps "$WORK/cb-prefix" "$WORK/cb.sh") >"$WORK/cb.out" 2>&1 ||
    { tail -30 "$WORK/cb.out"; return 1; }
  assert_contains "$(cat "$dir/image.txt")" "$REG/team/hello-api@sha256:" "--image-refs"
  skopeo inspect --tls-verify=false "docker://$(cat "$dir/image.txt")" >/dev/null || fail "image.txt does not resolve"
}

test_ci_loop_releases_repositories_with_and_without_rcd_yaml() {
  local r
  mkdir -p "$WORK/fleet"
  make_service "$WORK/fleet-src/no-config"
  make_service "$WORK/fleet-src/configured" $'name: configured\nlanguage: rust\nbinary: hello-api\n'
  for r in no-config configured; do
    git clone -q --bare "$WORK/fleet-src/$r" "$WORK/fleet-remotes/$r.git"
    echo "file://$WORK/fleet-remotes/$r.git" >>"$WORK/fleet/repos.txt"
  done
  example ci-loop >"$WORK/fleet/release-all.sh"
  (cd "$WORK/fleet" && RCD_REGISTRY="$REG/services" PATH="$(dirname "$RCD_BIN"):$PATH" bash release-all.sh) \
    >"$WORK/fleet.out" 2>&1 || { cat "$WORK/fleet.out"; return 1; }
  assert_contains "$(cat "$WORK/fleet.out")" "hello-api" "the repository rcd init configured"
  assert_eq 2 "$(grep -c " 0      $REG/services/.*@sha256:" "$WORK/fleet.out")" "both released"
}

test_pipeline_docs_configuration_loads() {
  local dir="$WORK/conf"
  make_service "$dir"
  example pipeline-rcd-yaml | sed "s|127.0.0.1:5000|$REG|g" >"$dir/rcd.yaml"
  mkdir -p "$dir/config" && echo "level = 1" >"$dir/config/app.toml"
  git -C "$dir" add -A && git -C "$dir" commit -q -m config
  rcd -C "$dir" --json plan >"$WORK/plan" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_contains "$(json "$WORK/plan" '[.plan.stages[].name] | join(" ")')" "audit" "the added stage"
  assert_eq skip "$(json "$WORK/plan" '.plan.stages[] | select(.name == "doctest") | .status')" "doctest: skip"
  # bench: turned on by rcd.yaml, skipped for want of a bench target
  assert_contains "$(json "$WORK/plan" '.plan.stages[] | select(.name == "bench") | .reason')" \
    "no bench target" "bench: no benches in the example"
  mkdir -p "$WORK/pipes"
  example pipeline-file >"$WORK/pipes/rust.yaml"
  assert_eq "$(cat "$WORK/pipes/rust.yaml")" "$(rcd --pipelines "$WORK/pipes" pipelines show rust)" "the pipeline file"
  make_service "$WORK/conf2" $'name: hello-api\nlanguage: rust\n'
  rcd -C "$WORK/conf2" --pipelines "$WORK/pipes" --json plan --no-cache >"$WORK/plan" 2>"$WORK/err" ||
    { cat "$WORK/err"; return 1; }
  assert_eq "clippy" "$(json "$WORK/plan" '[.plan.stages[].name] | join(" ")')" "its stages"
}

test_deploy_docs_release_resolve_and_fetch_the_sbom() {
  local dir="$WORK/deploy" digest
  make_service "$dir" "$(printf 'name: hello-api\nlanguage: rust\nregistry: %s/team\n' "$REG")"
  mkdir -p "$dir/deploy"
  example deploy-k8s >"$dir/deploy/k8s.yaml"
  example deploy-tfvars >"$dir/image.tfvars.json.in"
  example deploy-terraform >"$dir/main.tf"
  git -C "$dir" add -A && git -C "$dir" commit -q -m deploy
  (cd "$dir" && PATH="$(dirname "$RCD_BIN"):$PATH" bash -e -c "$(example deploy-k8s-resolve)") \
    >"$WORK/deploy.out" 2>&1 || { tail -30 "$WORK/deploy.out"; return 1; }
  digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/team/hello-api:$(git -C "$dir" rev-parse HEAD)")
  assert_contains "$(cat "$dir/k8s.resolved.yaml")" "image: $REG/team/hello-api@$digest" "the resolved Deployment"
  assert_contains "$(cat "$dir/k8s.resolved.yaml")" "kind: Service" "the Service, kept"
  (cd "$dir" && PATH="$(dirname "$RCD_BIN"):$PATH" bash -e -c "$(example deploy-terraform-resolve)") \
    >"$WORK/deploy.out" 2>&1 || { tail -30 "$WORK/deploy.out"; return 1; }
  assert_eq "{\"image\": \"$REG/team/hello-api@$digest\"}" "$(cat "$dir/image.auto.tfvars.json")" "the tfvars"
  assert_contains "$(cat "$dir/main.tf")" "image = var.image" "the Terraform example takes the variable"
  (cd "$dir" && bash -e -c "$(example deploy-fetch | sed "s|127.0.0.1:5000|$REG|g")") >"$WORK/fetch.out" 2>&1 ||
    { tail -30 "$WORK/fetch.out"; return 1; }
  assert_contains "$(cat "$WORK/fetch.out")" "hello-api 0.1.0" "the SBOM's packages"
}

test_ci_fleet_examples_release_check_matrix_and_summary() {
  local dir="$WORK/fd" r
  for r in svc-a svc-b; do
    make_service "$dir/services/$r" "$(printf 'name: %s\nlanguage: rust\nbinary: hello-api\n' "$r")"
  done
  printf 'services/svc-a\nservices/svc-b\n' >"$dir/repos.txt"
  (cd "$dir" && RCD_REGISTRY="$REG/fleetdocs" PATH="$(dirname "$RCD_BIN"):$PATH" bash -e -c "$(example ci-fleet)") \
    >"$WORK/fd.out" 2>&1 || { tail -30 "$WORK/fd.out"; return 1; }
  assert_contains "$(cat "$WORK/fd.out")" "2 repositories: 2 passed, 0 failed" "the fleet's table"
  assert_eq "3 0" "$(wc -l <"$dir/fleet.jsonl") $(tail -1 "$dir/fleet.jsonl" | jq -r .exit_code)" "fleet --json lines"

  # GitHub: the plan job's matrix, one release job (svc-a's), the summary job.
  ci_steps ci-fleet-github "vars.RCD_DOWNLOAD_URL=$BUNDLE_URL" matrix.path=services/svc-a matrix.url= \
    matrix.name=svc-a github.repository_owner=fleetdocs github.actor=ci secrets.GITHUB_TOKEN=token |
    sed "s|ghcr.io|$REG|g" >"$WORK/fd-gh.sh"
  : >"$WORK/fd-output"
  (cd "$dir" && CI=true GITHUB_ACTIONS=true GITHUB_OUTPUT="$WORK/fd-output" GITHUB_STEP_SUMMARY="$WORK/fd-summary" \
    run_ci_steps "$WORK/fd-prefix" "$WORK/fd-gh.sh") >"$WORK/fd-gh.out" 2>&1 || { tail -30 "$WORK/fd-gh.out"; return 1; }
  assert_eq "svc-a svc-b" "$(sed -n 's/^matrix=//p' "$WORK/fd-output" | jq -r '[.include[].name] | join(" ")')" "the matrix output"
  assert_eq 0 "$(jq -r .exit_code "$dir/svc-a.json")" "the release job's JSON line"
  assert_contains "$(cat "$WORK/fd-summary")" "1 repositories: 1 passed, 0 failed" "the step summary's table"

  # GitLab: the plan job writes the child pipeline; its jobs run as written.
  ci_steps ci-fleet-gitlab >"$WORK/fd-gl.sh"
  (cd "$dir" && PATH="$(dirname "$RCD_BIN"):$PATH" bash -e "$WORK/fd-gl.sh") >"$WORK/fd-gl.out" 2>&1 ||
    { tail -30 "$WORK/fd-gl.out"; return 1; }
  /usr/bin/python3 -c '
import shlex, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for entry in doc["rcd-release"]["parallel"]["matrix"]:
    env = "".join(f"export {k}={shlex.quote(v)}; " for k, v in entry.items())
    print("(" + env + "; ".join(doc["rcd-release"]["script"]) + ")")
print("; ".join(doc["rcd-summary"]["script"]))' "$dir/fleet.yml" >"$WORK/fd-child.sh"
  rm -f "$dir"/svc-*.json
  (cd "$dir" && RCD_REGISTRY="$REG/fleetdocs" PATH="$(dirname "$RCD_BIN"):$PATH" bash -e "$WORK/fd-child.sh") \
    >"$WORK/fd-child.out" 2>&1 || { tail -30 "$WORK/fd-child.out"; return 1; }
  assert_contains "$(cat "$WORK/fd-child.out")" "2 repositories: 2 passed, 0 failed" "the child pipeline's summary"
}

test_language_docs_go_and_generic_examples_run() {
  local dir="$WORK/doc-go" c="$WORK/doc-c"
  cp -r "$FIXTURES/go-service" "$dir"
  example go-rcd-yaml >"$dir/rcd.yaml"
  git -C "$dir" init -q -b main && git -C "$dir" add -A && git -C "$dir" commit -q -m go
  rcd -C "$dir" --json plan >"$WORK/plan" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq "fmt vet test build" "$(json "$WORK/plan" '[.plan.stages[].name] | join(" ")')" "the go pipeline's stages"
  # The generic example is examples/hello-c's own rcd.yaml, and it builds and tests.
  cp -r "$RCD_SOURCE_DIR/examples/hello-c" "$c"
  rm -rf "$c/build" "$c/target"
  example generic-cmake >"$WORK/generic.yaml"
  cmp -s "$WORK/generic.yaml" "$c/rcd.yaml" || fail "docs/languages.md's example is not examples/hello-c/rcd.yaml"
  git -C "$c" init -q -b main && git -C "$c" add -A && git -C "$c" commit -q -m c
  rcd -C "$c" --json check >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq "configure:passed build:passed test:passed" \
    "$(json "$WORK/doc" '[.stages[] | "\(.name):\(.status)"] | join(" ")')" "the C stages"
  assert_eq "build" "$(json "$WORK/doc" '.cache.profiles[0].name')" "the build stage's cache"
}

test_every_example_was_run() {
  local id missing=()
  while read -r id; do
    grep -qx "$id" "$WORK/ran" || missing+=("$id")
  done < <("${DOCS[@]}" ids)
  [ ${#missing[@]} -eq 0 ] || fail "examples no test ran: ${missing[*]}"
}

run_test test_readme_demo_releases_the_example
run_test test_readme_test_command_is_what_ci_runs
run_test test_readme_install_unpacks_a_working_rcd
run_test test_readme_usage_runs_in_order
run_test test_readme_loop_appends_json_lines
run_test test_ci_github_workflow_steps
run_test test_ci_gitlab_pipeline_jobs
run_test test_ci_codebuild_buildspec
run_test test_ci_loop_releases_repositories_with_and_without_rcd_yaml
run_test test_pipeline_docs_configuration_loads
run_test test_deploy_docs_release_resolve_and_fetch_the_sbom
run_test test_ci_fleet_examples_release_check_matrix_and_summary
run_test test_language_docs_go_and_generic_examples_run
run_test test_every_example_was_run
finish
