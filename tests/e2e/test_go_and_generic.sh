#!/usr/bin/env bash
# The go and generic pipelines: rcd init, pipelines and doctor on a Go module; a fleet that
# releases a Go service and a C/CMake one (language: generic) through a real registry, their
# images read back by skopeo and run (podman, chroot); fresh clones restoring each language's
# cache from the registry; go test's failures as annotations and JUnit; generic's mistakes.
source "$(dirname "$0")/lib.sh"
start_registry langs
REG=$REGISTRY_ADDR

# lang_repo SOURCE NAME: a committed copy of SOURCE in $WORK/langs/NAME pushing to REG/team.
lang_repo() {
  local dir="$WORK/langs/$2"
  mkdir -p "$WORK/langs"
  cp -r "$1" "$dir"
  rm -rf "$dir/target" "$dir/build"
  printf 'registry: %s/team\n' "$REG" >>"$dir/rcd.yaml"
  git -C "$dir" init -q -b main
  git -C "$dir" add -A
  git -C "$dir" -c user.name=rcd -c user.email=rcd@test commit -q -m initial
  echo "$dir"
}

test_init_pipelines_and_doctor_know_go() {
  local dir="$WORK/init-go" rc=0
  cp -r "$FIXTURES/go-service" "$dir"
  rm "$dir/rcd.yaml"
  rcd -C "$dir" init >/dev/null 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq $'name: hello-go\nlanguage: go' "$(cat "$dir/rcd.yaml")" "rcd init's rcd.yaml"
  rcd pipelines >"$WORK/out"
  for language in generic go rust; do
    assert_contains "$(cat "$WORK/out")" "$language" "rcd pipelines lists $language"
  done
  assert_contains "$(rcd pipelines show go)" "gofmt -l" "the go pipeline's fmt stage"
  rcd -C "$dir" doctor >"$WORK/out" 2>&1 || rc=$? # no registry, no git: those fail
  assert_contains "$(grep -E '^ok +go ' "$WORK/out")" "go version go1." "doctor checks the Go toolchain"
  assert_contains "$(grep -E '^ok +config ' "$WORK/out")" "go pipeline, 4 stages" "doctor reads the go pipeline"
  assert_not_contains "$(cat "$WORK/out")" "cargo" "no Rust tool is asked for"
}

test_a_fleet_releases_go_and_c_services_and_fresh_clones_restore_their_caches() {
  local go c rc=0 podman=0 sha
  go=$(lang_repo "$FIXTURES/go-service" hello-go)
  c=$(lang_repo "$RCD_SOURCE_DIR/examples/hello-c" hello-c)
  if use_podman; then
    podman=1
    printf 'image: {smoke: [--version]}\n' >>"$go/rcd.yaml"
    commit_all "$go"
  else
    echo "    (podman cannot run a container here: the Go image's smoke test is not asked for)"
  fi
  sha=$(git -C "$go" rev-parse HEAD)
  printf 'hello-go\nhello-c\n' >"$WORK/langs/repos.txt"
  (cd "$WORK/langs" && rcd --json fleet release -j 2 --list repos.txt) >"$WORK/lines" 2>"$WORK/err" || rc=$?
  assert_eq 0 "$rc" "the fleet's exit code" || { cat "$WORK/err"; return 1; }
  line() { jq -c --arg r "$WORK/langs/$1" 'select(.repository == $r)' "$WORK/lines"; }
  line hello-go >"$WORK/go.json"
  line hello-c >"$WORK/c.json"
  assert_eq "fmt:passed vet:passed test:passed build:passed" \
    "$(jq -r '[.stages[] | select(.name != "smoke") | "\(.name):\(.status)"] | join(" ")' "$WORK/go.json")" "the go stages"
  assert_eq "configure:passed build:passed test:passed" \
    "$(jq -r '[.stages[] | "\(.name):\(.status)"] | join(" ")' "$WORK/c.json")" "the generic stages, as rcd.yaml declares them"
  assert_eq "go:miss true" "$(jq -r '"\(.cache.profiles[0].name):\(.cache.profiles[0].status) \(.cache.pushed)"' "$WORK/go.json")" \
    "the Go cache: filled by the stages, saved and pushed"
  assert_eq "build:miss true" "$(jq -r '"\(.cache.profiles[0].name):\(.cache.profiles[0].status) \(.cache.pushed)"' "$WORK/c.json")" \
    "the C stage's ccache: saved and pushed"
  assert_eq "$sha latest" "$(jq -r '.image.tags | join(" ")' "$WORK/go.json")" "the Go image's tags"
  skopeo inspect --tls-verify=false "docker://$REG/team/hello-go:$sha" >"$WORK/inspect"
  assert_eq "linux amd64" "$(jq -r '"\(.Os) \(.Architecture)"' "$WORK/inspect")" "the platform from go env"
  assert_eq "$sha" "$(jq -r '.Labels["org.opencontainers.image.revision"]' "$WORK/inspect")" "revision label"

  # The Go image runs: under podman (its smoke test before the tags, and pulled again here).
  if [ "$podman" = 1 ]; then
    assert_eq passed "$(jq -r '.stages[] | select(.name == "smoke") | .status' "$WORK/go.json")" "smoke test"
    assert_eq "hello-go 0.1.0" "$(podman run --rm --tls-verify=false "$REG/team/hello-go:latest" --version 2>/dev/null)" \
      "the pulled image runs under podman"
    podman rmi -a -f >/dev/null 2>&1 || true
  fi
  # The C image holds the one static file image.binary names.
  skopeo copy -q --src-tls-verify=false "docker://$REG/team/hello-c:latest" "oci:$WORK/c-oci:latest"
  umoci unpack --image "$WORK/c-oci:latest" "$WORK/c-bundle" >/dev/null 2>&1 || fail "umoci unpack failed"
  assert_eq "hello-c 1.0" "$(chroot "$WORK/c-bundle/rootfs" /usr/local/bin/hello-c --version)" "the C binary in its image"

  # The SBOM lists Go modules by their golang purl.
  rcd -C "$go" sbom >"$WORK/sbom.json"
  assert_eq "pkg:golang/example.com/hello-go" \
    "$(jq -r '.packages[0].externalRefs[0].referenceLocator' "$WORK/sbom.json")" "the main module's purl"

  # A fresh clone on a fresh machine: each cache comes from the registry, and the stages
  # rebuild nothing. --junit reads go test's events.
  git clone -q "$go" "$WORK/fresh-go"
  git clone -q "$c" "$WORK/fresh-c"
  export RCD_CACHE_DIR="$WORK/fresh-machine"
  rcd -C "$WORK/fresh-go" --json plan >"$WORK/plan.json"
  assert_eq "hit-registry" "$(jq -r '.cache.profiles[0].status' "$WORK/plan.json")" "plan: the Go cache is in the registry"
  # build: the same stages as the release, so the same key (check's has no CGO_ENABLED=0 build).
  rcd -C "$WORK/fresh-go" --json build --junit "$WORK/junit.xml" >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq "hit-registry" "$(jq -r '.cache.profiles[0].status' "$WORK/doc")" "build restored the Go cache"
  assert_contains "$(cat "$WORK/junit.xml")" 'name="TestHello"' "JUnit from go test -json"
  assert_contains "$(cat "$WORK/junit.xml")" 'example.com/hello-go/internal/greet' "one suite per package"
  xmllint --noout "$WORK/junit.xml" || fail "the JUnit file is not XML"
  # Nothing compiled again: vet and build found every package in the restored GOCACHE (cold,
  # each compiles the standard library: about 20 s here).
  for stage in vet build; do
    [ "$(jq -r --arg s $stage '.stages[] | select(.name == $s) | .duration_ms' "$WORK/doc")" -lt 8000 ] ||
      fail "$stage took $(jq -r --arg s $stage '.stages[] | select(.name == $s) | .duration_ms' "$WORK/doc") ms after a restore"
  done
  # check builds for fewer platforms: its own key, restored from the release's as a partial.
  rcd -C "$WORK/fresh-go" --json check >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq "partial" "$(jq -r '.cache.profiles[0].status' "$WORK/doc")" "check's key differs from the release's"
  rcd -C "$WORK/fresh-c" --json check >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq "build:hit-registry" "$(jq -r '"\(.cache.profiles[0].name):\(.cache.profiles[0].status)"' "$WORK/doc")" \
    "check restored the C stage's cache"
  [ "$(find "$WORK/fresh-c/target/ccache" -type f -name '*R' | wc -l)" -ge 2 ] ||
    fail "ccache's results are not back: $(find "$WORK/fresh-c/target/ccache" -type f)"
  assert_eq "" "$(git -C "$WORK/fresh-go" status --porcelain)" "target/ is ignored: the clone stays clean"
}

test_go_failures_are_reported_like_rust_ones() {
  local go rc=0
  go=$(lang_repo "$FIXTURES/go-service" failing-go)
  printf 'package greet\n\nfunc  Unformatted() {}\n' >"$go/internal/greet/extra.go"
  commit_all "$go"
  rcd -C "$go" check --only fmt >/dev/null 2>"$WORK/err" || rc=$?
  assert_eq 1 "$rc" "an unformatted file fails fmt"
  assert_contains "$(cat "$WORK/err")" "gofmt would change:" "fmt says why"
  assert_contains "$(cat "$WORK/err")" "internal/greet/extra.go" "and names the file"

  git -C "$go" rm -q internal/greet/extra.go
  sed -i 's/got != "hello, go"/got != "hello, rust"/' "$go/internal/greet/greet_test.go"
  commit_all "$go"
  rc=0
  CI=true GITHUB_ACTIONS=true rcd -C "$go" check --only test --junit "$WORK/junit.xml" >"$WORK/out" 2>&1 || rc=$?
  assert_eq 1 "$rc" "a failing go test fails the stage"
  assert_contains "$(cat "$WORK/out")" \
    '::error file=internal/greet/greet_test.go,line=7,title=test TestHello failed::Hello(go) = "hello, go", want "hello, go"' \
    "the failure is annotated where t.Errorf was called"
  assert_contains "$(cat "$WORK/out")" "--- FAIL: TestHello" "go test's own text is shown"
  assert_not_contains "$(cat "$WORK/out")" '"Action"' "no raw JSON events"
  assert_contains "$(cat "$WORK/junit.xml")" "<failure" "JUnit records the failure"
}

test_generic_names_what_it_needs() {
  local dir="$WORK/langs/plain" rc=0
  mkdir -p "$dir"
  printf 'name: plain\nlanguage: generic\nregistry: %s/team\nstages:\n  hello: {run: [sh, -c, "echo built > out.bin"]}\n' "$REG" >"$dir/rcd.yaml"
  printf '/target\n/out.bin\n' >"$dir/.gitignore"
  git -C "$dir" init -q -b main && commit_all "$dir"
  rcd -C "$dir" release >/dev/null 2>"$WORK/err" || rc=$?
  assert_eq 2 "$rc" "no image.binary: a usage error"
  assert_contains "$(cat "$WORK/err")" "needs image.binary" "the message names it"
  printf 'image: {binary: missing.bin}\n' >>"$dir/rcd.yaml" && commit_all "$dir"
  rc=0
  rcd -C "$dir" release >/dev/null 2>"$WORK/err" || rc=$?
  assert_eq 2 "$rc" "a binary the stages did not make"
  assert_contains "$(cat "$WORK/err")" "image.binary 'missing.bin' is not there" "the message names the file"
  printf 'name: plain\nlanguage: generic\nstages:\n  hello: {run: [x], cache: {paths: [../outside]}}\n' >"$dir/rcd.yaml"
  rc=0
  rcd -C "$dir" check >/dev/null 2>"$WORK/err" || rc=$?
  assert_eq 2 "$rc" "a cache path outside the repository"
  assert_contains "$(cat "$WORK/err")" "rcd.yaml:4:37: each of 'cache.paths' must be a path inside the repository" "with its position"
}

run_test test_init_pipelines_and_doctor_know_go
run_test test_a_fleet_releases_go_and_c_services_and_fresh_clones_restore_their_caches
run_test test_go_failures_are_reported_like_rust_ones
run_test test_generic_names_what_it_needs
finish
