#!/usr/bin/env bash
# The dependency cache with real cargo, crates from Debian's librust-*-dev packages, and a real
# registry: prepare, modify, build, then assert (cargo-chef's scenario style).
source "$(dirname "$0")/lib.sh"
start_registry plain
REG=$REGISTRY_ADDR
MEMBERS='codec|dep-service'

# A committed copy of the workspace fixture whose image is REG/<name>/dep-service. Each test
# also gets its own local cache, as a machine of its own would.
make_cache_repo() { # NAME
  local repo
  repo=$(make_repo deps-workspace "$1")
  printf 'registry: %s/%s\n' "$REG" "$1" >>"$repo/rcd.yaml"
  commit_all "$repo"
  echo "$repo"
}

# Crates that are not workspace members and that a stage (not a cook) compiled.
external_compiles() { # REPO
  grep -hE '^ +(Compiling|Checking) ' "$1"/target/rcd/logs/{clippy,test,doctest,build}.log |
    awk '{print $2}' | grep -vxE "$MEMBERS" | sort -u | tr '\n' ' ' || true
}

profile_status() { # DOC PROFILE
  json "$1" ".cache.profiles[] | select(.name == \"$2\") | .status"
}

# The binary in the pushed image, run from an unpacked copy.
image_output() { # REFERENCE
  rm -rf "$WORK/oci" "$WORK/bundle"
  skopeo copy -q --src-tls-verify=false "docker://$1" "oci:$WORK/oci:run"
  umoci unpack --image "$WORK/oci:run" "$WORK/bundle" >/dev/null 2>&1
  chroot "$WORK/bundle/rootfs" /usr/local/bin/dep-service
}

test_cold_release_cooks_pushes_and_a_source_edit_compiles_no_external_crate() {
  local repo digest
  repo=$(make_cache_repo edit)
  rcd -C "$repo" --json release >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  for p in debug release; do
    assert_eq miss "$(profile_status "$WORK/doc" $p)" "$p on a cold machine"
  done
  assert_eq "debug release" "$(json "$WORK/doc" '[.cache.profiles[].name] | join(" ")')" "profiles"
  # clippy, test and doctest share the debug profile: one cook runs clippy's and test's cargo
  # commands into one target directory, and one archive holds both, the build scripts and proc
  # macros they share once.
  assert_contains "$(cat "$WORK/err")" "cache: debug: cooking the dependencies (cargo clippy --workspace --all-targets --locked; cargo test --workspace --all-targets --locked --no-run" "debug cook"
  assert_eq true "$(json "$WORK/doc" .cache.pushed)" "cache pushed"
  key=$(json "$WORK/doc" '.cache.profiles[] | select(.name == "release") | .key')
  skopeo inspect --raw --tls-verify=false "docker://$REG/edit/dep-service-cache:cache-${key:0:16}" >"$WORK/m"
  assert_eq application/vnd.rcd.cache.v1 "$(json "$WORK/m" .artifactType)" artifactType
  assert_eq "$key" "$(json "$WORK/m" '.annotations["dev.rcd.cache.key"]')" "key annotation"
  # The image's own repository holds only the image: the commit, latest, and the referrers tag
  # of its SBOM and provenance (test_supply_chain.sh).
  digest=$(json "$WORK/doc" .image.digest)
  assert_eq "$(git -C "$repo" rev-parse HEAD) latest sha256-${digest#sha256:}" \
    "$(skopeo list-tags --tls-verify=false "docker://$REG/edit/dep-service" | jq -r '.Tags | sort | join(" ")')" \
    "tags of the image repository"
  # The cook compiled the external crates; the stages did not.
  assert_contains "$(cat "$repo/target/rcd/logs/cook-release.log")" "Compiling serde" "cook log"
  assert_eq "" "$(external_compiles "$repo")" "external crates compiled by the stages"

  sed -i 's/dep-service {}/dep-service edited {}/' "$repo/crates/dep-service/src/main.rs"
  commit_all "$repo"
  rcd -C "$repo" --json release >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq fresh "$(json "$WORK/doc" .cache.status)" "cache after a source edit"
  assert_eq "" "$(external_compiles "$repo")" "external crates compiled after a source edit"
  assert_eq "dep-service edited 726364" "$(image_output "$(json "$WORK/doc" .image.reference)")" "binary"
  # A cooked profile's key covers every stage of it, whatever the selection: --only clippy
  # finds the profile the whole release cooked.
  rcd -C "$repo" --json check --only clippy >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq fresh "$(profile_status "$WORK/doc" debug)" "the debug profile with --only clippy"
  assert_eq "" "$(external_compiles "$repo")" "external crates compiled by clippy alone"
}

# starts_after_restore STAGE PROFILE...: in $WORK/err, the stage starts after those profiles'
# "restored" lines.
starts_after_restore() {
  local start restored p
  start=$(grep -n "==> $1 " "$WORK/err" | head -1 | cut -d: -f1)
  [ -n "$start" ] || fail "stage $1 never started"
  for p in "${@:2}"; do
    restored=$(grep -n "cache: $p: restored" "$WORK/err" | head -1 | cut -d: -f1)
    [ -n "$restored" ] && [ "$start" -gt "$restored" ] ||
      fail "stage $1 started (line $start) before profile $p was restored (line ${restored:-none})"
  done
}

test_fresh_clone_restores_every_profile_from_the_registry() {
  local a b
  a=$(make_cache_repo shared)
  rcd -C "$a" -q release 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  b="$WORK/clone-b"
  git clone -q "$a" "$b"
  sed -i 's/dep-service {}/dep-service from-b {}/' "$b/crates/dep-service/src/main.rs"
  commit_all "$b"
  RCD_CACHE_DIR="$WORK/cache-b" rcd -C "$b" plan --json >"$WORK/plan" 2>/dev/null
  assert_eq hit-registry "$(json "$WORK/plan" .cache.status)" "plan on machine B"
  RCD_CACHE_DIR="$WORK/cache-b" rcd -C "$b" -v --json release >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  for p in debug release; do
    assert_eq hit-registry "$(profile_status "$WORK/doc" $p)" "$p on machine B"
  done
  # Stages start while other profiles restore, but never before their own is in place; fmt,
  # without `cook:`, once every profile is.
  starts_after_restore clippy debug
  starts_after_restore test debug
  starts_after_restore build release
  starts_after_restore fmt debug release
  # One archive at a time, in the order of the stages that need them.
  assert_eq "debug release" \
    "$(grep -o 'cache: [a-z]*: restored' "$WORK/err" | cut -d' ' -f2 | tr -d : | xargs)" \
    "the order the profiles were restored in"
  assert_eq "" "$(external_compiles "$b")" "external crates compiled on machine B"
  [ ! -e "$b/target/rcd/logs/cook-release.log" ] || fail "machine B cooked"
  assert_eq "dep-service from-b 726364" "$(image_output "$(json "$WORK/doc" .image.reference)")" "binary"
  # The cache holds build scripts without their debug info, and they still run.
  local cooked restored
  cooked=$(ls "$a"/target/debug/build/serde-*/build-script-build)
  restored=$(ls "$b"/target/debug/build/serde-*/build-script-build)
  readelf -S "$cooked" | grep -q '\.debug_info' || fail "machine A's build script has no debug info to strip"
  ! readelf -S "$restored" | grep -q '\.debug_info' || fail "machine B's build script kept its debug info"
  assert_contains "$(RUSTC=rustc TARGET=x86_64-unknown-linux-gnu "$restored")" \
    "cargo:rerun-if-changed=build.rs" "the restored build script's output"
}

test_stale_binary_trap_sources_older_than_the_cook_still_ship() {
  local repo
  repo=$(make_cache_repo stale)
  sed -i 's/dep-service {}/dep-service real {}/' "$repo/crates/dep-service/src/main.rs"
  commit_all "$repo"
  # Sources dated 2001 are older than anything the cook writes from its dummy main.rs.
  find "$repo/crates" -name '*.rs' -exec touch -d 2001-01-01 {} +
  rcd -C "$repo" --json release >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq miss "$(profile_status "$WORK/doc" release)" "the release profile was cooked"
  assert_eq "dep-service real 726364" "$(image_output "$(json "$WORK/doc" .image.reference)")" "binary"
  # A cache registry that is down costs build two quick tries, not the five a release makes.
  RCD_REGISTRY=127.0.0.1:9 rcd -C "$repo" build --only build 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_contains "$(cat "$WORK/err")" "(after 2 attempts)" "tries on a dead cache registry"
}

test_added_dependency_restores_the_newest_cache_and_cooks_only_the_difference() {
  local repo
  repo=$(make_cache_repo partial)
  rcd -C "$repo" -q release 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  rm -rf "$repo/target" "$RCD_CACHE_DIR"
  # A new dependency of the service: a new recipe, so a new key that no store has.
  sed -i 's/^serde = "1"/serde = "1"\nitoa = "1"/' "$repo/crates/dep-service/Cargo.toml"
  (cd "$repo" && cargo generate-lockfile --offline -q)
  commit_all "$repo"
  rcd -C "$repo" --json build --only build >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq partial "$(profile_status "$WORK/doc" release)" "release profile"
  compiled=$(grep -hE '^ +Compiling ' "$repo/target/rcd/logs/cook-release.log" | awk '{print $2}' |
    grep -vxE "$MEMBERS" | sort -u | tr '\n' ' ')
  assert_eq "itoa " "$compiled" "crates the cook compiled"
}

test_corrupted_blob_is_detected_and_rebuilt() {
  local repo blob
  repo=$(make_repo deps-workspace corrupt)
  rcd -C "$repo" -q build --only build 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  blob=$(find "$RCD_CACHE_DIR/blobs/sha256" -type f | head -1)
  printf '\xff' | dd of="$blob" bs=1 seek=100 conv=notrunc status=none
  rm -rf "$repo/target"
  rcd -C "$repo" --json build --only build >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_contains "$(cat "$WORK/err")" "is corrupt" "message"
  assert_eq miss "$(profile_status "$WORK/doc" release)" "status after corruption"
  for f in "$RCD_CACHE_DIR"/blobs/sha256/*; do
    assert_eq "$(basename "$f")" "$(sha256sum "$f" | cut -d' ' -f1)" "a stored blob's digest"
  done
  assert_eq "dep-service 726364" "$("$repo/target/release/dep-service")" "rebuilt binary"
}

test_cache_archive_leaving_the_target_directory_is_refused() {
  local repo key digest hex
  repo=$(make_repo deps-workspace escape)
  key=$(rcd -C "$repo" plan --json | jq -r '.cache.profiles[] | select(.name == "release") | .key')
  python3 - "$WORK/evil.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tar:
    for name in ["release/deps/ok", "../escape", "/tmp/rcd-absolute-escape"]:
        info = tarfile.TarInfo(name)  # TarInfo keeps the name as given, '/' included
        info.size = 6
        tar.addfile(info, io.BytesIO(b"owned\n"))
EOF
  zstd -q "$WORK/evil.tar" -o "$WORK/evil.tar.zst"
  hex=$(sha256sum "$WORK/evil.tar.zst" | cut -d' ' -f1)
  mkdir -p "$RCD_CACHE_DIR/blobs/sha256" "$RCD_CACHE_DIR/keys"
  cp "$WORK/evil.tar.zst" "$RCD_CACHE_DIR/blobs/sha256/$hex"
  printf '{"digest":"sha256:%s","size":%s,"profile":"release"}' "$hex" \
    "$(stat -c %s "$WORK/evil.tar.zst")" >"$RCD_CACHE_DIR/keys/$key.json"
  rcd -C "$repo" --json build --only build >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_contains "$(cat "$WORK/err")" "refus" "message"
  [ ! -e "$repo/escape" ] && [ ! -e "$repo/target/escape" ] || fail "../escape was written"
  [ ! -e /tmp/rcd-absolute-escape ] || fail "an absolute path was written"
  [ ! -e "$repo/target/release/deps/ok" ] || fail "part of a refused archive was written"
  assert_eq miss "$(profile_status "$WORK/doc" release)" "status"
  # Found, so the stages may have started beside the restore: no cook now, and the entry is
  # dropped so that the next run cooks and caches these dependencies again.
  assert_not_contains "$(cat "$WORK/err")" "cooking" "a cook beside running stages"
  [ ! -e "$RCD_CACHE_DIR/keys/$key.json" ] || fail "the refused entry is still in the cache"
  rm -rf "$repo/target"
  rcd -C "$repo" --json build --only build >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_contains "$(cat "$WORK/err")" "cooking" "the next run"
  assert_eq miss "$(profile_status "$WORK/doc" release)" "status of the next run"
  [ -e "$RCD_CACHE_DIR/keys/$key.json" ] || fail "the next run did not cache the dependencies"
}

test_cache_commands_pull_status_push_and_prune() {
  local a c
  a=$(make_cache_repo commands)
  rcd -C "$a" -q release --no-cache-push 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  skopeo list-tags --tls-verify=false "docker://$REG/commands/dep-service" >"$WORK/tags"
  assert_not_contains "$(cat "$WORK/tags")" "cache" "tags after --no-cache-push"
  rcd -C "$a" --json cache push >"$WORK/doc-push" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq true "$(json "$WORK/doc-push" .cache.pushed)" "cache push"
  assert_contains "$(skopeo list-tags --tls-verify=false "docker://$REG/commands/dep-service-cache")" '"cache"' "moving tag in the cache repository"

  c="$WORK/clone-c"
  git clone -q "$a" "$c"
  RCD_CACHE_DIR="$WORK/cache-c" rcd -C "$c" --json cache status >"$WORK/doc" 2>/dev/null
  assert_eq hit-registry "$(json "$WORK/doc" .cache.status)" "status before pull"
  RCD_CACHE_DIR="$WORK/cache-c" rcd -C "$c" --json cache pull >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq hit-registry "$(json "$WORK/doc" .cache.status)" "pull"
  RCD_CACHE_DIR="$WORK/cache-c" rcd -C "$c" --json cache status >"$WORK/doc" 2>/dev/null
  assert_eq fresh "$(json "$WORK/doc" .cache.status)" "status after pull"

  RCD_CACHE_DIR="$WORK/cache-c" rcd --json cache prune --max-size 0 >"$WORK/doc"
  [ "$(json "$WORK/doc" .freed_bytes)" -gt 0 ] || fail "prune freed nothing"
  assert_eq "" "$(find "$WORK/cache-c/blobs" -type f)" "blobs after prune"
  rc=0
  rcd cache prune --max-size lots 2>"$WORK/err" || rc=$?
  assert_eq 2 "$rc" "exit code of a bad size"
  assert_contains "$(cat "$WORK/err")" "'lots' is not a size" "message"

  # Remote prune: an older cache of the release profile (another key, pushed long ago) goes;
  # the newest of each profile stays.
  local repo="$REG/commands/dep-service-cache" key tag old
  key=$(json "$WORK/doc-push" '.cache.profiles[] | select(.name == "release") | .key')
  curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://${repo%%/*}/v2/${repo#*/}/manifests/cache-${key:0:16}" >"$WORK/manifest.json"
  old=$(printf 'f%.0s' $(seq 1 64))
  jq -c --arg key "$old" '.annotations["dev.rcd.cache.key"] = $key |
    .annotations["org.opencontainers.image.created"] = "2000-01-01T00:00:00Z"' "$WORK/manifest.json" >"$WORK/old.json"
  curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$WORK/old.json" \
    "http://${repo%%/*}/v2/${repo#*/}/manifests/cache-${old:0:16}" || fail "cannot push an old cache manifest"
  rcd -C "$a" --json cache prune --remote --keep 1 >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  assert_eq "cache-${old:0:16}" "$(json "$WORK/doc" '.deleted | join(" ")')" "deleted"
  assert_eq 2 "$(json "$WORK/doc" .kept)" "kept: the newest of each profile"
  tag=$(skopeo list-tags --tls-verify=false "docker://$repo" | jq -r '.Tags | join(" ")')
  assert_not_contains "$tag" "cache-${old:0:16}" "the old tag"
  assert_contains "$tag" "cache-${key:0:16}" "the newest release cache"
}

test_registry_that_refuses_artifacts_gets_a_plain_image_manifest() {
  local pport a b key
  pport=$(free_port)
  track_service /usr/bin/python3 "$(dirname "$0")/flaky_proxy.py" "$pport" "${REG#*:}" 0 0 \
    "$WORK/artifacts.log" refuse-artifacts
  wait_for_port "$pport"
  a=$(make_repo deps-workspace plain)
  printf 'registry: 127.0.0.1:%s/plain\n' "$pport" >>"$a/rcd.yaml"
  commit_all "$a"
  rcd -C "$a" --json build --only build >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  rcd -C "$a" --json cache push >"$WORK/doc" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
  grep -q ' 400 PUT .*/manifests/cache-' "$WORK/artifacts.log" || fail "no artifact manifest was refused"
  key=$(json "$WORK/doc" '.cache.profiles[] | select(.name == "release") | .key')
  skopeo inspect --raw --tls-verify=false "docker://$REG/plain/dep-service-cache:cache-${key:0:16}" >"$WORK/m"
  assert_eq null "$(json "$WORK/m" .artifactType)" "artifactType of the fallback"
  assert_eq application/vnd.oci.image.config.v1+json "$(json "$WORK/m" .config.mediaType)" "config"
  b="$WORK/plain-b"
  git clone -q "$a" "$b"
  RCD_CACHE_DIR="$WORK/cache-plain-b" rcd -C "$b" --json build --only build >"$WORK/doc" 2>"$WORK/err" ||
    { cat "$WORK/err"; return 1; }
  assert_eq hit-registry "$(profile_status "$WORK/doc" release)" "pulled through the same registry"
}

test_interrupt_while_cooking_stops_cargo_and_exits_130() {
  local repo pid rc=0
  repo=$(make_repo deps-workspace interrupted)
  # The binary itself in the background: $! of a backgrounded function would be a subshell.
  "$RCD_BIN" -C "$repo" build >"$WORK/out" 2>&1 &
  pid=$!
  wait_for_text "$WORK/out" "cooking the dependencies"
  sleep 0.3
  kill -INT "$pid"
  wait "$pid" || rc=$?
  assert_eq 130 "$rc" "exit code"
  # Whichever lane's cook was running when the signal came is the one reported.
  assert_contains "$(cat "$WORK/out")" "interrupted while running cargo" "message"
  assert_eq 1 "$(grep -c 'cooking the dependencies' "$WORK/out")" "cooks started (none after the interrupt)"
  no_process "$repo/target"
  no_process "rcd-cook-$pid"
  assert_eq "" "$(ls /tmp | grep "rcd-cook-$pid" || true)" "scratch directories left"
}

run_test test_cold_release_cooks_pushes_and_a_source_edit_compiles_no_external_crate
run_test test_fresh_clone_restores_every_profile_from_the_registry
run_test test_stale_binary_trap_sources_older_than_the_cook_still_ship
run_test test_added_dependency_restores_the_newest_cache_and_cooks_only_the_difference
run_test test_corrupted_blob_is_detected_and_rebuilt
run_test test_cache_archive_leaving_the_target_directory_is_refused
run_test test_cache_commands_pull_status_push_and_prune
run_test test_registry_that_refuses_artifacts_gets_a_plain_image_manifest
run_test test_interrupt_while_cooking_stops_cargo_and_exits_130
finish
