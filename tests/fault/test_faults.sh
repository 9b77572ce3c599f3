#!/usr/bin/env bash
# The fault suite: rcd against a registry that fails at random (tests/fault/fault_proxy.py),
# kill -9 at random moments, hostile cache archives, and registries that never answer. Each
# part counts what was lost and prints one row of a table; any loss fails the suite.
# FAULT_RELEASES (default 100) and FAULT_KILLS (default 50) size the two loops.
source "$(dirname "$0")/../e2e/lib.sh"

RELEASES=${FAULT_RELEASES:-100}
KILLS=${FAULT_KILLS:-50}
TABLE="$WORK/table"
: >"$TABLE"
# row PART RUNS OUTCOMES LOSSES
row() { printf '%-44s %6s  %-44s %s\n' "$1" "$2" "$3" "$4" >>"$TABLE"; }

# pullable REF: every blob of the image REF names is in the registry and matches its digest.
pullable() {
  rm -rf "$WORK/pull"
  skopeo copy -q --src-tls-verify=false "docker://$1" "oci:$WORK/pull:x" >/dev/null 2>&1
}

# leftovers REPO: what a killed run may leave and the next run must have removed.
leftovers() {
  find "$RCD_CACHE_DIR/blobs" -maxdepth 1 -name 'incoming-*' 2>/dev/null
  find "$1/target" -maxdepth 1 -name '.rcd-unpack-*' 2>/dev/null
}

# A dynamically linked service on a C-library base that itself comes through the proxy, so
# every run downloads blobs (the base's) as well as uploading its own.
setup_service() { # NAME REGISTRY_FOR_RCD_YAML
  local repo
  repo=$(make_dynamic_repo "$1" "$2")
  printf 'image:\n  base: %s/base/glibc:1\n' "$2" >>"$repo/rcd.yaml"
  commit_all "$repo"
  (cd "$repo" && cargo build -q --release 2>/dev/null)
  echo "$repo"
}

test_releases_through_a_faulty_registry() {
  local proxy repo sha i rc ok=0 four=0 torn=0 unpullable=0 wrong=0 other=0 retries=0 digest
  start_registry faults
  REG=$REGISTRY_ADDR
  push_glibc_base "$REG" base/glibc:1 >/dev/null
  proxy=127.0.0.1:$(free_port)
  track_service /usr/bin/python3 "$(dirname "$0")/fault_proxy.py" "${proxy#*:}" "${REG#*:}" 12 0.15 \
    "$WORK/proxy.log"
  wait_for_port "${proxy#*:}"
  repo=$(setup_service fault-service "$proxy")
  sha=$(git -C "$repo" rev-parse HEAD)
  for i in $(seq 1 "$RELEASES"); do
    echo "run $i" >>"$WORK/proxy.log"
    export RCD_CACHE_DIR="$WORK/fcache-$i" # the base's layers come through the proxy each time
    rc=0
    timeout 300 "$RCD_BIN" -C "$repo" -v image --push --registry "$proxy/run$i" --json \
      >"$WORK/run.json" 2>"$WORK/run.err" || rc=$?
    sleep 0.2 # the proxy's last log lines
    corrupted=$(awk -v r="run $i" '$0==r{on=1;next} /^run /{on=0} on && ($1=="corrupt"||$1=="swap")' \
      "$WORK/proxy.log" | wc -l)
    retries=$((retries + $(grep -c "retrying in" "$WORK/run.err" || true)))
    if [ "$rc" -eq 0 ]; then
      ok=$((ok + 1))
      digest=$(json "$WORK/run.json" .image.digest)
      pullable "$REG/run$i/fault-service:$sha" || { unpullable=$((unpullable + 1)); echo "run $i: unpullable" >&2; }
      [ "$(skopeo inspect --tls-verify=false "docker://$REG/run$i/fault-service:$sha" | jq -r .Digest)" = "$digest" ] ||
        { wrong=$((wrong + 1)); echo "run $i: the tag names another digest" >&2; }
      [ "$corrupted" -eq 0 ] || { wrong=$((wrong + 1)); echo "run $i: a corrupted blob was accepted" >&2; }
    elif [ "$rc" -eq 4 ]; then
      four=$((four + 1))
      for tag in "$sha" latest; do
        if skopeo inspect --tls-verify=false "docker://$REG/run$i/fault-service:$tag" >/dev/null 2>&1; then
          pullable "$REG/run$i/fault-service:$tag" || { torn=$((torn + 1)); echo "run $i: torn tag $tag" >&2; }
        fi
      done
    else
      other=$((other + 1))
      echo "run $i: exit $rc" >&2
      tail -3 "$WORK/run.err" >&2
    fi
  done
  local faults
  faults=$(grep -vc -e "^ok " -e "^run " "$WORK/proxy.log" || true)
  row "releases through a faulty registry" "$RELEASES" \
    "$ok exit 0, $four exit 4, $faults faults, $retries retries" \
    "torn $torn, unpullable $unpullable, wrong digest $wrong, other exit $other"
  [ $((torn + unpullable + wrong + other)) -eq 0 ]
}

test_kill_9_at_random_moments() {
  local repo deps sha i rc lost=0 torn=0 left=0 corrupt=0 delay what
  start_registry kills
  REG=$REGISTRY_ADDR
  repo=$(setup_service kill-service "$REG")
  sha=$(git -C "$repo" rev-parse HEAD)
  deps=$(make_repo deps-workspace kill-deps)
  printf 'registry: %s/team\n' "$REG" >>"$deps/rcd.yaml"
  commit_all "$deps"
  push_glibc_base "$REG" base/glibc:1 >/dev/null
  rcd -C "$deps" -q check >/dev/null 2>&1 || { echo "cannot prepare the cache" >&2; return 1; }
  rcd -C "$deps" -q cache push >/dev/null 2>&1 || { echo "cannot push the cache" >&2; return 1; }
  for i in $(seq 1 "$KILLS"); do
    delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", r / 32767 * 1.2 }')
    if [ $((i % 2)) -eq 1 ]; then
      what="image push"
      "$RCD_BIN" -C "$repo" -q image --push --registry "$REG/kill$i" >/dev/null 2>&1 &
    else
      # Restores from the local cache, or from the registry with an empty one.
      what="cache restore"
      rm -rf "$deps/target"
      [ $((i % 4)) -eq 0 ] && rm -rf "$RCD_CACHE_DIR/blobs" "$RCD_CACHE_DIR/keys"
      "$RCD_BIN" -C "$deps" -q cache pull >/dev/null 2>&1 &
    fi
    local pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # The tag a killed push left, if any, names a whole image.
    if [ "$what" = "image push" ] &&
      skopeo inspect --tls-verify=false "docker://$REG/kill$i/kill-service:$sha" >/dev/null 2>&1 &&
      ! pullable "$REG/kill$i/kill-service:$sha"; then
      torn=$((torn + 1))
      echo "kill $i ($what after ${delay}s): torn tag" >&2
    fi
    rc=0
    if [ "$what" = "image push" ]; then
      rcd -C "$repo" -q image --push --registry "$REG/kill$i" >"$WORK/after" 2>&1 || rc=$?
      [ "$rc" -ne 0 ] || pullable "$REG/kill$i/kill-service:$sha" || rc=99
    else
      rcd -C "$deps" cache pull >"$WORK/after" 2>&1 || rc=$?
      # Now and then: the restored dependencies are whole, so the clippy stage rebuilds none of
      # them (a dependency's line has no local path in it).
      if [ "$rc" -eq 0 ] && [ $((i % 6)) -eq 0 ]; then
        rcd -C "$deps" -q check --only clippy >/dev/null 2>&1 || rc=98
        if grep -E '^\s+(Compiling|Checking) ' "$deps/target/rcd/logs/clippy.log" | grep -qv '(/'; then
          corrupt=$((corrupt + 1))
          echo "kill $i ($what after ${delay}s): the restored cache was not whole" >&2
        fi
      fi
    fi
    [ "$rc" -eq 0 ] || { lost=$((lost + 1)); echo "kill $i ($what after ${delay}s): the next run exited $rc" >&2; cat "$WORK/after" >&2; }
    if [ -n "$(leftovers "$deps"; leftovers "$repo")" ]; then
      left=$((left + 1))
      echo "kill $i: leftovers: $(leftovers "$deps"; leftovers "$repo")" >&2
    fi
  done
  row "kill -9, then a normal run" "$KILLS" "image push and cache restore, 0-1.2 s in" \
    "failed next run $lost, torn $torn, corrupt cache $corrupt, leftovers $left"
  [ $((lost + torn + corrupt + left)) -eq 0 ]
}

# hostile.py CLASS OUT: a .tar.zst of one class of hostile archive.
make_hostile() {
  python3 - "$1" "$2.tar" <<'PY'
import io, sys, tarfile
kind, out = sys.argv[1:3]
t = tarfile.open(out, "w", format=tarfile.PAX_FORMAT)
def add(name, type=tarfile.REGTYPE, data=b"", link="", mode=0o644, size=None):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = type, link, mode
    info.size = len(data) if size is None else size
    t.addfile(info, io.BytesIO(data) if type == tarfile.REGTYPE and data else None)
if kind == "link-chain":
    add("debug/up", tarfile.SYMTYPE, link="..")
    add("debug/up/down", tarfile.SYMTYPE, link="..")
    add("debug/up/down/escaped", data=b"owned")
elif kind == "absolute":
    add("/tmp/rcd-fault-absolute", data=b"owned")
elif kind == "dotdot":
    add("debug/../../escaped", data=b"owned")
elif kind == "link-out":
    add("debug/out", tarfile.SYMTYPE, link="/tmp")
elif kind == "hardlink-out":
    add("debug/passwd", tarfile.LNKTYPE, link="/etc/passwd")
elif kind == "device":
    add("debug/null", tarfile.CHRTYPE)
elif kind == "fifo":
    add("debug/fifo", tarfile.FIFOTYPE)
elif kind == "bomb":
    add("debug/zeros", data=bytes(64 << 20))
t.close()
PY
  zstd -q -f "$2.tar" -o "$2" && rm -f "$2.tar"
}

# Puts ARCHIVE in the local store as the cache of KEY (profile PROFILE).
plant_local() { # ARCHIVE KEY PROFILE
  local digest size
  digest=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mkdir -p "$RCD_CACHE_DIR/blobs/sha256" "$RCD_CACHE_DIR/keys"
  cp "$1" "$RCD_CACHE_DIR/blobs/sha256/$digest"
  printf '{"key":"%s","digest":"sha256:%s","size":%s,"profile":"%s"}\n' "$2" "$digest" "$size" "$3" \
    >"$RCD_CACHE_DIR/keys/$2.json"
}

test_hostile_cache_archives() {
  local deps key kind source rc refused=0 runs=0 outside=0 failed=0
  start_registry hostile
  REG=$REGISTRY_ADDR
  deps=$(make_repo deps-workspace hostile-deps)
  printf 'registry: %s/team\n' "$REG" >>"$deps/rcd.yaml"
  commit_all "$deps"
  key=$(rcd -C "$deps" cache status --json | jq -r '.cache.profiles[] | select(.name=="debug") | .key')
  for kind in link-chain absolute dotdot link-out hardlink-out device fifo bomb; do
    make_hostile "$kind" "$WORK/$kind.tar.zst"
    for source in local registry; do
      runs=$((runs + 1))
      rm -rf "$deps/target" "$RCD_CACHE_DIR" /tmp/rcd-fault-absolute "$WORK/escaped" "$deps/escaped"
      plant_local "$WORK/$kind.tar.zst" "$key" debug
      if [ "$source" = registry ]; then
        # Pushed as rcd pushes a cache, then gone from the local store: the next run downloads
        # it and unpacks it while it arrives.
        rcd -C "$deps" -q cache push >/dev/null 2>&1 || { echo "cannot push $kind" >&2; failed=$((failed + 1)); continue; }
        rm -rf "$RCD_CACHE_DIR"
      fi
      rc=0
      rcd -C "$deps" cache pull >"$WORK/pull.out" 2>&1 || rc=$?
      if grep -q "refusing a cache entry\|in the way on its path\|expands past\|claims" "$WORK/pull.out"; then
        refused=$((refused + 1))
      else
        echo "$kind from $source: not refused (exit $rc)" >&2
        cat "$WORK/pull.out" >&2
      fi
      if [ -e /tmp/rcd-fault-absolute ] || [ -e "$WORK/escaped" ] || [ -e "$deps/escaped" ] ||
        [ -e "$deps/target/debug/null" ] || [ -e "$deps/target/debug/fifo" ]; then
        outside=$((outside + 1))
        echo "$kind from $source: a file landed where it must not" >&2
      fi
    done
  done
  # The run still succeeds, by building what the refused cache would have held.
  rm -rf "$deps/target" "$RCD_CACHE_DIR"
  plant_local "$WORK/link-chain.tar.zst" "$key" debug
  rc=0
  rcd -C "$deps" -q check >"$WORK/check.out" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || { failed=$((failed + 1)); echo "check after a hostile cache exited $rc" >&2; cat "$WORK/check.out" >&2; }
  row "hostile archives (8 classes, local and registry)" "$runs" "$refused refused, check after one: exit $rc" \
    "not refused $((runs - refused)), outside the root $outside, failed $failed"
  [ "$refused" -eq "$runs" ] && [ "$outside" -eq 0 ] && [ "$failed" -eq 0 ]
}

# A registry that accepts connections and never answers, and one that answers a byte every 5 s:
# a release fails with exit 4, in under 90 s and under 3 minutes.
test_registries_that_hang() {
  local mode port repo rc start took lost=0 summary=""
  repo=$(make_release_repo hang-service 127.0.0.1:1)
  (cd "$repo" && cargo build -q --release 2>/dev/null)
  for mode in silent loris; do
    port=$(free_port)
    track_service /usr/bin/python3 "$(dirname "$0")/fault_proxy.py" "$port" 1 0 0 "$WORK/hang.log" "$mode"
    wait_for_port "$port"
    start=$(date +%s)
    rc=0
    timeout 400 "$RCD_BIN" -C "$repo" image --push --registry "127.0.0.1:$port/team" >"$WORK/hang.out" 2>&1 || rc=$?
    took=$(($(date +%s) - start))
    summary="$summary$mode: exit $rc in ${took}s; "
    local limit=90
    [ "$mode" = loris ] && limit=180
    if [ "$rc" -ne 4 ] || [ "$took" -ge "$limit" ]; then
      lost=$((lost + 1))
      echo "$mode registry: exit $rc after ${took}s" >&2
      cat "$WORK/hang.out" >&2
    fi
    assert_contains "$(cat "$WORK/hang.out")" "127.0.0.1:$port" "names the host"
  done
  row "registries that never answer / trickle" 2 "${summary%; }" "over the limit or not exit 4: $lost"
  [ "$lost" -eq 0 ]
}

if [ -n "${FAULT_ONLY:-}" ]; then # one part, by hand: FAULT_ONLY=test_kill_9_at_random_moments
  run_test "$FAULT_ONLY"
  cat "$TABLE"
  finish
  exit
fi
# Background: the hang test waits most of its time, so it runs beside the others.
( run_test test_registries_that_hang >"$WORK/hang.txt" 2>&1; echo $? >"$WORK/hang.rc" ) &
HANG=$!
run_test test_releases_through_a_faulty_registry
run_test test_kill_9_at_random_moments
run_test test_hostile_cache_archives
wait "$HANG"
cat "$WORK/hang.txt"
if [ "$(cat "$WORK/hang.rc")" = 0 ]; then PASSES=$((PASSES + 1)); else FAILURES=$((FAILURES + 1)); fi
echo
{
  printf '%-44s %6s  %-44s %s\n' "part" "runs" "outcomes" "losses" "----" "----" "--------" "------"
  cat "$TABLE"
} | tee "${FAULT_TABLE:-/dev/null}"
echo
finish
