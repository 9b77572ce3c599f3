#!/usr/bin/env bash
# The dependency cache on a service of 87 crates (bench/fixtures/big-service), one run:
#   cold   an empty local cache and registry: `rcd release`
#   warm   a fresh clone in a new directory, an empty local cache, the registry's cache: `rcd release`,
#          twice: right after the cold run, and on another clone once the disk is quiet, as a
#          fresh CI machine's is. Without a journal (as on this VM's root), ext4 skips the inodes
#          freed in the last minute or so when it creates files (fs/ext4/ialloc.c,
#          recently_deleted), and the cold run's rustc has just freed thousands of temporary
#          files in the same block group: creating 2000 files took 1.4-1.6 s a second after
#          8000 were deleted there, and 0.06 s 20 s later. The second run does not see that.
#   limit  the same change rebuilt by plain cargo in an already-warm target directory (the
#          stages' own commands), plus rcd's image and push time
# Goals (on the quiet warm run): warm <= 1.3x limit, cold >= 5x warm. Also prints the cache's size
# and throughput.
# Usage: bench/cache.sh [RCD_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
source bench/common.sh

WORK=$(mktemp -d /tmp/rcd-bench-cache.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$WORK/registry.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: 127.0.0.1:$PORT
EOF
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
REGISTRY_PID=$!
trap 'kill $REGISTRY_PID 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null && break; sleep 0.1; done

commit() { git -C "$1" add -A && git -C "$1" -c user.name=bench -c user.email=bench@rcd commit -q -m "$2"; }
one_line_change() { sed -i "s/\"starting\"/\"starting ($2)\"/" "$1/src/main.rs"; }
release() { # REPO CACHE_DIR JSON_OUT: prints the wall time in ms
  local start
  start=$(now_ms)
  RCD_CACHE_DIR="$2" "$RCD" -C "$1" -q --json release >"$3" || { echo "rcd release failed in $1" >&2; exit 1; }
  echo $(($(now_ms) - start))
}

A="$WORK/a"
cp -r bench/fixtures/big-service "$A"
printf 'registry: 127.0.0.1:%s/bench\n' "$PORT" >>"$A/rcd.yaml"
git -C "$A" init -q -b main && commit "$A" initial

echo "cold: an empty cache, rcd release (this takes a few minutes) ..." >&2
cold_ms=$(release "$A" "$WORK/cache-a" "$WORK/cold.json")

fresh_clone() { # DIR LABEL
  git clone -q "$A" "$1"
  one_line_change "$1" "$2"
  commit "$1" change
}
B="$WORK/b"
fresh_clone "$B" b
echo "warm: a fresh clone, an empty local cache, the registry's cache ..." >&2
warm_now_ms=$(release "$B" "$WORK/cache-b" "$WORK/warm-now.json")
echo "warm again on another fresh clone, once the disk is quiet (60 s) ..." >&2
C="$WORK/c"
fresh_clone "$C" c
sync
sleep 60
warm_ms=$(release "$C" "$WORK/cache-c" "$WORK/warm.json")

echo "limit: the same change by plain cargo in the warm target of the first clone ..." >&2
one_line_change "$A" b
limit_start=$(now_ms)
(
  cd "$A"
  cargo fmt --all -- --check
  cargo clippy --workspace --all-targets --locked -q -- -D warnings
  cargo test --workspace --all-targets --locked -q >/dev/null
  cargo build --workspace --release --locked -q
) 2>"$WORK/limit.err"
cargo_ms=$(($(now_ms) - limit_start))
image_ms=$(jq '.image.assemble_ms + .image.push_ms' "$WORK/warm.json")
limit_ms=$((cargo_ms + image_ms))

jq -r '.cache.profiles[] | "  \(.name): \(.status), \(.bytes) bytes"' "$WORK/warm.json" >&2
bytes=$(jq '[.cache.profiles[].bytes] | add' "$WORK/warm.json")
save_ms=$(jq '.cache.save_ms' "$WORK/cold.json")
restore_ms=$(jq '.cache.restore_ms' "$WORK/warm.json")
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
rate() { awk -v b="$1" -v ms="$2" 'BEGIN { printf "%.0f", (ms > 0 ? b / 1048576 / (ms / 1000) : 0) }'; }

echo "crates:                 $(grep -c '^name = ' "$A/Cargo.lock")"
echo "cold release:           ${cold_ms} ms (cache status $(jq -r .cache.status "$WORK/cold.json"))"
echo "warm on a fresh clone:  ${warm_ms} ms (cache status $(jq -r .cache.status "$WORK/warm.json"))"
echo "  right after cold:     ${warm_now_ms} ms (cache status $(jq -r .cache.status "$WORK/warm-now.json"))"
echo "limit:                  ${limit_ms} ms (cargo ${cargo_ms} ms + image and push ${image_ms} ms)"
echo "warm / limit:           $(ratio "$warm_ms" "$limit_ms")x   (goal <= 1.3)"
echo "  right after cold:     $(ratio "$warm_now_ms" "$limit_ms")x"
echo "cold / warm:            $(ratio "$cold_ms" "$warm_ms")x   (goal >= 5)"
echo "cache size:             $(mb "$bytes") MB in 3 profiles"
echo "save (pack, zstd):      $(rate "$bytes" "$save_ms") MB/s (${save_ms} ms)"
echo "restore (pull, unpack): $(rate "$bytes" "$restore_ms") MB/s (${restore_ms} ms)"
