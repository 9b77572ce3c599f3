#!/usr/bin/env bash
# A fleet of 6 repositories released from cold (empty target directories and dependency
# caches): `rcd fleet release -j 2` against the anchor, the bash loop of `rcd release` over the
# same repositories, measured in the same run on copies of them. Two pairs share a dependency
# recipe (the deps-workspace fixture, and the same with another release profile) and two have
# no external dependencies (the bundled example).
# Usage: bench/fleet.sh [path/to/rcd]   (default: build/release/rcd, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
work=$(mktemp -d /tmp/rcd-bench.XXXXXX)
trap 'kill ${REGISTRY_PID:-} 2>/dev/null; rm -rf "$work"' EXIT
bench_registry "$work"

make() { # SIDE NAME FIXTURE [TOML]
  local dir="$work/$1/$2"
  mkdir -p "$work/$1"
  cp -r "$3" "$dir"
  rm -rf "$dir/target"
  [ -z "${4:-}" ] || printf '%s\n' "$4" >>"$dir/Cargo.toml"
  printf 'registry: %s/%s\n' "$REG" "$1" >>"$dir/rcd.yaml"
  [ "$3" != examples/hello-api ] || sed -i "s/^name: .*/name: $2/; \$a binary: hello-api" "$dir/rcd.yaml"
  (cd "$dir" && git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -q -m x)
}
for side in loop fleet; do
  make $side a1 tests/fixtures/deps-workspace
  make $side a2 tests/fixtures/deps-workspace
  make $side b1 tests/fixtures/deps-workspace $'[profile.release]\nopt-level = 2'
  make $side b2 tests/fixtures/deps-workspace $'[profile.release]\nopt-level = 2'
  make $side h1 examples/hello-api
  make $side h2 examples/hello-api
done
repos="a1 a2 b1 b2 h1 h2"

start=$(now_ms)
for r in $repos; do
  RCD_CACHE_DIR="$work/cache-loop" "$RCD" -C "$work/loop/$r" -q release >/dev/null 2>&1 ||
    { echo "loop: $r failed" >&2; exit 1; }
done
loop_ms=$(( $(now_ms) - start ))

start=$(now_ms)
(cd "$work/fleet" && RCD_CACHE_DIR="$work/cache-fleet" "$RCD" --json fleet release -j 2 $repos) \
  >"$work/fleet.jsonl" 2>/dev/null || { echo "the fleet failed" >&2; tail -1 "$work/fleet.jsonl" >&2; exit 1; }
fleet_ms=$(( $(now_ms) - start ))
saved=$(tail -1 "$work/fleet.jsonl" | jq .fleet.saved_cooks)

echo "6 repositories from cold (ms):   rcd fleet release -j 2   bash loop of rcd release   ratio"
printf '                                 %8s                 %8s                   %s\n' \
  "$fleet_ms" "$loop_ms" "$(ratio "$fleet_ms" "$loop_ms")"
echo "cooks the fleet saved by shared recipes: $saved (the loop shares them too: one after another)"
