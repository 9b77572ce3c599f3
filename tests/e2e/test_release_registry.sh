#!/usr/bin/env bash
# rcd release against a real registry, checked with skopeo, oci-image-tool and umoci.
source "$(dirname "$0")/lib.sh"
start_registry plain
REG=$REGISTRY_ADDR

release_json() { # REPO [ARGS...]: runs rcd release --json, stdout to $WORK/doc
  local repo=$1 rc=0
  shift
  rcd -C "$repo" --json release "$@" >"$WORK/doc" 2>"$WORK/err" || rc=$?
  return $rc
}

test_release_pushes_commit_tag_and_latest() {
  local repo sha digest
  repo=$(make_release_repo pushed "$REG")
  sha=$(git -C "$repo" rev-parse HEAD)
  release_json "$repo" || { cat "$WORK/err"; return 1; }
  digest=$(json "$WORK/doc" .image.digest)
  assert_eq "$REG/team/fixture-service" "$(json "$WORK/doc" .image.repository)" repository
  assert_eq "$REG/team/fixture-service@$digest" "$(json "$WORK/doc" .image.reference)" reference
  assert_eq "$sha latest" "$(json "$WORK/doc" '.image.tags | join(" ")')" tags
  skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:$sha" >"$WORK/inspect"
  assert_eq "$digest" "$(json "$WORK/inspect" .Digest)" "skopeo digest of the commit tag"
  assert_eq "$sha" "$(json "$WORK/inspect" '.Labels["org.opencontainers.image.revision"]')" "revision label"
  assert_eq "$digest" "$(skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:latest" | jq -r .Digest)" "latest"
  cmp "$WORK/doc" <(jq . "$repo/target/rcd/result.json") >/dev/null || diff <(jq -S . "$WORK/doc") <(jq -S . "$repo/target/rcd/result.json")
}

test_pushed_image_validates_and_its_binary_runs() {
  local repo
  repo=$(make_release_repo runs "$REG")
  release_json "$repo" || { cat "$WORK/err"; return 1; }
  skopeo copy -q --src-tls-verify=false "docker://$REG/team/fixture-service:latest" "oci:$WORK/copy:latest"
  oci-image-tool validate --type image --ref name=latest "$WORK/copy" >/dev/null || fail "oci-image-tool rejected the image"
  umoci unpack --image "$WORK/copy:latest" "$WORK/bundle" >/dev/null 2>&1 || fail "umoci unpack failed"
  assert_eq "fixture-service 42" "$(chroot "$WORK/bundle/rootfs" /usr/local/bin/fixture-service)" "binary output"
  assert_eq 755 "$(stat -c %a "$WORK/bundle/rootfs/usr/local/bin/fixture-service")" "mode"
}

test_second_release_of_a_commit_uploads_nothing() {
  local repo first
  repo=$(make_release_repo again "$REG")
  release_json "$repo" || { cat "$WORK/err"; return 1; }
  first=$(json "$WORK/doc" .image.digest)
  rm -rf "$repo/target"
  release_json "$repo" || { cat "$WORK/err"; return 1; }
  assert_eq "$first" "$(json "$WORK/doc" .image.digest)" "same digest after a clean rebuild"
  assert_eq "$first" "$(json "$WORK/doc" .image.build_digest)" "this build's digest: the same"
  assert_eq already-released "$(json "$WORK/doc" .image.status)" "status"
  assert_not_contains "$(cat "$WORK/err")" "not reproducible" "no warning for the same digest"
  assert_eq 0 "$(json "$WORK/doc" .image.blobs_pushed)" blobs_pushed
  assert_eq 0 "$(json "$WORK/doc" .image.bytes_uploaded)" bytes_uploaded
}

test_oci_layout_output_has_the_pushed_digest() {
  local repo
  repo=$(make_release_repo layout "$REG")
  release_json "$repo" || { cat "$WORK/err"; return 1; }
  rcd -C "$repo" -q image --output "oci:$WORK/layout" --output "docker-archive:$WORK/image.tar"
  assert_eq "$(json "$WORK/doc" .image.digest)" "$(jq -r '.manifests[0].digest' "$WORK/layout/index.json")" "layout digest"
  oci-image-tool validate --type image --ref "name=$(git -C "$repo" rev-parse HEAD)" "$WORK/layout" >/dev/null || fail "layout invalid"
  tar tf "$WORK/image.tar" | grep -qx manifest.json || fail "docker-archive has no manifest.json"
  if command -v podman >/dev/null && podman info >/dev/null 2>&1; then
    podman load -i "$WORK/image.tar" >/dev/null 2>&1 || fail "podman load rejected the archive"
  else
    echo "    (podman does not run here; docker-archive checked by its layout only)"
  fi
}

test_dirty_tree_is_refused_with_exit_3() {
  local repo rc=0
  repo=$(make_release_repo dirty "$REG")
  echo "// wip" >>"$repo/src/main.rs"
  rcd -C "$repo" release >"$WORK/out" 2>&1 || rc=$?
  assert_eq 3 "$rc" "exit code"
  assert_contains "$(cat "$WORK/out")" "src/main.rs" "dirty file listed"
  assert_contains "$(cat "$WORK/out")" "--allow-dirty" "hint"
  rc=0
  release_json "$repo" --allow-dirty || rc=$?
  assert_eq 0 "$rc" "--allow-dirty"
  assert_eq "$(git -C "$repo" rev-parse HEAD)-dirty" "$(json "$WORK/doc" '.image.tags | join(" ")')" "dirty tag only"
}

test_outside_git_or_before_a_commit_exits_3() {
  local dir="$WORK/nogit" rc=0
  cp -r "$FIXTURES/service" "$dir"
  printf 'registry: %s/team\n' "$REG" >>"$dir/rcd.yaml"
  rcd -C "$dir" release >"$WORK/out" 2>&1 || rc=$?
  assert_eq 3 "$rc" "not a git repository"
  assert_contains "$(cat "$WORK/out")" "is not inside a git repository" "message"
  git -C "$dir" init -q -b main
  rc=0
  rcd -C "$dir" release >"$WORK/out" 2>&1 || rc=$?
  assert_eq 3 "$rc" "no commit yet"
  assert_contains "$(cat "$WORK/out")" "git add -A && git commit" "hint"
}

test_releasing_the_same_commit_again_exits_0_and_pushes_nothing() {
  local repo sha first latest_before rc=0
  repo=$(make_release_repo again2 "$REG")
  sha=$(git -C "$repo" rev-parse HEAD)
  release_json "$repo" || { cat "$WORK/err"; return 1; }
  first=$(json "$WORK/doc" .image.digest)
  latest_before=$(skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:latest" | jq -r .Digest)
  # Another machine's build of the same commit differs (here: its time), as after a toolchain
  # update: the commit is released all the same.
  SOURCE_DATE_EPOCH=1 release_json "$repo" || rc=$?
  assert_eq 0 "$rc" "exit code" || { cat "$WORK/err"; return 1; }
  assert_eq already-released "$(json "$WORK/doc" .image.status)" "status"
  assert_eq "$first" "$(json "$WORK/doc" .image.digest)" "the released digest"
  [ "$(json "$WORK/doc" .image.build_digest)" != null ] || fail "this build's digest is missing"
  [ "$(json "$WORK/doc" .image.build_digest)" != "$first" ] || fail "the builds should differ"
  assert_eq 0 "$(json "$WORK/doc" .image.blobs_pushed)" "nothing pushed"
  assert_eq "$REG/team/fixture-service@$first" "$(json "$WORK/doc" .image.reference)" "reference"
  assert_contains "$(cat "$WORK/err")" "not reproducible" "warning"
  assert_contains "$(cat "$WORK/err")" "already released: $REG/team/fixture-service@$first" "final line"
  assert_eq "$first" "$(skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:$sha" | jq -r .Digest)" "commit tag unchanged"
  assert_eq "$latest_before" "$(skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:latest" | jq -r .Digest)" "latest unchanged"
}

test_every_clone_of_a_commit_builds_the_same_image() {
  local a b
  a=$(make_release_repo clone-a "$REG")
  git -C "$a" remote add origin git@example.com:org/fixture.git
  git clone -q "$a" "$WORK/clone-b"
  b="$WORK/clone-b"
  git -C "$b" remote set-url origin https://ci:s3cret-token@example.com/org/fixture.git
  release_json "$a" --no-latest --dry-run || { cat "$WORK/err"; return 1; }
  cp "$WORK/doc" "$WORK/doc-a"
  release_json "$b" --no-latest --dry-run || { cat "$WORK/err"; return 1; }
  assert_eq "$(json "$WORK/doc-a" .image.digest)" "$(json "$WORK/doc" .image.digest)" "same digest from an ssh and an https clone"
  release_json "$b" --no-latest || { cat "$WORK/err"; return 1; }
  skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:$(git -C "$b" rev-parse HEAD)" >"$WORK/inspect"
  assert_eq https://example.com/org/fixture "$(json "$WORK/inspect" '.Labels["org.opencontainers.image.source"]')" "source label"
  assert_not_contains "$(cat "$WORK/inspect")" "s3cret" "token in the image"
}

test_commit_tag_naming_another_revision_is_refused_until_force() {
  local x y sha other rc=0
  x=$(make_release_repo revision-x "$REG")
  y=$(make_release_repo revision-y "$REG")
  echo "// another commit" >>"$y/src/main.rs"
  commit_all "$y"
  release_json "$y" --no-latest || { cat "$WORK/err"; return 1; }
  other=$(json "$WORK/doc" .image.digest)
  sha=$(git -C "$x" rev-parse HEAD)
  # Someone put y's image under x's commit tag.
  skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
    "docker://$REG/team/fixture-service:$(git -C "$y" rev-parse HEAD)" "docker://$REG/team/fixture-service:$sha"
  release_json "$x" || rc=$?
  assert_eq 4 "$rc" "exit code"
  assert_contains "$(cat "$WORK/err")" "already names $other, an image of commit $(git -C "$y" rev-parse HEAD)" "message"
  assert_contains "$(cat "$WORK/err")" "--force" "hint"
  assert_eq "$other" "$(skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:$sha" | jq -r .Digest)" "commit tag unchanged"
  release_json "$x" --force || { cat "$WORK/err"; return 1; }
  assert_eq pushed "$(json "$WORK/doc" .image.status)" "status with --force"
  assert_eq "$(json "$WORK/doc" .image.digest)" "$(skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:$sha" | jq -r .Digest)" "forced"
  # A --tag that looks like a commit is as immutable as the commit tag.
  rc=0
  release_json "$y" --no-latest --tag "$sha" || rc=$?
  assert_eq 4 "$rc" "--tag <sha> naming another image"
  assert_contains "$(cat "$WORK/err")" "$REG/team/fixture-service:$sha already names" "--tag <sha> message"
}

test_failed_check_moves_nothing() {
  local repo rc=0
  repo=$(make_release_repo failing "$REG")
  sed -i 's/assert_eq!(super::add(1, 1), 2);/assert_eq!(super::add(1, 1), 3);/' "$repo/src/lib.rs"
  commit_all "$repo"
  release_json "$repo" || rc=$?
  assert_eq 1 "$rc" "exit code"
  assert_eq null "$(json "$WORK/doc" .image)" "no image"
  skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:$(git -C "$repo" rev-parse HEAD)" >/dev/null 2>&1 && fail "the commit was pushed"
  return 0
}

test_registry_down_exits_4_naming_it() {
  local repo rc=0 port start
  port=$(free_port)
  repo=$(make_release_repo down "127.0.0.1:$port")
  start=$(date +%s)
  rcd -C "$repo" release >"$WORK/out" 2>&1 || rc=$?
  assert_eq 4 "$rc" "exit code"
  [ $(($(date +%s) - start)) -lt 120 ] || fail "took over two minutes"
  assert_contains "$(cat "$WORK/out")" "127.0.0.1:$port" "names the registry"
}

test_base_image_layers_are_reused_not_uploaded() {
  local base app
  base=$(make_repo service baseimg)
  printf 'registry: %s/base\n' "$REG" >>"$base/rcd.yaml"
  commit_all "$base"
  release_json "$base" || { cat "$WORK/err"; return 1; }
  app=$(make_release_repo onbase "$REG")
  printf 'binary: fixture-service\nimage:\n  base: %s/base/fixture-service:latest\n' "$REG" >>"$app/rcd.yaml"
  sed -i 's/^name: fixture-service/name: on-base/' "$app/rcd.yaml"
  sed -i 's/fixture-service {}/on-base {}/' "$app/src/main.rs" # an app differs from its base
  commit_all "$app"
  release_json "$app" || { cat "$WORK/err"; return 1; }
  assert_eq 2 "$(json "$WORK/doc" .image.blobs_pushed)" "only the app layer and config uploaded"
  assert_eq 1 "$(json "$WORK/doc" .image.blobs_skipped)" "the base layer mounted"
  assert_eq 2 "$(skopeo inspect --tls-verify=false "docker://$REG/team/on-base:latest" | jq '.Layers | length')" "layers"
}

test_503_with_retry_after_is_retried_after_the_wait() {
  local pport repo rc=0
  pport=$(free_port)
  repo=$(make_release_repo flaky "127.0.0.1:$pport")
  # The proxy answers its first two requests with 503 and Retry-After: 2.
  track_service /usr/bin/python3 "$(dirname "$0")/flaky_proxy.py" "$pport" "${REG#*:}" 2 2 "$WORK/proxy.log"
  wait_for_port "$pport"
  release_json "$repo" || rc=$?
  assert_eq 0 "$rc" "exit code" || { cat "$WORK/err"; return 1; }
  assert_eq 2 "$(grep -c ' 503 ' "$WORK/proxy.log")" "503s answered"
  # The first request after the 503s came at least Retry-After (2 s) after the last 503.
  awk '$2 == 503 { last = $1 } $2 != 503 && last && !after { after = $1 }
       END { if (after - last < 2.0) { print "retried after " after - last " s"; exit 1 } }' "$WORK/proxy.log" ||
    fail "Retry-After was not honoured: $(cat "$WORK/proxy.log")"
}

test_chunked_upload_when_a_registry_refuses_monolithic_ones() {
  local pport repo rc=0
  pport=$(free_port)
  repo=$(make_release_repo chunked "127.0.0.1:$pport")
  track_service /usr/bin/python3 "$(dirname "$0")/flaky_proxy.py" "$pport" "${REG#*:}" 0 0 \
    "$WORK/chunked.log" refuse-monolithic
  wait_for_port "$pport"
  release_json "$repo" || rc=$?
  assert_eq 0 "$rc" "exit code" || { cat "$WORK/err"; return 1; }
  grep -q ' 416 PUT ' "$WORK/chunked.log" || fail "no monolithic upload was refused"
  grep -q ' 202 PATCH ' "$WORK/chunked.log" || fail "no chunk was uploaded"
  assert_eq "$(json "$WORK/doc" .image.digest)" \
    "$(skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:latest" | jq -r .Digest)" "pushed"
}

test_image_push_pushes_the_last_build() {
  local repo
  repo=$(make_release_repo imagepush "$REG")
  rcd -C "$repo" -q build
  rcd -C "$repo" --json image --push --tag from-image >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq true "$(json "$WORK/doc" .image.pushed)" pushed
  assert_eq "$(json "$WORK/doc" .image.digest)" \
    "$(skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:from-image" | jq -r .Digest)" "the --tag names the pushed image"
}

test_dry_run_writes_nothing_to_the_registry() {
  local repo
  repo=$(make_release_repo dryrun "$REG")
  release_json "$repo" --dry-run || { cat "$WORK/err"; return 1; }
  assert_eq false "$(json "$WORK/doc" .image.pushed)" "pushed"
  [ "$(json "$WORK/doc" .image.digest)" != null ] || fail "no digest computed"
  skopeo inspect --tls-verify=false "docker://$REG/team/fixture-service:$(git -C "$repo" rev-parse HEAD)" >/dev/null 2>&1 &&
    fail "the dry run pushed"
  return 0
}

test_plan_shows_the_image_and_its_tags() {
  local repo
  repo=$(make_release_repo planned "$REG")
  rcd -C "$repo" plan --tag v1 >"$WORK/plan.txt"
  assert_contains "$(cat "$WORK/plan.txt")" "image $REG/team/fixture-service (base scratch)" "image line"
  assert_contains "$(cat "$WORK/plan.txt")" "tags: $(git -C "$repo" rev-parse HEAD), latest, v1" "tags line"
}

run_test test_release_pushes_commit_tag_and_latest
run_test test_pushed_image_validates_and_its_binary_runs
run_test test_second_release_of_a_commit_uploads_nothing
run_test test_oci_layout_output_has_the_pushed_digest
run_test test_dirty_tree_is_refused_with_exit_3
run_test test_outside_git_or_before_a_commit_exits_3
run_test test_releasing_the_same_commit_again_exits_0_and_pushes_nothing
run_test test_every_clone_of_a_commit_builds_the_same_image
run_test test_commit_tag_naming_another_revision_is_refused_until_force
run_test test_failed_check_moves_nothing
run_test test_registry_down_exits_4_naming_it
run_test test_base_image_layers_are_reused_not_uploaded
run_test test_503_with_retry_after_is_retried_after_the_wait
run_test test_chunked_upload_when_a_registry_refuses_monolithic_ones
run_test test_image_push_pushes_the_last_build
run_test test_dry_run_writes_nothing_to_the_registry
run_test test_plan_shows_the_image_and_its_tags
finish
