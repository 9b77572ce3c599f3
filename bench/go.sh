#!/usr/bin/env bash
# The go pipeline's cache on a Go service of realistic size (bench/fixtures/go-service: 18
# modules, 255 packages vendored by bench/go_vendor.py from Debian's golang-*-dev), one run:
#   cold    an empty local cache and registry: `rcd release` in a fresh clone
#   go      its anchor: plain go (gofmt -l, go vet, go test, CGO_ENABLED=0 go build) with empty
#           GOCACHE, in another fresh clone
#   warm    a one-line change, released from a fresh clone in a new directory with an empty
#           local cache: GOCACHE comes from the registry (`rcd release`)
#   limit   the same change built by plain go alone with the GOCACHE it left warm (what a
#           machine that never lost its cache does; no image, no push)
# Prints each time, warm/limit, cold/go and cold/warm, and the cache's size.
# Usage: bench/go.sh [RCD_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
source bench/common.sh

WORK=$(mktemp -d /tmp/rcd-bench-go.XXXXXX)
bench_registry "$WORK"
trap 'kill $REGISTRY_PID 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

commit() { git -C "$1" add -A && git -C "$1" -c user.name=bench -c user.email=bench@rcd commit -q -m "$2"; }
one_line_change() { sed -i "s/\"listening\"/\"listening ($2)\"/" "$1/main.go"; }

# The service, vendored once, in a repository the runs clone.
SRC="$WORK/origin"
cp -r bench/fixtures/go-service "$SRC"
python3 bench/go_vendor.py "$SRC"
printf 'registry: %s/bench\n' "$REG" >>"$SRC/rcd.yaml"
printf '/target\n' >"$SRC/.gitignore"
git -C "$SRC" init -q -b main
commit "$SRC" initial

# Plain go, as the go pipeline's stages run it (its fmt command read from the pipeline), with
# GOCACHE and GOMODCACHE in DIR/target.
FMT=$("$RCD" pipelines show go | python3 -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["stages"][0]["run"][2])')
plain_go() { # DIR
  (cd "$1" && export GOCACHE="$PWD/target/go/build" GOMODCACHE="$PWD/target/go/mod" GOFLAGS="-modcacherw -trimpath" &&
    sh -c "$FMT" && go vet ./... && go test -json ./... >/dev/null &&
    CGO_ENABLED=0 go build -trimpath -o target/go/bin/greeter .)
}
timed() { # what command...: prints the milliseconds it took
  local what=$1 start
  shift
  start=$(now_ms)
  "$@" >"$WORK/$what.log" 2>&1 || { cat "$WORK/$what.log" >&2; exit 1; }
  echo $(($(now_ms) - start))
}

git clone -q "$SRC" "$WORK/go-cold"
GO_MS=$(timed go plain_go "$WORK/go-cold")

git clone -q "$SRC" "$WORK/cold"
COLD_MS=$(RCD_CACHE_DIR="$WORK/cache-cold" timed cold "$RCD" -C "$WORK/cold" release)

one_line_change "$SRC" warm
commit "$SRC" "warm change"
git clone -q "$SRC" "$WORK/warm"
WARM_MS=$(RCD_CACHE_DIR="$WORK/cache-warm" timed warm "$RCD" -C "$WORK/warm" release)
STATUS=$(jq -r '.cache.profiles[0].status' "$WORK/warm/target/rcd/result.json")

git -C "$WORK/go-cold" pull -q
LIMIT_MS=$(timed limit plain_go "$WORK/go-cold")

SIZE=$(du -sb "$WORK/cache-cold/blobs" | cut -f1)
RAW=$(du -sb "$WORK/cold/target/go" | cut -f1)
printf '%-8s %8s  %s\n' run ms note
printf '%-8s %8d  %s\n' go "$GO_MS" "plain go, empty GOCACHE"
printf '%-8s %8d  %s\n' cold "$COLD_MS" "rcd release, empty caches"
printf '%-8s %8d  %s\n' warm "$WARM_MS" "rcd release of a one-line change, fresh clone, cache $STATUS"
printf '%-8s %8d  %s\n' limit "$LIMIT_MS" "plain go, the same change, warm GOCACHE"
echo "cache: $((RAW / 1024 / 1024)) MiB in target/go, $((SIZE / 1024 / 1024)) MiB compressed in the local store"
echo "warm/limit $(ratio "$WARM_MS" "$LIMIT_MS")  cold/go $(ratio "$COLD_MS" "$GO_MS")  cold/warm $(ratio "$COLD_MS" "$WARM_MS")"
